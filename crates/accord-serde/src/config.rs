//! Serializer settings, named as Confluent users know them, and the
//! decision every serializer makes once per subject: which registered
//! schema its messages are written with.

use std::sync::Arc;
use std::time::Duration;

use accord_schema::SchemaType;

use crate::client::{RegistryClient, Schema};
use crate::error::{DecodeError, Error, RegistryError};
use crate::framing::{FrameTemplate, Framing, Guid, Role, SchemaId};

/// How a serializer names the subject it registers or looks up under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` or `<topic>-value` (Confluent's default).
    #[default]
    Topic,
    /// The record's full name: the Avro record's, the Protobuf message's,
    /// the JSON schema's `title`.
    Record,
    /// `<topic>-<record full name>`.
    TopicRecord,
}

impl SubjectNameStrategy {
    pub fn subject(
        self,
        topic: &str,
        role: Role,
        record_name: Option<&str>,
    ) -> Result<String, Error> {
        let record = || {
            record_name.ok_or_else(|| {
                Error::Config(
                    "the record and topic-record subject name strategies need a record name: \
                     give the serializer a named schema (an Avro record, a Protobuf message, \
                     a JSON schema with a title)"
                        .to_owned(),
                )
            })
        };
        Ok(match self {
            SubjectNameStrategy::Topic => format!("{topic}-{}", role.subject_suffix()),
            SubjectNameStrategy::Record => record()?.to_owned(),
            SubjectNameStrategy::TopicRecord => format!("{topic}-{}", record()?),
        })
    }
}

/// Serializer settings. The defaults are Confluent's: auto-register, topic
/// name strategy, value, prefix framing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerializerConfig {
    /// Register the serializer's schema (`auto.register.schemas`).
    pub auto_register: bool,
    /// Write with the subject's latest version (`use.latest.version`);
    /// only without auto-register. Re-read after the client's latest TTL.
    pub use_latest_version: bool,
    /// Write with this schema id (`use.schema.id`); only without
    /// auto-register.
    pub use_schema_id: Option<u32>,
    /// Ask the registry to normalize the schema (`normalize.schemas`).
    pub normalize: bool,
    pub subject_name_strategy: SubjectNameStrategy,
    pub role: Role,
    pub framing: Framing,
    /// JSON Schema only: validate each value before writing it.
    pub validate: bool,
}

impl Default for SerializerConfig {
    fn default() -> Self {
        SerializerConfig {
            auto_register: true,
            use_latest_version: false,
            use_schema_id: None,
            normalize: false,
            subject_name_strategy: SubjectNameStrategy::Topic,
            role: Role::Value,
            framing: Framing::Prefix,
            validate: true,
        }
    }
}

impl SerializerConfig {
    /// Whether messages are written with the subject's latest version, so
    /// that the choice must be re-made when the client's latest TTL ends.
    pub(crate) fn follows_latest(&self) -> bool {
        self.use_latest_version && !self.auto_register && self.use_schema_id.is_none()
    }

    /// How long a serializer may keep its choice of writer schema.
    pub(crate) fn writer_cache_ttl(&self, client: &RegistryClient) -> Option<Duration> {
        self.follows_latest().then(|| client.latest_ttl())
    }
}

/// The registered schema a serializer writes one subject's messages with.
pub(crate) struct WriterSchema {
    pub id: u32,
    pub guid: Option<Guid>,
    /// The registry's copy when the schema came from it (latest version,
    /// given id); the serializer's own otherwise.
    pub schema: Arc<Schema>,
}

impl WriterSchema {
    /// The bytes that frame every message written with this schema.
    pub(crate) fn frame(
        &self,
        config: &SerializerConfig,
        message_indexes: Option<&[i32]>,
    ) -> Result<FrameTemplate, Error> {
        FrameTemplate::new(
            config.framing,
            config.role,
            self.id,
            self.guid,
            message_indexes,
        )
        .map_err(|reason| Error::Config(reason.to_owned()))
    }
}

