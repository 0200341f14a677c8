//! How the registry's ids and versions are stored: as the 64-bit integers
//! both backends' columns hold. Decoding refuses a value that could never
//! have been written (a corrupt row), rather than passing it on.

use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Any, Database, Decode, Encode, Type};

use crate::domain::{SchemaId, Version};

macro_rules! stored_as_i64 {
    ($value:ty) => {
        impl Type<Any> for $value {
            fn type_info() -> AnyTypeInfo {
                <i64 as Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <i64 as Type<Any>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, Any> for $value {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, Any>>::encode_by_ref(&self.get(), buf)
            }
        }

        impl<'r> Decode<'r, Any> for $value {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let stored = <i64 as Decode<'r, Any>>::decode(value)?;
                Ok(<$value>::try_from(stored)?)
            }
        }
    };
}

stored_as_i64!(SchemaId);
stored_as_i64!(Version);
