//! `accord serve` settings (process flags, with `ACCORD_…` environment
//! fallbacks). The registry's own limits are `registry::RegistryOptions`;
//! Confluent's per-subject config and mode live in `registry::config`.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use accord_schema::CompatibilityLevel;
use clap::Args;

use crate::registry::DEFAULT_CACHE_MAX_BYTES;

#[derive(Clone, Debug, Args)]
pub struct ServeSettings {
    /// A TOML file of settings, named as the flags are without their
    /// dashes (`listen = "0.0.0.0:8081"`, `tls-cert = "…"`). Flags and
    /// environment variables override it.
    #[arg(long = "config", env = "ACCORD_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// How log lines are written: `text`, or `json` (one object a line).
    /// Every request logs one line at `info` (target `accord::request`).
    #[arg(
        long = "log-format",
        env = "ACCORD_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Address to listen on.
    #[arg(
        long = "listen",
        env = "ACCORD_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    pub listen: SocketAddr,

    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(
        long = "database",
        env = "ACCORD_DATABASE_URL",
        default_value = "sqlite://accord.db"
    )]
    pub database_url: DatabaseUrl,

    /// Largest schema accepted, in bytes.
    #[arg(long = "max-schema-bytes", env = "ACCORD_MAX_SCHEMA_BYTES", default_value_t = 1024 * 1024)]
    pub max_schema_bytes: usize,

    /// Compatibility level where no config sets one.
    #[arg(long = "default-compatibility", env = "ACCORD_DEFAULT_COMPATIBILITY", default_value = "BACKWARD", value_parser = parse_level)]
    pub default_compatibility: CompatibilityLevel,

    /// Memory budget of all caches together, in bytes (schemas, subject
    /// versions, settings, parsed schemas, rendered responses).
    #[arg(long = "cache-max-bytes", env = "ACCORD_CACHE_MAX_BYTES", default_value_t = DEFAULT_CACHE_MAX_BYTES)]
    pub cache_max_bytes: u64,

    /// Serve callers without credentials. Alone, it lets a registry with no
    /// principals listen on a non-loopback address; `=ROLE` also grants
    /// anonymous callers that role on everything once authentication is on
    /// (by default they then get 401).
    #[arg(
        long = "allow-anonymous",
        env = "ACCORD_ALLOW_ANONYMOUS",
        num_args = 0..=1,
        default_missing_value = "",
        value_name = "ROLE"
    )]
    pub allow_anonymous: Option<String>,

    /// Also append every audit event, as one JSON object per line, to this
    /// file (for shipping to central logging).
    #[arg(long = "audit-log", env = "ACCORD_AUDIT_LOG", value_name = "FILE")]
    pub audit_log: Option<std::path::PathBuf>,

    /// Serve HTTPS with this PEM certificate chain (with --tls-key);
    /// reloaded on SIGHUP or when the file changes.
    #[arg(
        long = "tls-cert",
        env = "ACCORD_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(
        long = "tls-key",
        env = "ACCORD_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<std::path::PathBuf>,

    /// Verify client certificates against these PEM CA certificates; a
    /// verified certificate's subject common name signs in as the
    /// principal of that name.
    #[arg(
        long = "tls-client-ca",
        env = "ACCORD_TLS_CLIENT_CA",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_client_ca: Option<std::path::PathBuf>,

    /// With --tls-client-ca: whether a client certificate is required or
    /// only requested.
    #[arg(
        long = "tls-client-auth",
        env = "ACCORD_TLS_CLIENT_AUTH",
        value_enum,
        default_value = "required"
    )]
    pub tls_client_auth: crate::tls::ClientAuth,

    /// Accept bearer JWTs from this OIDC issuer (its `iss`); turns
    /// authentication on.
    #[arg(
        long = "oidc-issuer",
        env = "ACCORD_OIDC_ISSUER",
        value_name = "URL",
        requires = "oidc_audience"
    )]
    pub oidc_issuer: Option<String>,

    /// The audience (`aud`) tokens must be for.
    #[arg(
        long = "oidc-audience",
        env = "ACCORD_OIDC_AUDIENCE",
        requires = "oidc_issuer"
    )]
    pub oidc_audience: Option<String>,

    /// The issuer's signing keys: a JWKS file or URL (default: the
    /// `jwks_uri` of the issuer's discovery document).
    #[arg(long = "oidc-jwks", env = "ACCORD_OIDC_JWKS", value_name = "FILE|URL")]
    pub oidc_jwks: Option<crate::auth::JwksSource>,

    /// The claim holding the caller's roles (a list or space-separated;
    /// dotted for nested claims such as `realm_access.roles`); each is a
    /// role granted on everything, or `role@resource`.
    #[arg(
        long = "oidc-roles-claim",
        env = "ACCORD_OIDC_ROLES_CLAIM",
        default_value = "roles"
    )]
    pub oidc_roles_claim: String,

    /// The claim naming the principal.
    #[arg(
        long = "oidc-principal-claim",
        env = "ACCORD_OIDC_PRINCIPAL_CLAIM",
        default_value = "sub"
    )]
    pub oidc_principal_claim: String,

    /// Answer a read the caller may not make with the "not found" it would
    /// get for a subject or schema that does not exist (as Karapace does),
    /// instead of Confluent's 403.
    #[arg(
        long = "deny-reads-as-not-found",
        env = "ACCORD_DENY_READS_AS_NOT_FOUND"
    )]
    pub deny_reads_as_not_found: bool,

    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[arg(
        long = "oidc-clock-skew",
        env = "ACCORD_OIDC_CLOCK_SKEW",
        default_value_t = 60
    )]
    pub oidc_clock_skew: u64,

    /// Seconds a client has to send a request's head, counted from when the
    /// connection is ready for it (so also how long a keep-alive connection
    /// may wait for its next request).
    #[arg(long = "header-read-timeout", env = "ACCORD_HEADER_READ_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,

    /// Seconds a client has to send a request's whole body, from its head;
    /// a slower body gets 408 and the connection is closed.
    #[arg(long = "body-read-timeout", env = "ACCORD_BODY_READ_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout: u64,

    /// Seconds after which a request not yet answered gets 500/50002 (its
    /// work is cancelled; a write is rolled back unless it committed).
    #[arg(long = "request-timeout", env = "ACCORD_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    /// Seconds after which a connection on which no byte moves either way
    /// is closed (a client that stops reading its response). Longer than
    /// --request-timeout, which bounds the wait for a handler.
    #[arg(long = "idle-timeout", env = "ACCORD_IDLE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Connections served at once; more wait in the accept backlog.
    #[arg(long = "max-connections", env = "ACCORD_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
}