/// Confluent's decision order: auto-register, else a given id, else the
/// latest version, else a lookup of the serializer's own schema. A
/// registered schema of another format than `expected` is refused.
pub(crate) async fn writer_schema(
    client: &RegistryClient,
    config: &SerializerConfig,
    subject: &str,
    own: Option<&Arc<Schema>>,
    expected: SchemaType,
) -> Result<WriterSchema, Error> {
    let chosen = choose_writer_schema(client, config, subject, own).await?;
    if chosen.schema.schema_type != expected {
        return Err(Error::Schema(format!(
            "schema {} of subject {subject} is {}, not {expected}",
            chosen.id, chosen.schema.schema_type
        )));
    }
    Ok(chosen)
}

async fn choose_writer_schema(
    client: &RegistryClient,
    config: &SerializerConfig,
    subject: &str,
    own: Option<&Arc<Schema>>,
) -> Result<WriterSchema, Error> {
    let needs_own = || {
        own.ok_or_else(|| {
            Error::Config(
                "no schema given: give the serializer a schema, or set use_schema_id or \
                 use_latest_version (without auto_register)"
                    .to_owned(),
            )
        })
    };
    if config.auto_register {
        let schema = needs_own()?;
        let registration = client.register(subject, schema, config.normalize).await?;
        return Ok(WriterSchema {
            id: registration.id,
            guid: registration.guid,
            schema: schema.clone(),
        });
    }
    if let Some(id) = config.use_schema_id {
        let schema = client.schema_by_id(id).await?;
        return Ok(WriterSchema {
            id,
            guid: schema.guid,
            schema,
        });
    }
    if config.use_latest_version {
        let latest = client.latest_version(subject).await?;
        return Ok(WriterSchema {
            id: latest.id,
            guid: latest.schema.guid,
            schema: latest.schema.clone(),
        });
    }
    let schema = needs_own()?;
    let registration = client.lookup(subject, schema, config.normalize).await?;
    Ok(WriterSchema {
        id: registration.id,
        guid: registration.guid,
        schema: schema.clone(),
    })
}

/// The writer schema of a message, as a deserializer needs it: fetched by
/// id or GUID, with "not found" turned into the message's fault.
pub(crate) async fn message_schema(
    client: &RegistryClient,
    id: SchemaId,
    expected: SchemaType,
) -> Result<Arc<Schema>, Error> {
    let schema = client.schema(id).await.map_err(|error| match error {
        RegistryError::Api { status: 404, .. } => Error::Decode(DecodeError::UnknownSchema(id)),
        other => Error::Registry(other),
    })?;
    if schema.schema_type != expected {
        return Err(DecodeError::WrongFormat {
            id,
            expected,
            found: schema.schema_type,
        }
        .into());
    }
    Ok(schema)
}

/// The texts of every schema `schema` refers to, named, dependencies first.
pub(crate) async fn reference_texts(
    client: &RegistryClient,
    schema: &Schema,
) -> Result<Vec<(String, String)>, Error> {
    if schema.references.is_empty() {
        return Ok(Vec::new());
    }
    Ok(client
        .referenced_schemas(schema)
        .await?
        .into_iter()
        .map(|(name, schema)| (name, schema.schema.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_names_follow_confluent_strategies() {
        let topic = SubjectNameStrategy::Topic;
        assert_eq!(
            topic.subject("orders", Role::Value, None).unwrap(),
            "orders-value"
        );
        assert_eq!(
            topic.subject("orders", Role::Key, Some("a.B")).unwrap(),
            "orders-key"
        );
        let record = SubjectNameStrategy::Record;
        assert_eq!(
            record.subject("orders", Role::Value, Some("a.B")).unwrap(),
            "a.B"
        );
        assert!(matches!(
            record.subject("orders", Role::Value, None),
            Err(Error::Config(_))
        ));
        let topic_record = SubjectNameStrategy::TopicRecord;
        assert_eq!(
            topic_record
                .subject("orders", Role::Key, Some("a.B"))
                .unwrap(),
            "orders-a.B"
        );
    }
}
