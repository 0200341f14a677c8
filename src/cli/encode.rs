//! `accord encode`: JSON lines in, framed messages out.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use accord_schema::protobuf::ProtobufSchema;
use accord_schema::ResolvedReference;
use accord_serde::{
    AvroSerializer, Error, Framed, Framing, JsonSerializer, ProtobufSerializer, RegistryClient,
    Role, Schema, SchemaType, SerializerConfig, SubjectNameStrategy,
};
use clap::{ArgGroup, Args, ValueEnum};
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::error::Category;

use super::messages::{write_message, Location};
use super::{exit_status, read_file, CliError, Format, RegistryArgs, StreamEncoding};

/// Options of `accord encode`, named after the Confluent serializer
/// settings they set.
#[derive(Args, Clone, Debug)]
#[command(group(ArgGroup::new("writer_schema").required(true).args(["schema", "schema_id", "latest"])))]
pub struct EncodeArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The schema format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The topic the messages are for; it names the subject.
    #[arg(long)]
    pub topic: String,
    /// Encode message keys: subject <topic>-key, header __key_schema_id.
    #[arg(long)]
    pub key: bool,
    /// The schema to register (or look up): an .avsc, a JSON Schema, or a
    /// .proto file.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Protobuf: the full name of the message the lines hold (default: the
    /// first message of the schema).
    #[arg(long, value_name = "FULL_NAME")]
    pub message: Option<String>,
    /// Write with the registered schema of this id (use.schema.id).
    #[arg(long, value_name = "ID", conflicts_with = "latest")]
    pub schema_id: Option<u32>,
    /// Write with the subject's latest version (use.latest.version).
    #[arg(long)]
    pub latest: bool,
    /// Look the schema up instead of registering it
    /// (auto.register.schemas=false): an unregistered schema is an error.
    #[arg(long)]
    pub no_auto_register: bool,
    /// Have the registry normalize the schema (normalize.schemas).
    #[arg(long)]
    pub normalize: bool,
    /// How the subject is named: <topic>-value, the record name, or
    /// <topic>-<record name>.
    #[arg(long, value_enum, default_value_t = StrategyArg::Topic)]
    pub subject_name_strategy: StrategyArg,
    /// Where the schema id goes: a payload prefix (0x00 + 4-byte id) or a
    /// header (0x01 + GUID).
    #[arg(long, value_enum, default_value_t = FramingArg::Prefix)]
    pub framing: FramingArg,
    /// How messages are written to stdout.
    #[arg(long, value_enum, default_value_t = StreamEncoding::Hex)]
    pub output: StreamEncoding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Topic,
    Record,
    TopicRecord,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FramingArg {
    Prefix,
    Header,
}

impl EncodeArgs {
    fn serializer_config(&self) -> SerializerConfig {
        SerializerConfig {
            auto_register: !(self.no_auto_register || self.schema_id.is_some() || self.latest),
            use_latest_version: self.latest,
            use_schema_id: self.schema_id,
            normalize: self.normalize,
            subject_name_strategy: match self.subject_name_strategy {
                StrategyArg::Topic => SubjectNameStrategy::Topic,
                StrategyArg::Record => SubjectNameStrategy::Record,
                StrategyArg::TopicRecord => SubjectNameStrategy::TopicRecord,
            },
            role: if self.key { Role::Key } else { Role::Value },
            framing: match self.framing {
                FramingArg::Prefix => Framing::Prefix,
                FramingArg::Header => Framing::Header,
            },
            validate: true,
        }
    }

