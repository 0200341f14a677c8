//! Protobuf: prost messages that know their descriptor (`ReflectMessage`,
//! e.g. from prost-reflect's derive) and `DynamicMessage`s, framed with the
//! schema id and the message indexes that name the message in its file.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use accord_schema::protobuf::ProtobufSchema;
use accord_schema::{ResolvedReference, SchemaType};
use base64::Engine;
use prost::Message;
use prost_reflect::{DynamicMessage, FileDescriptor, MessageDescriptor, ReflectMessage};

use crate::cache::{Cache, FastMap};
use crate::client::{Reference, RegistryClient, Schema};
use crate::config::{message_schema, reference_texts, writer_schema, SerializerConfig};
use crate::error::{DecodeError, Error};
use crate::framing::{read_message_indexes, unframe, FrameTemplate, Framed, Framing, SchemaId};

/// Files every registry knows without being told (Confluent's built-ins);
/// they are imported, never registered or referenced.
fn is_builtin(file_name: &str) -> bool {
    ["google/protobuf/", "google/type/", "confluent/"]
        .iter()
        .any(|prefix| file_name.starts_with(prefix))
}

/// The message's path in its file: its index among the messages (not map
/// entries, which the .proto text does not declare) at each nesting level.
pub fn message_indexes(message: &MessageDescriptor) -> Vec<i32> {
    let mut indexes = Vec::new();
    let mut current = message.clone();
    loop {
        let siblings: Vec<MessageDescriptor> = match current.parent_message() {
            Some(parent) => parent.child_messages().collect(),
            None => current.parent_file().messages().collect(),
        };
        let position = siblings
            .iter()
            .filter(|sibling| !sibling.is_map_entry())
            .position(|sibling| sibling.full_name() == current.full_name())
            .unwrap_or(0);
        indexes.push(position as i32);
        match current.parent_message() {
            Some(parent) => current = parent,
            None => break,
        }
    }
    indexes.reverse();
    indexes
}

/// A file as the registry is sent it: a base64 `FileDescriptorProto`, as
/// Confluent's Python and JavaScript serializers send it.
fn file_schema(file: &FileDescriptor, versions: &HashMap<String, i32>) -> Schema {
    let bytes = file.file_descriptor_proto().encode_to_vec();
    let references = file
        .dependencies()
        .filter(|dependency| !is_builtin(dependency.name()))
        .map(|dependency| Reference {
            name: dependency.name().to_owned(),
            subject: dependency.name().to_owned(),
            version: versions.get(dependency.name()).copied().unwrap_or(1),
        })
        .collect();
    Schema {
        schema_type: SchemaType::Protobuf,
        schema: base64::engine::general_purpose::STANDARD.encode(bytes),
        references,
        guid: None,
    }
}

/// The imports of `file` that must be registered, dependencies first.
fn imports_in_order(file: &FileDescriptor) -> Vec<FileDescriptor> {
    fn visit(file: &FileDescriptor, seen: &mut Vec<String>, out: &mut Vec<FileDescriptor>) {
        for dependency in file.dependencies() {
            if is_builtin(dependency.name()) || seen.iter().any(|name| name == dependency.name()) {
                continue;
            }
            seen.push(dependency.name().to_owned());
            visit(&dependency, seen, out);
            out.push(dependency);
        }
    }
    let mut out = Vec::new();
    visit(file, &mut Vec::new(), &mut out);
    out
}

/// Which kind of message a writer was set up for: a generated type, known
/// by its type alone, or a dynamic message, known by its descriptor.
#[derive(Clone, PartialEq, Eq, Hash)]
enum MessageKind {
    Type(TypeId),
    Dynamic(String),
}

struct ProtobufWriter {
    template: FrameTemplate,
}

impl ProtobufWriter {
    fn write<M: Message>(&self, message: &M) -> Result<Framed, Error> {
        let mut payload = self.template.start(message.encoded_len());
        // The buffer has room: `encode` would only measure the message again.
        message.encode_raw(&mut payload);
        Ok(self.template.finish(payload))
    }
}

type WriterKey = (String, MessageKind);

