//! One error type for the library, with the reasons a message's bytes cannot
//! be decoded split out so a consumer can route them to a dead-letter queue.

use accord_schema::SchemaType;

use crate::framing::SchemaId;

/// Why a framed message could not be decoded. Every variant is about the
/// message, not about the consumer: retrying will not help, so a consumer
/// usually sends the message to a dead-letter queue.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty message: there is no magic byte")]
    Empty,
    #[error("unknown magic byte {0:#04x}: the message is not framed with a schema id (0x00) or GUID (0x01)")]
    UnknownMagicByte(u8),
    #[error("truncated message: the {what} needs {needed} bytes but {available} remain")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("unknown schema {0}: the registry has no such schema")]
    UnknownSchema(SchemaId),
    #[error("schema {id} is {found}, but this deserializer reads {expected}")]
    WrongFormat {
        id: SchemaId,
        expected: SchemaType,
        found: SchemaType,
    },
    #[error("invalid message indexes: {0}")]
    InvalidMessageIndexes(String),
    #[error("message indexes {indexes:?} name no message in schema {id}")]
    UnknownMessage { id: SchemaId, indexes: Vec<i32> },
    #[error("the payload does not match schema {id}: {reason}")]
    InvalidPayload { id: SchemaId, reason: String },
    #[error("the payload fails validation against schema {id}: {reason}")]
    Invalid { id: SchemaId, reason: String },
}

/// A failure talking to the registry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error (4xx, or 5xx after the retries).
    #[error("registry error {status} (code {code}): {message}")]
    Api {
        status: u16,
        code: i64,
        message: String,
    },
    /// No registry could be reached, after the retries.
    #[error("registry unreachable: {0}")]
    Unreachable(String),
    /// A request failed moments ago and the negative cache answers for it,
    /// so that an outage does not become a flood of requests.
    #[error("registry unavailable (a request failed less than {ttl_ms} ms ago): {reason}")]
    RecentlyFailed { reason: String, ttl_ms: u128 },
    /// The registry answered 2xx with a body we cannot use.
    #[error("unexpected registry response: {0}")]
    InvalidResponse(String),
}

impl RegistryError {
    /// A registry's "not found" for a schema, subject or version.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RegistryError::Api { status: 404, .. })
    }
}

/// Everything accord-serde can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes of a message cannot be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The registry could not answer.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A value cannot be serialized with its schema.
    #[error("cannot serialize: {0}")]
    Serialize(String),
    /// A schema (given, or fetched from the registry) cannot be used.
    #[error("unusable schema: {0}")]
    Schema(String),
    /// The serializer or client settings do not fit together.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    /// The decoding failure, when the message itself is at fault; a
    /// consumer sends those messages to a dead-letter queue.
    pub fn as_decode(&self) -> Option<&DecodeError> {
        match self {
            Error::Decode(error) => Some(error),
            _ => None,
        }
    }
}
