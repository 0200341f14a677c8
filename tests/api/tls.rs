//! HTTPS: a test CA made here, the server certificate reloaded while a
//! connection goes on, client certificates signing in as principals, with
//! reqwest and with accord-serde.

use std::path::Path;
use std::time::{Duration, Instant};

use accord::settings::ServeSettings;
use accord::tls::ClientAuth;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Backend, CustomServer, TestDatabase, SR_JSON};

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca() -> Ca {
    let mut params = CertificateParams::new(Vec::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Accord test CA");
    let key = KeyPair::generate().expect("key");
    let certificate = params.self_signed(&key).expect("CA certificate");
    Ca {
        pem: certificate.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// (certificate PEM, key PEM) signed by `ca`.
fn leaf(ca: &Ca, common_name: &str, server: bool) -> (String, String) {
    let names = if server {
        vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
    } else {
        Vec::new()
    };
    let mut params = CertificateParams::new(names).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let key = KeyPair::generate().expect("key");
    let certificate = params.signed_by(&key, &ca.issuer).expect("certificate");
    (certificate.pem(), key.serialize_pem())
}

fn write(path: &Path, text: &str) {
    // Written whole, then renamed: the server never reads half a file.
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("write");
    std::fs::rename(&temporary, path).expect("rename");
}

/// A server certificate, its key and the CA, written to `directory`:
/// [certificate, key, CA].
fn server_files(directory: &Path, ca: &Ca) -> [std::path::PathBuf; 3] {
    let (certificate, key) = leaf(ca, "accord", true);
    let paths = ["server.pem", "server.key", "ca.pem"].map(|name| directory.join(name));
    write(&paths[0], &certificate);
    write(&paths[1], &key);
    write(&paths[2], &ca.pem);
    paths
}

fn client(ca: &Ca, identity: Option<&(String, String)>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).expect("CA"))
        .pool_max_idle_per_host(1);
    if let Some((certificate, key)) = identity {
        let pem = format!("{certificate}\n{key}");
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    builder.build().expect("client")
}

/// The serial number of the certificate the server presents now.
async fn served_certificate(port: u16, ca: &Ca) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).expect("CA der"))
        .expect("root");
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake");
    tls.get_ref().1.peer_certificates().expect("certificates")[0].to_vec()
}

#[tokio::test]
async fn https_with_reload_and_client_certificates() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let directory = tempfile::tempdir().expect("temp dir");
    let ca = ca();
    let [cert_path, key_path, ca_path] = server_files(directory.path(), &ca);
    let settings = ServeSettings {
        tls_cert: Some(cert_path.clone()),
        tls_key: Some(key_path.clone()),
        tls_client_ca: Some(ca_path),
        tls_client_auth: ClientAuth::Requested,
        ..ServeSettings::for_database(&database.url)
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let base = format!("https://localhost:{port}");
    let anonymous = client(&ca, None);
    let server = CustomServer::start(listener, settings, base.clone(), &anonymous).await;
    // Plain HTTP on the TLS port gets no answer.
    assert!(reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .is_err());

    // Principals; alice signs in with her certificate alone.
    let admin = |request: reqwest::RequestBuilder| {
        request
            .basic_auth("root", Some("root password"))
            .header("Content-Type", SR_JSON)
    };
    for body in [
        json!({ "name": "root", "password": "root password", "roles": [{ "role": "admin" }] }),
        json!({ "name": "alice", "roles": [{ "role": "writer", "resource": "subject:alice-*" }] }),
    ] {
        let status = admin(anonymous.post(format!("{base}/accord/v1/principals")))
            .body(body.to_string())
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status, StatusCode::CREATED);
    }
    let alice_identity = leaf(&ca, "alice", false);
    let alice = client(&ca, Some(&alice_identity));
    let me: Value = alice
        .get(format!("{base}/accord/v1/whoami"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(me, json!({ "name": "alice", "authenticated": true }));
    let registered = alice
        .post(format!("{base}/subjects/alice-value/versions"))
        .header("Content-Type", SR_JSON)
        .body(json!({ "schema": "\"string\"" }).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(registered.status(), StatusCode::OK);
    let elsewhere = alice
        .post(format!("{base}/subjects/bob-value/versions"))
        .header("Content-Type", SR_JSON)
        .body(json!({ "schema": "\"string\"" }).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    // A certificate whose name is no principal, and no certificate: 401.
    let stranger = client(&ca, Some(&leaf(&ca, "mallory", false)));
    let status = stranger
        .get(format!("{base}/subjects"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let status = anonymous
        .get(format!("{base}/subjects"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // accord-serde with the same certificate.
    let mut config = accord_serde::ClientConfig::new(base.clone());
    config
        .root_certificates_pem
        .push(ca.pem.clone().into_bytes());
    config.client_identity = Some(accord_serde::ClientIdentity::from_pem(
        alice_identity.0.as_bytes(),
        alice_identity.1.as_bytes(),
    ));
    let serde_client = accord_serde::RegistryClient::new(config).expect("client");
    let latest = serde_client
        .latest_version("alice-value")
        .await
        .expect("accord-serde reads with a client certificate");
    assert_eq!(latest.version, 1);
    assert!(format!("{:?}", accord_serde::ClientIdentity::from_pem(b"c", b"k")).contains("***"));

    // Reload: a new server certificate replaces the old one while a kept-
    // alive connection goes on answering.
    let before = served_certificate(port, &ca).await;
    let status = alice
        .get(format!("{base}/subjects"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::OK);
    let (new_cert, new_key) = leaf(&ca, "accord-renewed", true);
    write(&key_path, &new_key);
    write(&cert_path, &new_cert);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = alice
            .get(format!("{base}/subjects"))
            .send()
            .await
            .expect("the connection goes on")
            .status();
        assert_eq!(status, StatusCode::OK);
        if served_certificate(port, &ca).await != before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A broken file is refused and the current certificate kept.
    std::fs::write(&cert_path, "not a certificate").expect("write");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = client(&ca, None)
        .get(format!("{base}/health"))
        .send()
        .await
        .expect("still served")
        .status();
    assert_eq!(status, StatusCode::OK);

    server.stop().await;
}

/// With client certificates required, a connection without one is refused
/// during the handshake.
#[tokio::test]
async fn required_client_certificates_refuse_connections_without_one() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let directory = tempfile::tempdir().expect("temp dir");
    let ca = ca();
    let [cert, key, client_ca] = server_files(directory.path(), &ca);
    let settings = ServeSettings {
        tls_cert: Some(cert),
        tls_key: Some(key),
        tls_client_ca: Some(client_ca),
        tls_client_auth: ClientAuth::Required,
        ..ServeSettings::for_database(&database.url)
    };
    // Required client certificates count as authentication: a public
    // address is served without principals.
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let base = format!("https://localhost:{port}");
    let with_certificate = client(&ca, Some(&leaf(&ca, "svc", false)));
    let server = CustomServer::start(listener, settings, base.clone(), &with_certificate).await;
    assert!(
        client(&ca, None)
            .get(format!("{base}/health"))
            .send()
            .await
            .is_err(),
        "a client without a certificate was served"
    );
    server.stop().await;
}