/// Serializes Protobuf messages framed with their schema id and indexes.
pub struct ProtobufSerializer {
    client: RegistryClient,
    config: SerializerConfig,
    /// The hot path: topic, then message kind, without allocating.
    writers: RwLock<FastMap<String, FastMap<MessageKind, Arc<ProtobufWriter>>>>,
    /// The slow path, one registration per (topic, message) at a time.
    pending: Cache<WriterKey, Arc<ProtobufWriter>>,
}

impl ProtobufSerializer {
    pub fn new(client: RegistryClient, config: SerializerConfig) -> Self {
        let ttl = config.writer_cache_ttl(&client);
        ProtobufSerializer {
            client,
            config,
            writers: RwLock::new(FastMap::default()),
            pending: Cache::new(ttl),
        }
    }

    /// Serializes `message` for `topic`. The first message of a type
    /// registers (or looks up) its file and the files it imports.
    pub async fn serialize<M: ReflectMessage + 'static>(
        &self,
        topic: &str,
        message: &M,
    ) -> Result<Framed, Error> {
        // A generated type's descriptor is found by name in a pool; its
        // TypeId is free. A DynamicMessage must be told apart by name.
        let kind = if TypeId::of::<M>() == TypeId::of::<DynamicMessage>() {
            MessageKind::Dynamic(message.descriptor().full_name().to_owned())
        } else {
            MessageKind::Type(TypeId::of::<M>())
        };
        let cached = {
            let writers = self.writers.read().unwrap_or_else(PoisonError::into_inner);
            writers
                .get(topic)
                .and_then(|kinds| kinds.get(&kind))
                .map(|writer| writer.write(message))
        };
        if let Some(framed) = cached {
            return framed;
        }
        // Boxed, as in the Avro serializer: keeps this future small.
        Box::pin(self.writer(topic, kind, &message.descriptor()))
            .await?
            .write(message)
    }

    async fn writer(
        &self,
        topic: &str,
        kind: MessageKind,
        descriptor: &MessageDescriptor,
    ) -> Result<Arc<ProtobufWriter>, Error> {
        let key = (topic.to_owned(), kind.clone());
        let writer = self
            .pending
            .get_or_fetch(&key, || self.register(topic, descriptor))
            .await?;
        // A writer that follows the latest version expires; only the
        // pending cache, which has the TTL, may keep it.
        if !self.config.follows_latest() {
            self.writers
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(topic.to_owned())
                .or_default()
                .insert(kind, writer.clone());
        }
        Ok(writer)
    }

    async fn register(
        &self,
        topic: &str,
        descriptor: &MessageDescriptor,
    ) -> Result<Arc<ProtobufWriter>, Error> {
        let config = &self.config;
        let subject = config.subject_name_strategy.subject(
            topic,
            config.role,
            Some(descriptor.full_name()),
        )?;
        let file = descriptor.parent_file();
        let own = if config.auto_register
            || config.use_schema_id.is_none() && !config.use_latest_version
        {
            let mut versions = HashMap::new();
            for import in imports_in_order(&file) {
                let schema = file_schema(&import, &versions);
                let subject = import.name();
                let registration = if config.auto_register {
                    self.client
                        .register(subject, &schema, config.normalize)
                        .await?
                } else {
                    self.client
                        .lookup(subject, &schema, config.normalize)
                        .await?
                };
                let version = match registration.version {
                    Some(version) => version,
                    None => self
                        .client
                        .lookup(subject, &schema, config.normalize)
                        .await?
                        .version
                        .ok_or_else(|| {
                            Error::Registry(crate::RegistryError::InvalidResponse(format!(
                                "no version in the lookup of {subject}"
                            )))
                        })?,
                };
                versions.insert(import.name().to_owned(), version);
            }
            Some(Arc::new(file_schema(&file, &versions)))
        } else {
            None
        };
        let chosen = writer_schema(
            &self.client,
            config,
            &subject,
            own.as_ref(),
            SchemaType::Protobuf,
        )
        .await?;
        let template = chosen.frame(config, Some(&message_indexes(descriptor)))?;
        Ok(Arc::new(ProtobufWriter { template }))
    }
}

/// A writer's schema, compiled, with its messages by index path.
struct ProtobufReader {
    id: SchemaId,
    messages: FastMap<Vec<i32>, MessageDescriptor>,
}

impl ProtobufReader {
    fn message(&self, located: &Located<'_>) -> Result<&MessageDescriptor, Error> {
        self.messages.get(&*located.indexes).ok_or_else(|| {
            DecodeError::UnknownMessage {
                id: self.id,
                indexes: located.indexes.to_vec(),
            }
            .into()
        })
    }

