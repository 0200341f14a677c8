//! TLS for `accord serve` (rustls): certificate and key from PEM files,
//! reloaded without a restart (on SIGHUP, or when the files change), and
//! optionally client certificates verified against a CA, whose subject's
//! common name names the principal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::serve::Listener;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the certificate files are checked for a change.
const RELOAD_POLL: Duration = Duration::from_secs(2);
/// Handshaken connections waiting for the server to take them.
const ACCEPTED_BACKLOG: usize = 128;
/// Handshakes in progress at once; further connections wait to start
/// theirs, so slow or idle clients cannot exhaust memory or descriptors.
const CONCURRENT_HANDSHAKES: usize = 256;

/// Whether clients must present a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientAuth {
    /// Asked for; a client without one signs in otherwise.
    Requested,
    /// Connections without a valid client certificate are refused.
    Required,
}

/// The files TLS is served with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
    pub client_auth: ClientAuth,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    #[error("the TLS settings are refused")]
    Config(#[source] rustls::Error),
    #[error("the client CA is refused")]
    ClientCa(#[source] rustls::server::VerifierBuilderError),
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read = |source| TlsError::Read {
        path: path.to_owned(),
        source,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate(path.to_owned()));
    }
    Ok(certificates)
}

/// Reads the files into a server configuration.
pub fn server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = certificates(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|source| TlsError::Read {
        path: files.key.clone(),
        source,
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for certificate in certificates(ca)? {
                roots.add(certificate).map_err(TlsError::Config)?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = match files.client_auth {
                ClientAuth::Required => verifier.build(),
                ClientAuth::Requested => verifier.allow_unauthenticated().build(),
            }
            .map_err(TlsError::ClientCa)?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A listener that hands out TLS connections, handshaken off the accept
/// loop (a slow client holds only its own task, up to `HANDSHAKE_TIMEOUT`).
pub struct TlsListener {
    local_addr: SocketAddr,
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    /// Serves TLS on `tcp` with the configuration read from `files`, and
    /// reloads it on SIGHUP or when the files change.
    pub fn new(tcp: TcpListener, files: TlsFiles) -> Result<TlsListener, TlsError> {
        let acceptor = Arc::new(RwLock::new(TlsAcceptor::from(server_config(&files)?)));
        let local_addr = tcp.local_addr().map_err(|error| {
            TlsError::Config(rustls::Error::General(format!("no local address: {error}")))
        })?;
        let (sender, accepted) = mpsc::channel(ACCEPTED_BACKLOG);
        tokio::spawn(accept_loop(tcp, acceptor.clone(), sender.clone()));
        tokio::spawn(reload_loop(files, acceptor, sender));
        Ok(TlsListener {
            local_addr,
            accepted,
        })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: Arc<RwLock<TlsAcceptor>>,
    accepted: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let handshakes = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_HANDSHAKES));
    loop {
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if accepted.is_closed() {
            return;
        }
        let acceptor = acceptor.read().expect("TLS acceptor lock").clone();
        let accepted = accepted.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = accepted.send((tls, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// Reloads the certificate and key on SIGHUP or when a file's modification
/// time changes; a configuration that does not load is logged and the
/// current one kept.
async fn reload_loop(
    files: TlsFiles,
    acceptor: Arc<RwLock<TlsAcceptor>>,
    alive: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let stamp = |files: &TlsFiles| -> Vec<Option<SystemTime>> {
        [
            Some(&files.cert),
            Some(&files.key),
            files.client_ca.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .collect()
    };
    let mut seen = stamp(&files);
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        let reason = tokio::select! {
            () = signalled => "SIGHUP",
            () = tokio::time::sleep(RELOAD_POLL) => "",
        };
        if alive.is_closed() {
            return;
        }
        let now = stamp(&files);
        if reason.is_empty() && now == seen {
            continue;
        }
        seen = now;
        match server_config(&files) {
            Ok(config) => {
                *acceptor.write().expect("TLS acceptor lock") = TlsAcceptor::from(config);
                let reason = if reason.is_empty() {
                    "files changed"
                } else {
                    reason
                };
                tracing::info!(reason, "TLS certificate reloaded");
            }
            Err(error) => {
                tracing::error!(error = %crate::error_chain(&error), "TLS certificate not reloaded; keeping the current one");
            }
        }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(connection) => connection,
            // The accept loop ended (it never does while the listener lives).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

/// Who is on the other end of a connection: its address and, with client
/// certificates, the certificate subject's common name.
#[derive(Clone, Debug)]
pub struct Peer {
    pub addr: SocketAddr,
    pub client_name: Option<String>,
}

/// The peer of an accepted connection.
pub trait PeerOf {
    fn peer(&self, addr: SocketAddr) -> Peer;
}

impl PeerOf for TcpStream {
    fn peer(&self, addr: SocketAddr) -> Peer {
        Peer {
            addr,
            client_name: None,
        }
    }
}

impl PeerOf for TlsStream<TcpStream> {
    fn peer(&self, addr: SocketAddr) -> Peer {
        let client_name = self
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| common_name(leaf));
        Peer { addr, client_name }
    }
}

/// The subject's common name of a DER certificate (verified by rustls).
fn common_name(certificate: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
    let name = parsed
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_owned();
    Some(name)
}