/// The format of log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_level(raw: &str) -> Result<CompatibilityLevel, String> {
    raw.parse()
        .map_err(|()| format!("unknown compatibility level {raw:?}"))
}

/// A database URL, which may carry a password: `Debug` and `Display` show
/// it with the password hidden.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL itself, password included, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(DatabaseUrl(raw.to_owned()))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_password(&self.0))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Hides the password of a database URL for logs and errors.
pub fn redact_password(url: &str) -> String {
    let url = match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    };
    // `postgres://user@host/db?password=…` carries it as a parameter too.
    match url.find("password=") {
        Some(start) => {
            let value_start = start + "password=".len();
            let end = url[value_start..]
                .find('&')
                .map_or(url.len(), |end| value_start + end);
            format!("{}***{}", &url[..value_start], &url[end..])
        }
        None => url,
    }
}

impl ServeSettings {
    /// The role `--allow-anonymous=ROLE` grants, if any.
    /// `true` (as environment files write a flag) allows anonymous callers
    /// without naming a role, like the bare flag.
    pub fn anonymous_role(&self) -> Option<&str> {
        self.allow_anonymous
            .as_deref()
            .map(str::trim)
            .filter(|role| !role.is_empty() && !role.eq_ignore_ascii_case("true"))
    }

    /// The TLS files, when HTTPS is on.
    pub fn tls_files(&self) -> Option<crate::tls::TlsFiles> {
        Some(crate::tls::TlsFiles {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
            client_auth: self.tls_client_auth,
        })
    }

    /// The OIDC settings, when an issuer is configured.
    pub fn oidc(&self) -> Option<crate::auth::OidcSettings> {
        Some(crate::auth::OidcSettings {
            issuer: self.oidc_issuer.clone()?,
            audience: self.oidc_audience.clone()?,
            jwks: self
                .oidc_jwks
                .clone()
                .unwrap_or(crate::auth::JwksSource::Discovery),
            roles_claim: self.oidc_roles_claim.clone(),
            principal_claim: self.oidc_principal_claim.clone(),
            clock_skew: std::time::Duration::from_secs(self.oidc_clock_skew),
        })
    }

    /// Settings for a given database with every other value at its default.
    pub fn for_database(database_url: &str) -> ServeSettings {
        ServeSettings {
            config: None,
            log_format: LogFormat::Text,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: DatabaseUrl(database_url.to_owned()),
            max_schema_bytes: 1024 * 1024,
            default_compatibility: CompatibilityLevel::Backward,
            cache_max_bytes: DEFAULT_CACHE_MAX_BYTES,
            allow_anonymous: None,
            audit_log: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            tls_client_auth: crate::tls::ClientAuth::Required,
            oidc_issuer: None,
            oidc_audience: None,
            oidc_jwks: None,
            oidc_roles_claim: "roles".to_owned(),
            oidc_principal_claim: "sub".to_owned(),
            oidc_clock_skew: 60,
            deny_reads_as_not_found: false,
            header_read_timeout: 10,
            body_read_timeout: 30,
            request_timeout: 30,
            idle_timeout: 60,
            max_connections: 1024,
        }
    }