    fn check(&self) -> Result<(), CliError> {
        if self.framing == FramingArg::Header && self.output == StreamEncoding::Binary {
            return Err(CliError::Usage(
                "header framing puts the schema id in a Kafka header, which binary output has \
                 no place for: use --output hex, or --framing prefix"
                    .to_owned(),
            ));
        }
        if self.message.is_some() && self.format != Format::Protobuf {
            return Err(CliError::Usage(
                "--message names a Protobuf message; it needs --format protobuf".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Why one line could not be encoded; the others still are.
#[derive(Debug, thiserror::Error)]
enum LineError {
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("does not fit message {message}: {source}")]
    NotMessage {
        message: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Codec(Error),
}

/// A serializer for the chosen format, with what it needs to read JSON.
enum Encoder {
    Avro(AvroSerializer),
    Json(JsonSerializer),
    Protobuf {
        serializer: ProtobufSerializer,
        message: MessageDescriptor,
    },
}

impl Encoder {
    async fn new(args: &EncodeArgs, client: RegistryClient) -> Result<Self, CliError> {
        let config = args.serializer_config();
        let schema = args.schema.as_deref().map(read_file).transpose()?;
        Ok(match args.format {
            Format::Avro => Encoder::Avro(
                AvroSerializer::new(client, schema.as_deref(), config).map_err(CliError::Codec)?,
            ),
            Format::Json => Encoder::Json(
                JsonSerializer::new(client, schema.as_deref(), config).map_err(CliError::Codec)?,
            ),
            Format::Protobuf => {
                let parsed = match (&schema, &args.schema) {
                    (Some(text), Some(path)) => ProtobufSchema::parse(text, &[])
                        .map_err(|error| CliError::Usage(format!("{}: {error}", path.display())))?,
                    _ => registered_proto(args, &config, &client).await?,
                };
                let name = match &args.message {
                    Some(name) => name.trim_start_matches('.').to_owned(),
                    None => parsed.name().ok_or_else(|| {
                        CliError::Usage("the Protobuf schema has no message".to_owned())
                    })?,
                };
                let message = parsed
                    .file()
                    .parent_pool()
                    .get_message_by_name(&name)
                    .ok_or_else(|| {
                        CliError::Usage(format!(
                            "the Protobuf schema has no message {name} (its messages: {})",
                            parsed.message_names().join(", ")
                        ))
                    })?;
                Encoder::Protobuf {
                    serializer: ProtobufSerializer::new(client, config),
                    message,
                }
            }
        })
    }

    async fn encode(&self, topic: &str, line: &str) -> Result<Framed, LineError> {
        let not_json = LineError::NotJson;
        match self {
            Encoder::Avro(serializer) => {
                let value = serde_json::from_str(line).map_err(not_json)?;
                serializer.serialize_json(topic, &value).await
            }
            Encoder::Json(serializer) => {
                let value: serde_json::Value = serde_json::from_str(line).map_err(not_json)?;
                serializer.serialize(topic, &value).await
            }
            Encoder::Protobuf {
                serializer,
                message,
            } => {
                let mut deserializer = serde_json::Deserializer::from_str(line);
                let dynamic = DynamicMessage::deserialize(message.clone(), &mut deserializer)
                    .and_then(|dynamic| deserializer.end().map(|()| dynamic))
                    .map_err(|source| match source.classify() {
                        Category::Syntax | Category::Eof | Category::Io => not_json(source),
                        Category::Data => LineError::NotMessage {
                            message: message.full_name().to_owned(),
                            source,
                        },
                    })?;
                serializer.serialize(topic, &dynamic).await
            }
        }
        .map_err(LineError::Codec)
    }
}

/// The registered schema a Protobuf message is written with (by id, or the
/// subject's latest), compiled with its references, to read JSON with.
async fn registered_proto(
    args: &EncodeArgs,
    config: &SerializerConfig,
    client: &RegistryClient,
) -> Result<ProtobufSchema, CliError> {
    let schema: Arc<Schema> = match args.schema_id {
        Some(id) => client.schema_by_id(id).await,
        None => {
            let subject = config
                .subject_name_strategy
                .subject(&args.topic, config.role, args.message.as_deref())
                .map_err(CliError::Codec)?;
            client
                .latest_version(&subject)
                .await
                .map(|latest| latest.schema.clone())
        }
    }
    .map_err(|error| CliError::Codec(error.into()))?;
    if schema.schema_type != SchemaType::Protobuf {
        return Err(CliError::Usage(format!(
            "the registered schema is {}, not PROTOBUF",
            schema.schema_type
        )));
    }
    let references = client
        .referenced_schemas(&schema)
        .await
        .map_err(|error| CliError::Codec(error.into()))?;
    let resolved: Vec<ResolvedReference<'_>> = references
        .iter()
        .map(|(name, schema)| ResolvedReference {
            name,
            schema: &schema.schema,
        })
        .collect();
    ProtobufSchema::parse(&schema.schema, &resolved)
        .map_err(|error| CliError::Usage(format!("the registered schema: {error}")))
}

/// Whether a serializer error stops the run: everything but a value that
/// does not fit its schema is about the schema or the registry, and would
/// fail every other line the same way.
fn stops_the_run(error: &Error) -> bool {
    !matches!(error, Error::Serialize(_) | Error::Decode(_))
}

async fn run(
    args: &EncodeArgs,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    errors: &mut dyn Write,
) -> Result<usize, CliError> {
    args.check()?;
    let encoder = Encoder::new(args, args.registry.client()?).await?;
    let mut failures = 0;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let encoded = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => encoder.encode(&args.topic, text.trim()).await,
            Err(_) => Err(LineError::NotUtf8),
        };
        match encoded {
            Ok(framed) => write_message(output, args.output, &framed)?,
            Err(LineError::Codec(error)) if stops_the_run(&error) => {
                return Err(CliError::Codec(error))
            }
            Err(error) => {
                failures += 1;
                let _ = writeln!(errors, "{}: {error}", Location::Line(number));
            }
        }
    }
    output.flush()?;
    Ok(failures)
}

/// Encodes each JSON line of `input` as a framed message on `output`;
/// reports failed lines on `errors`.
pub async fn encode(
    args: EncodeArgs,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    errors: &mut dyn Write,
) -> ExitCode {
    let result = run(&args, input, output, errors).await;
    exit_status("encode", result, errors)
}
