use md5::{Digest, Md5};

use crate::SchemaType;

/// Everything that makes two registered schemas the same schema: equal inputs
/// get one id per context, any difference gets another.
#[derive(Clone, Copy, Debug)]
pub struct IdentityInput<'a> {
    pub schema_type: SchemaType,
    /// The stored (canonical or normalized) text.
    pub schema: &'a str,
    /// `(name, subject, version)` of each reference, in the order given.
    pub references: &'a [(&'a str, &'a str, i64)],
    /// Compact JSON of the metadata, if any.
    pub metadata: Option<&'a str>,
    /// Compact JSON of the rule set, if any.
    pub rule_set: Option<&'a str>,
}

/// MD5 over the identity of a schema, as Confluent hashes it (schema text,
/// references, metadata and rule set), plus the schema type for non-Avro
/// schemas so that one text registered as two types gets two ids. The 16 bytes
/// double as the schema's GUID.
pub fn identity_hash(input: &IdentityInput<'_>) -> [u8; 16] {
    let mut md5 = Md5::new();
    // Length prefixes keep ("ab","c") and ("a","bc") apart.
    let mut field = |bytes: &[u8]| {
        md5.update((bytes.len() as u64).to_be_bytes());
        md5.update(bytes);
    };
    if input.schema_type != SchemaType::Avro {
        field(input.schema_type.as_str().as_bytes());
    }
    field(input.schema.as_bytes());
    for (name, subject, version) in input.references {
        field(name.as_bytes());
        field(subject.as_bytes());
        field(&version.to_be_bytes());
    }
    field(input.metadata.unwrap_or("").as_bytes());
    field(input.rule_set.unwrap_or("").as_bytes());
    md5.finalize().into()
}

/// Lower-case hex of an identity hash: how stores keep it.
pub fn hash_hex(hash: &[u8; 16]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// The GUID of an identity hash given as 32 hex digits, in UUID form
/// (`8-4-4-4-12`); other input is returned unchanged.
pub fn guid_from_hex(hex: &str) -> String {
    if hex.len() != 32 || !hex.is_ascii() {
        return hex.to_owned();
    }
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(schema_type: SchemaType, schema: &'a str) -> IdentityInput<'a> {
        IdentityInput {
            schema_type,
            schema,
            references: &[],
            metadata: None,
            rule_set: None,
        }
    }

    #[test]
    fn equal_inputs_hash_equal_and_type_separates() {
        let a = identity_hash(&input(SchemaType::Avro, "\"string\""));
        assert_eq!(a, identity_hash(&input(SchemaType::Avro, "\"string\"")));
        assert_ne!(a, identity_hash(&input(SchemaType::Json, "\"string\"")));
        let with_meta = IdentityInput {
            metadata: Some("{}"),
            ..input(SchemaType::Avro, "\"string\"")
        };
        assert_ne!(a, identity_hash(&with_meta));
    }

    #[test]
    fn guid_is_uuid_shaped() {
        let guid = guid_from_hex(&hash_hex(&[0xab; 16]));
        assert_eq!(guid, "abababab-abab-abab-abab-abababababab");
    }
}
