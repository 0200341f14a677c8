//! The `accord` command line besides `serve`:
//! - `encode` and `decode`: JSON lines to framed Kafka message payloads and
//!   back, with the schemas of Accord or any Confluent-compatible registry,
//!   through accord-serde's serializers and deserializers;
//! - `check`, `register` and `diff`: a repository's schema files (mapped to
//!   subjects by `accord.toml`) checked against an earlier git revision or a
//!   registry, pushed to a registry, and compared change by change.

mod check;
mod decode;
mod diff;
mod encode;
mod health;
mod locate;
mod messages;
mod project;
mod register;
mod report;
mod security;
mod transfer;
mod tree;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_serde::{Auth, ClientConfig, ClientIdentity, RegistryClient, SchemaType};
use clap::{Args, ValueEnum};

pub use check::{check, CheckArgs};
pub use decode::{decode, DecodeArgs};
pub use diff::{diff, DiffArgs};
pub use encode::{encode, EncodeArgs};
pub use health::{health, HealthArgs};
pub use register::{register, RegisterArgs};
pub use security::{audit_command, key, role, user, AuditArgs, KeyArgs, RoleArgs, UserArgs};
pub use transfer::{
    backup, export, import, migrate, BackupArgs, Export, ExportArgs, ExportedVersion, ImportArgs,
    MigrateArgs, Record,
};

/// The help on message streams and exit statuses, shared by both commands.
macro_rules! stream_help {
    () => {
        "MESSAGES
  hex (the default): one message per line, the payload in lowercase hex. In
  header framing the line goes on with a space and <header-name>=<hex of the
  header value>, the header being __value_schema_id (or __key_schema_id).
  The Avro string \"ann\" written with schema 1 (whose GUID is G):
      000000000106616e6e                      prefix framing: 0x00, id 1, datum
      06616e6e __value_schema_id=01<G in hex>  header framing: 0x01, 16 bytes
  binary: each message as a 4-byte big-endian length, then the payload bytes.
  Header framing has no place in binary: it is refused.

EXIT STATUS
  0  every message was converted
  1  some messages failed; each is reported on stderr as `line N: <reason>`
     (`message N` for binary input) and the others are converted
  2  the command could not run: bad options, an unreadable file or stream,
     a schema that cannot be used, a registry that refuses (such as a schema
     that is not registered, with --no-auto-register) or cannot be reached"
    };
}

/// `accord encode --help`, after the options.
pub const ENCODE_HELP: &str = concat!(
    "INPUT
  One JSON value per line on stdin (blank lines are skipped):
  - Avro: Avro's JSON encoding, as kafka-avro-console-producer reads it: a
    union value as {\"<branch type>\": value} (null as null), bytes and fixed
    as strings of ISO-8859-1 characters, an enum as its symbol; absent record
    fields take their defaults; decimals as \"12.30\", dates and timestamps as
    numbers or ISO-8601 strings.
  - Protobuf: proto3 JSON (.proto field names or lowerCamelCase; 64-bit
    integers as strings or numbers).
  - JSON Schema: the value itself, validated against the schema.
  The messages go to stdout, in the order of the lines.

SCHEMA
  With --schema the file is registered under the subject (or looked up, with
  --no-auto-register); with --schema-id or --latest a registered schema is
  used. A --schema .proto file may import only the well-known google/protobuf
  files: for a .proto that imports others, register it with its references and
  use --schema-id or --latest, which resolve them.

",
    stream_help!()
);

/// `accord decode --help`, after the options.
pub const DECODE_HELP: &str = concat!(
    "OUTPUT
  One JSON value per line on stdout, each message read with the schema its id
  or GUID names (fetched once from the registry):
  - Avro: Avro's JSON encoding, as kafka-avro-console-consumer writes it (see
    `accord encode --help`); with --reader-schema, in that schema's shape.
  - Protobuf: proto3 JSON with the .proto field names.
  - JSON Schema: the value as written.

",
    stream_help!()
);

/// `accord check --help`, after the options.
pub const CHECK_HELP: &str = "ACCORD.TOML
  Maps schema files to subjects; paths are relative to the file:
      [defaults]
      level = \"BACKWARD\"          # optional; see LEVELS
      [[schema]]
      files = \"avro/*.avsc\"       # a path or a glob: *, ?, **
      subject = \"{stem}-{role}\"   # the default: user.avsc -> user-value
      role = \"value\"              # or \"key\"
      format = \"avro\"             # default: from the extension
      [[schema]]
      files = \"proto/order.proto\"
      subject = \"orders-value\"
      references = [{ name = \"shop/money.proto\", file = \"proto/shop/money.proto\" }]
  A .proto file's imports of other files of the project become references
  by themselves; Avro named types and JSON Schema $refs in other files are
  listed in `references`, with the name the schema uses.

AGAINST
  git:REF  the same subjects' files at a branch, tag or commit, checked here
           with the registry's own engine; no registry needed. A file that
           did not exist there is new, and passes.
  URL      the live versions of each subject in the registry, through its
           compatibility API at the subject's level.

LEVELS
  --level, else the entry's or [defaults]' level in accord.toml, else: against
  a registry, the subject's configured level; against git, BACKWARD (the
  registry default). Against git there is one earlier version, so a
  _TRANSITIVE level checks as its plain form.

EXIT STATUS
  0  every schema is compatible (or new, or unchanged)
  1  some schema breaks compatibility
  2  the check could not run: bad options, a missing or unparsable file, an
     unknown git revision, an unreachable registry";

/// `accord diff --help`, after the options.
pub const DIFF_HELP: &str = "IMPACT
  breaks readers  consumers still reading with OLD cannot read data written
                  with NEW (a FORWARD incompatibility)
  breaks writers  data already written with OLD cannot be read with NEW (a
                  BACKWARD incompatibility)

EXIT STATUS
  0  no change breaks readers or writers (or nothing changed)
  1  some change breaks readers or writers
  2  the diff could not run: a missing or unparsable schema, an unknown
     subject or version, an unreachable registry";

/// Where the registry is and how to authenticate to it.
#[derive(Args, Clone, Debug)]
pub struct RegistryArgs {
    /// The registry's URL; several, comma-separated, are tried in turn.
    #[arg(
        long = "registry",
        value_name = "URL",
        env = "ACCORD_REGISTRY_URL",
        default_value = "http://localhost:8081"
    )]
    pub url: String,
    #[command(flatten)]
    pub auth: AuthArgs,
}

