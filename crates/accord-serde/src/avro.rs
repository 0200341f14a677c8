//! Avro: serde types (for example with apache-avro's `AvroSchema` derive)
//! and generic `apache_avro::types::Value`s, with schema resolution when a
//! consumer reads with a schema other than the writer's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use accord_schema::SchemaType;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::schema::ResolvedSchema;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::avro_json;
use crate::cache::Cache;
use crate::client::{RegistryClient, Schema};
use crate::config::{message_schema, reference_texts, writer_schema, SerializerConfig};
use crate::error::{DecodeError, Error};
use crate::framing::{unframe, FrameTemplate, Framed, SchemaId};

/// A parsed Avro schema with the named schemas its references define.
struct AvroSchema {
    root: apache_avro::Schema,
    references: Vec<apache_avro::Schema>,
}

impl AvroSchema {
    fn resolved(&'static self) -> Result<ResolvedSchema<'static>, Error> {
        // apache-avro resolves in order: the referenced schemas first.
        let mut schemata: Vec<&apache_avro::Schema> = self.references.iter().collect();
        schemata.push(&self.root);
        ResolvedSchema::new_with_schemata(schemata)
            .map_err(|error| Error::Schema(format!("Avro schema with unresolved names: {error}")))
    }
}

/// Parses `text` once per process and keeps it for the life of the
/// process. apache-avro's fast readers and writers borrow their schema;
/// keeping each distinct schema forever lets us build them once and reuse
/// them for every message (Confluent's clients likewise cache schemas by id
/// forever). Memory grows with the number of distinct schemas, not messages.
fn intern(text: &str, references: &[(String, String)]) -> Result<&'static AvroSchema, Error> {
    type Interned = HashMap<(String, Vec<String>), &'static AvroSchema>;
    static INTERNED: OnceLock<Mutex<Interned>> = OnceLock::new();
    let key = (
        text.to_owned(),
        references
            .iter()
            .map(|(_, text)| text.clone())
            .collect::<Vec<_>>(),
    );
    let mut interned = INTERNED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(schema) = interned.get(&key) {
        return Ok(schema);
    }
    let (root, references) = apache_avro::Schema::parse_str_with_list(text, &key.1)
        .map_err(|error| Error::Schema(format!("invalid Avro schema: {error}")))?;
    let schema: &'static AvroSchema = Box::leak(Box::new(AvroSchema { root, references }));
    interned.insert(key, schema);
    Ok(schema)
}

/// The full name of a named Avro schema (for record subject strategies).
fn full_name(schema: &apache_avro::Schema) -> Option<String> {
    schema.name().map(|name| name.fullname(None))
}

/// Writes messages of one subject.
struct AvroWriter {
    template: FrameTemplate,
    schema: &'static AvroSchema,
    resolved: ResolvedSchema<'static>,
    /// For generic values, built once: it holds its own copy of the names.
    datum_writer: GenericDatumWriter<'static>,
}

impl AvroWriter {
    fn write<T: Serialize>(&self, value: &T) -> Result<Framed, Error> {
        let mut payload = self.template.start(64);
        apache_avro::write_avro_datum_ref(
            &self.schema.root,
            self.resolved.get_names(),
            value,
            &mut payload,
        )
        .map_err(|error| {
            Error::Serialize(format!("value does not fit the Avro schema: {error}"))
        })?;
        Ok(self.template.finish(payload))
    }

    /// Writes a generic value, validated against the schema first.
    fn write_value(&self, value: &Value) -> Result<Framed, Error> {
        let mut payload = self.template.start(64);
        self.datum_writer
            .write_value_ref(&mut payload, value)
            .map_err(|error| {
                Error::Serialize(format!("value does not fit the Avro schema: {error}"))
            })?;
        Ok(self.template.finish(payload))
    }
}

/// Serializes values as Avro framed with their schema id.
pub struct AvroSerializer {
    client: RegistryClient,
    config: SerializerConfig,
    /// The serializer's own schema; None to write with a registered one.
    schema: Option<Arc<Schema>>,
    record_name: Option<String>,
    writers: Cache<String, Arc<AvroWriter>>,
}

