//! `accord decode`: framed messages in, JSON lines out.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use accord_serde::{AvroDeserializer, Error, JsonDeserializer, ProtobufDeserializer};
use clap::Args;
use prost_reflect::SerializeOptions;

use super::messages::MessageReader;
use super::{exit_status, read_file, CliError, Format, RegistryArgs, StreamEncoding};

/// Options of `accord decode`.
#[derive(Args, Clone, Debug)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The schema format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// How messages are read from stdin.
    #[arg(long, value_enum, default_value_t = StreamEncoding::Hex)]
    pub input: StreamEncoding,
    /// Avro: read every message into this schema (Avro schema resolution)
    /// instead of its writer's schema.
    #[arg(long, value_name = "FILE")]
    pub reader_schema: Option<PathBuf>,
    /// JSON Schema: do not validate messages against their schema.
    #[arg(long)]
    pub no_validate: bool,
}

impl DecodeArgs {
    fn check(&self) -> Result<(), CliError> {
        if self.reader_schema.is_some() && self.format != Format::Avro {
            return Err(CliError::Usage(
                "--reader-schema is an Avro schema; it needs --format avro".to_owned(),
            ));
        }
        if self.no_validate && self.format != Format::Json {
            return Err(CliError::Usage(
                "--no-validate turns off JSON Schema validation; it needs --format json".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Why one message could not be decoded; the others still are.
#[derive(Debug, thiserror::Error)]
enum MessageError {
    #[error("{0}")]
    Frame(String),
    #[error(transparent)]
    Codec(Error),
    #[error("cannot write the message as JSON: {0}")]
    ToJson(serde_json::Error),
}

enum Decoder {
    Avro(AvroDeserializer),
    Protobuf(ProtobufDeserializer),
    Json(JsonDeserializer),
}

impl Decoder {
    fn new(args: &DecodeArgs) -> Result<Self, CliError> {
        let client = args.registry.client()?;
        Ok(match args.format {
            Format::Avro => Decoder::Avro(match &args.reader_schema {
                Some(path) => AvroDeserializer::with_reader_schema(client, &read_file(path)?)
                    .map_err(CliError::Codec)?,
                None => AvroDeserializer::new(client),
            }),
            Format::Protobuf => Decoder::Protobuf(ProtobufDeserializer::new(client)),
            Format::Json => Decoder::Json(JsonDeserializer::new(client, !args.no_validate)),
        })
    }

    /// The message as one line of JSON text.
    async fn decode(&self, payload: &[u8], header: Option<&[u8]>) -> Result<Vec<u8>, MessageError> {
        let value = match self {
            Decoder::Avro(deserializer) => deserializer.deserialize_json(payload, header).await,
            Decoder::Json(deserializer) => deserializer.deserialize(payload, header).await,
            Decoder::Protobuf(deserializer) => {
                let message = deserializer
                    .deserialize_dynamic(payload, header)
                    .await
                    .map_err(MessageError::Codec)?;
                let mut json = Vec::new();
                message
                    .serialize_with_options(
                        &mut serde_json::Serializer::new(&mut json),
                        &SerializeOptions::new().use_proto_field_name(true),
                    )
                    .map_err(MessageError::ToJson)?;
                return Ok(json);
            }
        }
        .map_err(MessageError::Codec)?;
        serde_json::to_vec(&value).map_err(MessageError::ToJson)
    }
}

/// Whether a deserializer error stops the run: a registry that refuses or
/// cannot be reached would fail every other message too. A message whose
/// schema is unknown or unusable fails alone.
fn stops_the_run(error: &Error) -> bool {
    matches!(error, Error::Registry(_) | Error::Config(_))
}

async fn run(
    args: &DecodeArgs,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    errors: &mut dyn Write,
) -> Result<usize, CliError> {
    args.check()?;
    let decoder = Decoder::new(args)?;
    let mut reader = MessageReader::new(input, args.input);
    let mut failures = 0;
    while let Some((location, incoming)) = reader.next_message()? {
        let decoded = match incoming {
            Ok(incoming) => {
                decoder
                    .decode(&incoming.payload, incoming.header.as_deref())
                    .await
            }
            Err(reason) => Err(MessageError::Frame(reason)),
        };
        match decoded {
            Ok(json) => {
                output.write_all(&json)?;
                output.write_all(b"\n")?;
            }
            Err(MessageError::Codec(error)) if stops_the_run(&error) => {
                return Err(CliError::Codec(error))
            }
            Err(error) => {
                failures += 1;
                let _ = writeln!(errors, "{location}: {error}");
            }
        }
    }
    output.flush()?;
    Ok(failures)
}

/// Decodes each framed message of `input` to a JSON line on `output`;
/// reports failed messages on `errors`.
pub async fn decode(
    args: DecodeArgs,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    errors: &mut dyn Write,
) -> ExitCode {
    let result = run(&args, input, output, errors).await;
    exit_status("decode", result, errors)
}
