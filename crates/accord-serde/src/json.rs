//! JSON Schema: serde values written as compact JSON text, validated
//! against the schema when serializing and, optionally, when reading.

use std::collections::HashMap;
use std::sync::Arc;

use accord_schema::SchemaType;
use jsonschema::{Retrieve, Uri, Validator};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::cache::Cache;
use crate::client::{RegistryClient, Schema};
use crate::config::{message_schema, reference_texts, writer_schema, SerializerConfig};
use crate::error::{DecodeError, Error};
use crate::framing::{unframe, FrameTemplate, Framed, SchemaId};

/// Answers a `$ref` to another registered schema from the schemas the
/// registry listed as references, by the reference's name; nothing is
/// fetched from the network.
struct References(HashMap<String, Value>);

impl Retrieve for References {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let wanted = uri.as_str();
        self.0
            .iter()
            .find(|(name, _)| wanted == name.as_str() || wanted.ends_with(&format!("/{name}")))
            .map(|(_, schema)| schema.clone())
            .ok_or_else(|| format!("`{wanted}` is not among the schema's references").into())
    }
}

fn validator(schema: &Value, references: Vec<(String, String)>) -> Result<Validator, Error> {
    let mut documents = HashMap::new();
    for (name, text) in references {
        let document = serde_json::from_str(&text)
            .map_err(|error| Error::Schema(format!("reference {name} is not JSON: {error}")))?;
        documents.insert(name, document);
    }
    jsonschema::options()
        .with_retriever(References(documents))
        .build(schema)
        .map_err(|error| Error::Schema(format!("invalid JSON Schema: {error}")))
}

fn parse_schema(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text)
        .map_err(|error| Error::Schema(format!("the JSON Schema is not JSON: {error}")))
}

struct JsonWriter {
    template: FrameTemplate,
    validator: Option<Validator>,
}

/// Serializes serde values as JSON framed with their schema id.
pub struct JsonSerializer {
    client: RegistryClient,
    config: SerializerConfig,
    schema: Option<Arc<Schema>>,
    title: Option<String>,
    writers: Cache<String, Arc<JsonWriter>>,
}

impl JsonSerializer {
    /// A serializer that writes with `schema` (JSON Schema text; `None`
    /// with `use_schema_id` or `use_latest_version`).
    pub fn new(
        client: RegistryClient,
        schema: Option<&str>,
        config: SerializerConfig,
    ) -> Result<Self, Error> {
        Self::with_schema(
            client,
            schema.map(|text| Schema::new(SchemaType::Json, text)),
            config,
        )
    }

    /// Like [`JsonSerializer::new`], for a schema with references.
    pub fn with_schema(
        client: RegistryClient,
        schema: Option<Schema>,
        config: SerializerConfig,
    ) -> Result<Self, Error> {
        let title = match &schema {
            Some(schema) => parse_schema(&schema.schema)?
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_owned),
            None => None,
        };
        let ttl = config.writer_cache_ttl(&client);
        Ok(JsonSerializer {
            client,
            config,
            schema: schema.map(Arc::new),
            title,
            writers: Cache::new(ttl),
        })
    }

    /// Serializes `value` for `topic`, validating it first unless the
    /// config turned validation off.
    pub async fn serialize<T: Serialize + ?Sized>(
        &self,
        topic: &str,
        value: &T,
    ) -> Result<Framed, Error> {
        let writer = self.writer(topic).await?;
        let mut payload = writer.template.start(128);
        match &writer.validator {
            Some(validator) => {
                let value = serde_json::to_value(value)
                    .map_err(|error| Error::Serialize(error.to_string()))?;
                if let Some(error) = validator.iter_errors(&value).next() {
                    return Err(Error::Serialize(format!(
                        "the value fails the JSON Schema at `{}`: {error}",
                        error.instance_path()
                    )));
                }
                serde_json::to_writer(&mut payload, &value)
            }
            None => serde_json::to_writer(&mut payload, value),
        }
        .map_err(|error| Error::Serialize(error.to_string()))?;
        Ok(writer.template.finish(payload))
    }

    async fn writer(&self, topic: &str) -> Result<Arc<JsonWriter>, Error> {
        if let Some(writer) = self.writers.get(topic) {
            return Ok(writer);
        }
        self.writers
            .get_or_fetch(&topic.to_owned(), || async {
                let config = &self.config;
                let subject = config.subject_name_strategy.subject(
                    topic,
                    config.role,
                    self.title.as_deref(),
                )?;
                let chosen = writer_schema(
                    &self.client,
                    config,
                    &subject,
                    self.schema.as_ref(),
                    SchemaType::Json,
                )
                .await?;
                let validator = if config.validate {
                    let references = reference_texts(&self.client, &chosen.schema).await?;
                    Some(validator(
                        &parse_schema(&chosen.schema.schema)?,
                        references,
                    )?)
                } else {
                    None
                };
                let template = chosen.frame(config, None)?;
                Ok(Arc::new(JsonWriter {
                    template,
                    validator,
                }))
            })
            .await
    }
}

struct JsonReader {
    id: SchemaId,
    validator: Option<Validator>,
}

/// Deserializes JSON messages framed with a schema id or GUID.
pub struct JsonDeserializer {
    client: RegistryClient,
    validate: bool,
    readers: Cache<SchemaId, Arc<JsonReader>>,
}

impl JsonDeserializer {
    /// `validate`: check every message against its writer's schema.
    pub fn new(client: RegistryClient, validate: bool) -> Self {
        JsonDeserializer {
            client,
            validate,
            readers: Cache::new(None),
        }
    }

    pub async fn deserialize<T: DeserializeOwned>(
        &self,
        payload: &[u8],
        header: Option<&[u8]>,
    ) -> Result<T, Error> {
        let unframed = unframe(payload, header)?;
        let reader = self.reader(unframed.schema).await?;
        let invalid = |reason: String| DecodeError::InvalidPayload {
            id: reader.id,
            reason,
        };
        match &reader.validator {
            Some(validator) => {
                let value: Value = serde_json::from_slice(unframed.body)
                    .map_err(|error| invalid(error.to_string()))?;
                if let Some(error) = validator.iter_errors(&value).next() {
                    return Err(DecodeError::Invalid {
                        id: reader.id,
                        reason: format!("at `{}`: {error}", error.instance_path()),
                    }
                    .into());
                }
                serde_json::from_value(value).map_err(|error| invalid(error.to_string()).into())
            }
            None => serde_json::from_slice(unframed.body)
                .map_err(|error| invalid(error.to_string()).into()),
        }
    }

    async fn reader(&self, id: SchemaId) -> Result<Arc<JsonReader>, Error> {
        if let Some(reader) = self.readers.get(&id) {
            return Ok(reader);
        }
        self.readers
            .get_or_fetch(&id, || async {
                let schema = message_schema(&self.client, id, SchemaType::Json).await?;
                let validator = if self.validate {
                    let references = reference_texts(&self.client, &schema).await?;
                    Some(validator(&parse_schema(&schema.schema)?, references)?)
                } else {
                    None
                };
                Ok(Arc::new(JsonReader { id, validator }))
            })
            .await
    }
}