impl AvroSerializer {
    /// A serializer that writes with `schema` (Avro text; `None` with
    /// `use_schema_id` or `use_latest_version`).
    pub fn new(
        client: RegistryClient,
        schema: Option<&str>,
        config: SerializerConfig,
    ) -> Result<Self, Error> {
        Self::with_schema(
            client,
            schema.map(|text| Schema::new(SchemaType::Avro, text)),
            config,
        )
    }

    /// Like [`AvroSerializer::new`], for a schema with references to
    /// registered schemas.
    pub fn with_schema(
        client: RegistryClient,
        schema: Option<Schema>,
        config: SerializerConfig,
    ) -> Result<Self, Error> {
        let record_name = match &schema {
            // Parsing now reports a bad schema at construction; a schema
            // with references is checked when they have been fetched.
            Some(schema) if schema.references.is_empty() => {
                full_name(&intern(&schema.schema, &[])?.root)
            }
            _ => None,
        };
        let ttl = config.writer_cache_ttl(&client);
        Ok(AvroSerializer {
            client,
            config,
            schema: schema.map(Arc::new),
            record_name,
            writers: Cache::new(ttl),
        })
    }

    /// Serializes a serde value for `topic`.
    pub async fn serialize<T: Serialize>(&self, topic: &str, value: &T) -> Result<Framed, Error> {
        if let Some(framed) = self.writers.with(topic, |writer| writer.write(value)) {
            return framed;
        }
        // Boxed: the first message's registry work would otherwise make
        // every call's future as large as that whole state machine.
        Box::pin(self.writer(topic)).await?.write(value)
    }

    /// Serializes a generic Avro value for `topic`; it is validated first.
    pub async fn serialize_value(&self, topic: &str, value: &Value) -> Result<Framed, Error> {
        self.writer(topic).await?.write_value(value)
    }

    /// Serializes a value given in Avro's JSON encoding (unions as
    /// `{"branch": value}`, bytes as ISO-8859-1 strings; see `avro_json`),
    /// read with the writer schema of `topic`.
    pub async fn serialize_json(
        &self,
        topic: &str,
        json: &serde_json::Value,
    ) -> Result<Framed, Error> {
        let writer = self.writer(topic).await?;
        let value = avro_json::from_json(json, &writer.schema.root, writer.resolved.get_names())
            .map_err(|mismatch| Error::Serialize(mismatch.to_string()))?;
        writer.write_value(&value)
    }

    async fn writer(&self, topic: &str) -> Result<Arc<AvroWriter>, Error> {
        if let Some(writer) = self.writers.get(topic) {
            return Ok(writer);
        }
        self.writers
            .get_or_fetch(&topic.to_owned(), || async {
                let config = &self.config;
                let subject = config.subject_name_strategy.subject(
                    topic,
                    config.role,
                    self.record_name.as_deref(),
                )?;
                let chosen = writer_schema(
                    &self.client,
                    config,
                    &subject,
                    self.schema.as_ref(),
                    SchemaType::Avro,
                )
                .await?;
                let references = reference_texts(&self.client, &chosen.schema).await?;
                let schema = intern(&chosen.schema.schema, &references)?;
                let template = chosen.frame(config, None)?;
                let resolved = schema.resolved()?;
                let datum_writer = GenericDatumWriter::builder(&schema.root)
                    .resolved_schemata(resolved.clone())
                    .build()
                    .map_err(|error| Error::Schema(error.to_string()))?;
                Ok(Arc::new(AvroWriter {
                    template,
                    schema,
                    resolved,
                    datum_writer,
                }))
            })
            .await
    }
}

/// Reads messages written with one schema.
struct AvroReader {
    id: SchemaId,
    reader: GenericDatumReader<'static>,
    /// Whether values are resolved to a reader schema, which apache-avro
    /// only does through `Value`.
    resolves: bool,
    /// The schema values come out in (the reader schema when there is
    /// one), with its names, for converting them to JSON.
    shape: &'static AvroSchema,
    shape_names: ResolvedSchema<'static>,
}

/// Deserializes Avro messages framed with a schema id or GUID.
pub struct AvroDeserializer {
    client: RegistryClient,
    reader_schema: Option<&'static AvroSchema>,
    readers: Cache<SchemaId, Arc<AvroReader>>,
}

impl AvroDeserializer {
    /// Reads each message with its writer's schema.
    pub fn new(client: RegistryClient) -> Self {
        AvroDeserializer {
            client,
            reader_schema: None,
            readers: Cache::new(None),
        }
    }