    fn decode<M: Message + Default>(&self, located: &Located<'_>) -> Result<M, Error> {
        self.message(located)?;
        M::decode(located.body).map_err(|error| self.invalid(error))
    }

    fn decode_dynamic(&self, located: &Located<'_>) -> Result<DynamicMessage, Error> {
        let descriptor = self.message(located)?.clone();
        DynamicMessage::decode(descriptor, located.body).map_err(|error| self.invalid(error))
    }

    fn invalid(&self, error: prost::DecodeError) -> Error {
        DecodeError::InvalidPayload {
            id: self.id,
            reason: error.to_string(),
        }
        .into()
    }
}

/// A message with its framing read: the writer's schema, the message
/// indexes and the message bytes.
struct Located<'a> {
    schema: SchemaId,
    indexes: Cow<'static, [i32]>,
    body: &'a [u8],
}

fn locate<'a>(payload: &'a [u8], header: Option<&'a [u8]>) -> Result<Located<'a>, Error> {
    let unframed = unframe(payload, header)?;
    if unframed.framing == Framing::Header && unframed.after_id.is_empty() {
        return Err(DecodeError::Truncated {
            what: "message indexes",
            needed: 1,
            available: 0,
        }
        .into());
    }
    // The first message, by far the most common, costs no allocation.
    let (indexes, rest) = match unframed.after_id.split_first() {
        Some((0, rest)) => (Cow::Borrowed(&[0][..]), rest),
        _ => {
            let (indexes, rest) = read_message_indexes(unframed.after_id)?;
            (Cow::Owned(indexes), rest)
        }
    };
    let body = match unframed.framing {
        Framing::Prefix => rest,
        Framing::Header => unframed.body,
    };
    Ok(Located {
        schema: unframed.schema,
        indexes,
        body,
    })
}

/// Deserializes Protobuf messages framed with a schema id or GUID.
pub struct ProtobufDeserializer {
    client: RegistryClient,
    readers: Cache<SchemaId, Arc<ProtobufReader>>,
}

impl ProtobufDeserializer {
    pub fn new(client: RegistryClient) -> Self {
        ProtobufDeserializer {
            client,
            readers: Cache::new(None),
        }
    }

    /// Decodes a message into a generated type `M`. The message indexes
    /// must name a message of the writer's schema.
    pub async fn deserialize<M: Message + Default>(
        &self,
        payload: &[u8],
        header: Option<&[u8]>,
    ) -> Result<M, Error> {
        let located = locate(payload, header)?;
        if let Some(message) = self
            .readers
            .with(&located.schema, |reader| reader.decode(&located))
        {
            return message;
        }
        Box::pin(self.reader(located.schema))
            .await?
            .decode(&located)
    }

    /// Decodes a message with the writer's schema, whatever its type.
    pub async fn deserialize_dynamic(
        &self,
        payload: &[u8],
        header: Option<&[u8]>,
    ) -> Result<DynamicMessage, Error> {
        let located = locate(payload, header)?;
        self.reader(located.schema).await?.decode_dynamic(&located)
    }

    async fn reader(&self, id: SchemaId) -> Result<Arc<ProtobufReader>, Error> {
        if let Some(reader) = self.readers.get(&id) {
            return Ok(reader);
        }
        self.readers
            .get_or_fetch(&id, || async {
                let schema = message_schema(&self.client, id, SchemaType::Protobuf).await?;
                let references = reference_texts(&self.client, &schema).await?;
                let resolved: Vec<ResolvedReference<'_>> = references
                    .iter()
                    .map(|(name, schema)| ResolvedReference { name, schema })
                    .collect();
                let parsed = ProtobufSchema::parse(&schema.schema, &resolved)
                    .map_err(|error| Error::Schema(format!("schema {id}: {error}")))?;
                let pool = parsed.file().parent_pool().clone();
                let messages = parsed
                    .message_names()
                    .into_iter()
                    .filter_map(|name| {
                        let indexes = parsed.message_indexes(&name)?;
                        let descriptor = pool.get_message_by_name(&name)?;
                        Some((indexes, descriptor))
                    })
                    .collect();
                Ok(Arc::new(ProtobufReader { id, messages }))
            })
            .await
    }
}
