//! `accord health URL`: a container health check. Exits 0 when the
//! registry at URL answers `/health/ready` with 200, 1 otherwise.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The registry's base URL, e.g. http://127.0.0.1:8081.
    #[arg(default_value = "http://127.0.0.1:8081")]
    url: String,
    /// The probe: `ready` (store and caches) or `live` (the process answers).
    #[arg(long, value_parser = ["ready", "live"], default_value = "ready")]
    probe: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// A PEM CA certificate to trust, for HTTPS with a private CA.
    #[arg(long, value_name = "FILE", env = "ACCORD_REGISTRY_CA_CERT")]
    ca_cert: Option<PathBuf>,
}

pub async fn health(args: HealthArgs, out: &mut impl Write, err: &mut impl Write) -> ExitCode {
    let url = format!("{}/health/{}", args.url.trim_end_matches('/'), args.probe);
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(args.timeout));
    if let Some(path) = &args.ca_cert {
        let certificate = std::fs::read(path)
            .map_err(|error| error.to_string())
            .and_then(|pem| reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string()));
        match certificate {
            Ok(certificate) => builder = builder.add_root_certificate(certificate),
            Err(error) => {
                let _ = writeln!(err, "accord: cannot read {}: {error}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let client = match builder.build() {
        Ok(client) => client,
        Err(error) => {
            let _ = writeln!(err, "accord: {error}");
            return ExitCode::from(2);
        }
    };
    match client.get(&url).send().await {
        Ok(response) if response.status().is_success() => {
            let _ = writeln!(out, "{url}: {}", response.status());
            ExitCode::SUCCESS
        }
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let _ = writeln!(err, "accord: {url} answered {status}: {body}");
            ExitCode::FAILURE
        }
        Err(error) => {
            let _ = writeln!(err, "accord: {url}: {}", crate::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
