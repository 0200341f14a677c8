use std::io::{self, BufWriter, IsTerminal};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use accord::cli::{
    AuditArgs, BackupArgs, CheckArgs, DecodeArgs, DiffArgs, EncodeArgs, ExportArgs, HealthArgs,
    ImportArgs, KeyArgs, MigrateArgs, RegisterArgs, RoleArgs, UserArgs,
};
use accord::settings::ServeSettings;

/// Accord: a schema registry wire-compatible with Confluent Schema Registry.
#[derive(Parser)]
#[command(name = "accord", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the registry.
    Serve(ServeSettings),
    /// Encode JSON lines from stdin as framed Avro, Protobuf or JSON Schema
    /// messages, registering or looking up the schema.
    #[command(after_help = accord::cli::ENCODE_HELP)]
    Encode(EncodeArgs),
    /// Decode framed messages from stdin to JSON lines, fetching each
    /// writer's schema by id or GUID.
    #[command(after_help = accord::cli::DECODE_HELP)]
    Decode(DecodeArgs),
    /// Check the schema files of accord.toml for breaking changes, against
    /// an earlier git revision (offline) or a registry's live versions.
    #[command(after_help = accord::cli::CHECK_HELP)]
    Check(CheckArgs),
    /// Register the schema files of accord.toml, references first; schemas
    /// already registered are left alone.
    Register(RegisterArgs),
    /// Show the semantic changes between two schemas and whom each breaks.
    #[command(after_help = accord::cli::DIFF_HELP)]
    Diff(DiffArgs),
    /// Manage users (principals that sign in with a password or keys).
    User(UserArgs),
    /// Manage API keys (bearer tokens).
    Key(KeyArgs),
    /// Manage roles and role bindings.
    Role(RoleArgs),
    /// Read and verify the audit trail.
    Audit(AuditArgs),
    /// Probe a registry's health (for container health checks): exit 0 when
    /// ready.
    Health(HealthArgs),
    /// Writes a registry (an Accord database, or any Confluent-compatible
    /// registry's API) to one JSON-lines file, ids and versions included.
    Export(ExportArgs),
    /// Writes an export into a registry through IMPORT mode, every id and
    /// version kept; idempotent and resumable.
    Import(ImportArgs),
    /// Export from one registry and import into another in one go.
    Migrate(MigrateArgs),
    /// An online, consistent copy of an SQLite database.
    Backup(BackupArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let serve_command = Cli::command()
        .find_subcommand("serve")
        .cloned()
        .expect("the serve command");
    let args =
        match accord::settings::with_config_file(std::env::args_os().collect(), &serve_command) {
            Ok(args) => args,
            Err(message) => {
                eprintln!("accord: {message}");
                return ExitCode::from(2);
            }
        };
    match Cli::parse_from(args).command {
        Command::Serve(settings) => {
            // Only the server logs: encode and decode own stdout. Lines go to
            // stderr from a writer thread (blocking, never dropping, when it
            // falls behind); colours only on a terminal.
            let (writer, _flush_on_exit) =
                tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .lossy(false)
                    .finish(io::stderr());
            let filter =
                EnvFilter::try_from_env("ACCORD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
            let logs = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(writer)
                .with_ansi(io::stderr().is_terminal());
            match settings.log_format {
                accord::settings::LogFormat::Json => logs.json().flatten_event(true).init(),
                accord::settings::LogFormat::Text => logs.init(),
            }
            serve(settings).await
        }
        Command::Encode(args) => {
            let mut output = BufWriter::new(io::stdout().lock());
            accord::cli::encode(
                args,
                &mut io::stdin().lock(),
                &mut output,
                &mut io::stderr(),
            )
            .await
        }
        Command::Decode(args) => {
            let mut output = BufWriter::new(io::stdout().lock());
            accord::cli::decode(
                args,
                &mut io::stdin().lock(),
                &mut output,
                &mut io::stderr(),
            )
            .await
        }
        Command::Check(args) => {
            accord::cli::check(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Register(args) => {
            accord::cli::register(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Diff(args) => {
            accord::cli::diff(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::User(args) => {
            accord::cli::user(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Key(args) => {
            accord::cli::key(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Role(args) => {
            accord::cli::role(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Audit(args) => {
            accord::cli::audit_command(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Health(args) => {
            accord::cli::health(args, &mut io::stdout().lock(), &mut io::stderr()).await
        }
        Command::Export(args) => accord::cli::export(args, &mut io::stderr()).await,
        Command::Import(args) => accord::cli::import(args, &mut io::stderr()).await,
        Command::Migrate(args) => accord::cli::migrate(args, &mut io::stderr()).await,
        Command::Backup(args) => accord::cli::backup(args, &mut io::stderr()).await,
    }
}

async fn serve(settings: ServeSettings) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("accord: cannot listen on {}: {error}", settings.listen);
            return ExitCode::from(2);
        }
    };
    match accord::serve(listener, settings, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            eprintln!("accord: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