    /// What each connection may take.
    pub fn connection_limits(&self) -> crate::serve::Limits {
        crate::serve::Limits {
            header_read: std::time::Duration::from_secs(self.header_read_timeout),
            body_read: std::time::Duration::from_secs(self.body_read_timeout),
            idle: std::time::Duration::from_secs(self.idle_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }

    /// Request bodies may be larger than the schema they carry (JSON escaping,
    /// references, metadata), so the body limit leaves room.
    pub fn max_body_bytes(&self) -> usize {
        self.max_schema_bytes
            .saturating_mul(8)
            .saturating_add(1024 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_database_passwords() {
        assert_eq!(
            redact_password("postgres://me:secret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(redact_password("sqlite://accord.db"), "sqlite://accord.db");
        assert_eq!(
            redact_password("postgres://db/x?user=me&password=secret&sslmode=require"),
            "postgres://db/x?user=me&password=***&sslmode=require"
        );
        assert_eq!(
            redact_password("postgres://me@db/x?password=secret"),
            "postgres://me@db/x?password=***"
        );
    }

    #[test]
    fn settings_never_print_the_database_password() {
        let settings = ServeSettings::for_database("postgres://accord:hunter2@db/accord");
        let printed = format!("{settings:?} {}", settings.database_url);
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("accord:***@db"), "{printed}");
    }
}

/// `accord serve`'s arguments with the settings of its config file (`--config
/// FILE` or `ACCORD_CONFIG`) put in front of the given flags, each unless its
/// environment variable is set: flags beat the environment, which beats the
/// file. Unknown keys and values of the wrong type are refused, naming them.
pub fn with_config_file(
    args: Vec<std::ffi::OsString>,
    serve: &clap::Command,
) -> Result<Vec<std::ffi::OsString>, String> {
    let Some(at) = args.iter().position(|arg| arg == "serve") else {
        return Ok(args);
    };
    let named = args[at + 1..].iter().enumerate().find_map(|(i, arg)| {
        let arg = arg.to_str()?;
        match arg.strip_prefix("--config") {
            Some("") => args.get(at + 2 + i).cloned(),
            Some(rest) => rest.strip_prefix('=').map(std::ffi::OsString::from),
            None => None,
        }
    });
    let Some(path) = named.or_else(|| std::env::var_os("ACCORD_CONFIG")) else {
        return Ok(args);
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read the config file {shown}: {error}"))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|error| format!("{shown} is not valid TOML: {error}"))?;
    let mut injected = Vec::new();
    for (key, value) in table {
        let argument = serve
            .get_arguments()
            .find(|arg| arg.get_long() == Some(key.as_str()) && key != "config")
            .ok_or_else(|| format!("{shown}: unknown setting `{key}`"))?;
        let overridden = argument
            .get_env()
            .is_some_and(|env| std::env::var_os(env).is_some());
        if overridden {
            continue;
        }
        let value = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Boolean(true) => {
                injected.push(format!("--{key}").into());
                continue;
            }
            toml::Value::Boolean(false) => continue,
            other => {
                return Err(format!(
                    "{shown}: `{key}` must be a string, a number or true, not {}",
                    other.type_str()
                ))
            }
        };
        injected.push(format!("--{key}={value}").into());
    }
    let mut merged = args[..=at].to_vec();
    merged.extend(injected);
    merged.extend_from_slice(&args[at + 1..]);
    Ok(merged)
}

#[cfg(test)]
mod config_file_tests {
    use super::*;
    use clap::{Args, Command};

    fn serve() -> Command {
        ServeSettings::augment_args(Command::new("serve"))
    }

    #[test]
    fn a_config_file_goes_in_front_of_the_flags() {
        let file = tempfile_path(
            "listen = \"0.0.0.0:9999\"\nmax-schema-bytes = 2048\nallow-anonymous = true\n",
        );
        let args: Vec<std::ffi::OsString> = [
            "accord",
            "serve",
            "--config",
            &file,
            "--max-schema-bytes",
            "4096",
        ]
        .iter()
        .map(Into::into)
        .collect();
        let merged = with_config_file(args, &serve()).expect("merged");
        let merged: Vec<String> = merged
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(&merged[..2], ["accord", "serve"]);
        assert!(merged.contains(&"--listen=0.0.0.0:9999".to_owned()));
        assert!(merged.contains(&"--allow-anonymous".to_owned()));
        // The flag comes last, so it wins.
        let file_value = merged
            .iter()
            .position(|a| a == "--max-schema-bytes=2048")
            .expect("from the file");
        let flag = merged
            .iter()
            .position(|a| a == "--max-schema-bytes")
            .expect("the flag");
        assert!(flag > file_value);
        let _ = std::fs::remove_file(file);
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let file = tempfile_path("lisen = \"x\"\n");
        let args: Vec<std::ffi::OsString> = ["accord", "serve", "--config", &file]
            .iter()
            .map(Into::into)
            .collect();
        let error = with_config_file(args, &serve()).expect_err("refused");
        assert!(error.contains("unknown setting `lisen`"), "{error}");
        let _ = std::fs::remove_file(file);
    }

    fn tempfile_path(content: &str) -> String {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("accord-config-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, content).expect("write");
        path.display().to_string()
    }
}