    /// Reads each message into `reader_schema` (Avro schema resolution:
    /// defaults for fields the writer lacked, promotions, aliases).
    pub fn with_reader_schema(client: RegistryClient, reader_schema: &str) -> Result<Self, Error> {
        Ok(AvroDeserializer {
            client,
            reader_schema: Some(intern(reader_schema, &[])?),
            readers: Cache::new(None),
        })
    }

    /// Decodes a message into a serde type. `header` is the message's
    /// schema id header (`__value_schema_id` or `__key_schema_id`), if any.
    pub async fn deserialize<T: DeserializeOwned>(
        &self,
        payload: &[u8],
        header: Option<&[u8]>,
    ) -> Result<T, Error> {
        let unframed = unframe(payload, header)?;
        if let Some(value) = self
            .readers
            .with(&unframed.schema, |reader| reader.read(unframed.body))
        {
            return value;
        }
        Box::pin(self.reader(unframed.schema))
            .await?
            .read(unframed.body)
    }

    /// Decodes a message into a generic Avro value.
    pub async fn deserialize_value(
        &self,
        payload: &[u8],
        header: Option<&[u8]>,
    ) -> Result<Value, Error> {
        let unframed = unframe(payload, header)?;
        let reader = self.reader(unframed.schema).await?;
        let mut body = unframed.body;
        reader.read_value(&mut body)
    }

    /// Decodes a message into Avro's JSON encoding (see `avro_json`), in
    /// the shape of the reader schema when there is one.
    pub async fn deserialize_json(
        &self,
        payload: &[u8],
        header: Option<&[u8]>,
    ) -> Result<serde_json::Value, Error> {
        let unframed = unframe(payload, header)?;
        let reader = self.reader(unframed.schema).await?;
        let mut body = unframed.body;
        let value = reader.read_value(&mut body)?;
        avro_json::to_json(&value, &reader.shape.root, reader.shape_names.get_names()).map_err(
            |mismatch| {
                DecodeError::InvalidPayload {
                    id: reader.id,
                    reason: mismatch.to_string(),
                }
                .into()
            },
        )
    }

    async fn reader(&self, id: SchemaId) -> Result<Arc<AvroReader>, Error> {
        if let Some(reader) = self.readers.get(&id) {
            return Ok(reader);
        }
        self.readers
            .get_or_fetch(&id, || async {
                let schema = message_schema(&self.client, id, SchemaType::Avro).await?;
                let references = reference_texts(&self.client, &schema).await?;
                let writer = intern(&schema.schema, &references)?;
                let resolved_writer = writer.resolved()?;
                let shape = self.reader_schema.unwrap_or(writer);
                let shape_names = shape.resolved()?;
                let reader = match self.reader_schema {
                    Some(reader_schema) => GenericDatumReader::builder(&writer.root)
                        .resolved_writer_schemata(resolved_writer)
                        .reader_schema(&reader_schema.root)
                        .resolved_reader_schemata(reader_schema.resolved()?)
                        .build(),
                    None => GenericDatumReader::builder(&writer.root)
                        .resolved_writer_schemata(resolved_writer)
                        .build(),
                }
                .map_err(|error| Error::Schema(error.to_string()))?;
                Ok(Arc::new(AvroReader {
                    id,
                    reader,
                    resolves: self.reader_schema.is_some(),
                    shape,
                    shape_names,
                }))
            })
            .await
    }
}

impl AvroReader {
    fn read<T: DeserializeOwned>(&self, mut body: &[u8]) -> Result<T, Error> {
        if self.resolves {
            let value = self.read_value(&mut body)?;
            apache_avro::from_value(&value).map_err(|error| self.invalid(error))
        } else {
            self.reader
                .read_deser(&mut body)
                .map_err(|error| self.invalid(error))
        }
    }

    fn read_value(&self, body: &mut &[u8]) -> Result<Value, Error> {
        self.reader
            .read_value(body)
            .map_err(|error| self.invalid(error))
    }

    fn invalid(&self, error: apache_avro::Error) -> Error {
        DecodeError::InvalidPayload {
            id: self.id,
            reason: error.to_string(),
        }
        .into()
    }
}
