//! accord-serde: produce and consume Avro, Protobuf and JSON Schema
//! messages framed with schema ids, byte-compatible with Confluent's
//! clients, against Accord or any Confluent-compatible registry.
//!
//! A serializer registers (or looks up) its schema once per subject and
//! keeps the frame bytes; a deserializer fetches each writer schema once,
//! by id or GUID. After that no message touches the registry.
//!
//! ```no_run
//! # async fn example() -> Result<(), accord_serde::Error> {
//! use accord_serde::{AvroSerializer, RegistryClient, SerializerConfig};
//! let client = RegistryClient::from_url("http://localhost:8081")?;
//! let schema = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
//! let serializer = AvroSerializer::new(client, Some(schema), SerializerConfig::default())?;
//! #[derive(serde::Serialize)]
//! struct User { name: String }
//! let framed = serializer.serialize("users", &User { name: "ann".into() }).await?;
//! // framed.payload: 0x00, the 4-byte schema id, the Avro datum
//! # Ok(()) }
//! ```

mod avro;
mod avro_json;
mod cache;
mod client;
mod config;
mod error;
mod framing;
mod json;
mod protobuf;

pub use accord_schema::SchemaType;
pub use avro::{AvroDeserializer, AvroSerializer};
pub use client::{
    encode_path_segment, Auth, ClientConfig, ClientIdentity, CompatibilityAnswer,
    ExplainedIncompatibility, Reference, Registration, RegistryClient, Schema, SubjectVersion,
};
pub use config::{SerializerConfig, SubjectNameStrategy};
pub use error::{DecodeError, Error, RegistryError};
pub use framing::{
    read_message_indexes, unframe, write_message_indexes, Framed, Framing, Guid, Header, Role,
    SchemaId, Unframed,
};
pub use json::{JsonDeserializer, JsonSerializer};
pub use protobuf::{message_indexes, ProtobufDeserializer, ProtobufSerializer};