impl RegistryArgs {
    fn client(&self) -> Result<RegistryClient, CliError> {
        self.auth.client(&self.url)
    }
}

/// How to authenticate to a registry, and which TLS roots to trust.
/// `Debug` hides the credentials.
#[derive(Args, Clone, Default)]
pub struct AuthArgs {
    /// HTTP basic authentication, as user:password.
    #[arg(
        long,
        value_name = "USER:PASSWORD",
        env = "ACCORD_REGISTRY_BASIC_AUTH",
        hide_env_values = true,
        conflicts_with = "bearer_token"
    )]
    pub basic_auth: Option<String>,
    /// A bearer token for the registry.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ACCORD_REGISTRY_BEARER_TOKEN",
        hide_env_values = true
    )]
    pub bearer_token: Option<String>,
    /// A PEM file of CA certificates to trust besides the system's, for a
    /// registry behind a private CA.
    #[arg(long, value_name = "FILE", env = "ACCORD_REGISTRY_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// A PEM client certificate (chain) for mutual TLS, with --client-key.
    #[arg(
        long,
        value_name = "FILE",
        env = "ACCORD_REGISTRY_CLIENT_CERT",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of --client-cert.
    #[arg(
        long,
        value_name = "FILE",
        env = "ACCORD_REGISTRY_CLIENT_KEY",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,
}

impl std::fmt::Debug for AuthArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |secret: &Option<String>| secret.as_ref().map(|_| "***");
        f.debug_struct("AuthArgs")
            .field("basic_auth", &hidden(&self.basic_auth))
            .field("bearer_token", &hidden(&self.bearer_token))
            .field("ca_cert", &self.ca_cert)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .finish()
    }
}

impl AuthArgs {
    pub(crate) fn client(&self, url: &str) -> Result<RegistryClient, CliError> {
        let mut config = ClientConfig::new(url);
        if config.urls.is_empty() {
            return Err(CliError::Usage("the registry URL is empty".to_owned()));
        }
        if let Some(credentials) = &self.basic_auth {
            let (username, password) = credentials
                .split_once(':')
                .ok_or_else(|| CliError::Usage("--basic-auth takes user:password".to_owned()))?;
            config.auth = Some(Auth::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            });
        } else if let Some(token) = &self.bearer_token {
            config.auth = Some(Auth::Bearer(token.clone()));
        }
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read(path).map_err(|source| CliError::ReadFile {
                path: path.clone(),
                source,
            })?;
            config.root_certificates_pem.push(pem);
        }
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            let read = |path: &PathBuf| {
                std::fs::read(path).map_err(|source| CliError::ReadFile {
                    path: path.clone(),
                    source,
                })
            };
            config.client_identity = Some(ClientIdentity::from_pem(&read(cert)?, &read(key)?));
        }
        RegistryClient::new(config).map_err(CliError::Codec)
    }
}

/// The schema format of the messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Avro,
    Protobuf,
    /// JSON Schema.
    Json,
}

impl From<Format> for SchemaType {
    fn from(format: Format) -> SchemaType {
        match format {
            Format::Avro => SchemaType::Avro,
            Format::Protobuf => SchemaType::Protobuf,
            Format::Json => SchemaType::Json,
        }
    }
}

/// How framed messages are written or read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StreamEncoding {
    /// One message per line, in hex.
    #[default]
    Hex,
    /// Length-prefixed raw bytes.
    Binary,
}

/// Why a command could not run at all (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {}: {source}", path.display())]
    ReadFile { path: PathBuf, source: io::Error },
    #[error("input/output error: {0}")]
    Io(#[from] io::Error),
    /// The binary input stream is cut short.
    #[error("{0}")]
    Truncated(String),
    #[error(transparent)]
    Codec(accord_serde::Error),
}

fn read_file(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

/// The exit status of a run that converted every message but `failures`,
/// or could not run.
fn exit_status(command: &str, result: Result<usize, CliError>, errors: &mut dyn Write) -> ExitCode {
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            let _ = writeln!(errors, "accord {command}: {error}");
            ExitCode::from(2)
        }
    }
}
