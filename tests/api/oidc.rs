//! OIDC bearer tokens: signed by a key made here and served as a JWKS by
//! this test; expired, wrong-audience, wrong-issuer, badly signed and
//! shared-secret tokens are refused with 401.

use std::time::{SystemTime, UNIX_EPOCH};

use accord::auth::JwksSource;
use accord::settings::ServeSettings;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Backend, CustomServer, TestDatabase, SR_JSON};

const ISSUER: &str = "https://idp.example.test/realms/data";
const AUDIENCE: &str = "accord";

fn signing_key() -> EncodingKey {
    let key = rcgen::KeyPair::generate().expect("a P-256 key");
    EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).expect("encoding key")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn token(key: &EncodingKey, kid: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, key).expect("a token")
}

/// Serves `keys` at `/jwks.json` on a port of its own.
async fn jwks_server(keys: JwkSet) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let keys = keys.clone();
            async move { axum::Json(keys) }
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("JWKS server");
    });
    format!("http://{address}/jwks.json")
}

#[tokio::test]
async fn bearer_tokens_from_the_issuer() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let key = signing_key();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).expect("jwk");
    jwk.common.key_id = Some("key-1".to_owned());
    let jwks_url = jwks_server(JwkSet { keys: vec![jwk] }).await;

    let settings = ServeSettings {
        oidc_issuer: Some(ISSUER.to_owned()),
        oidc_audience: Some(AUDIENCE.to_owned()),
        oidc_jwks: Some(jwks_url.parse::<JwksSource>().expect("source")),
        oidc_roles_claim: "realm_access.roles".to_owned(),
        ..ServeSettings::for_database(&database.url)
    };
    let server = CustomServer::local(settings).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    // An issuer turns authentication on even without principals.
    let status = client
        .get(format!("{base}/subjects"))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let claims = |overrides: Value| {
        let mut claims = json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "ci-bot",
            "exp": now() + 300,
            "realm_access": { "roles": ["writer@subject:orders-*"] },
        });
        for (name, value) in overrides.as_object().expect("object") {
            claims[name] = value.clone();
        }
        claims
    };
    let register = |bearer: String, subject: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let response = client
                .post(format!("{base}/subjects/{subject}/versions"))
                .bearer_auth(bearer)
                .header("Content-Type", SR_JSON)
                .body(json!({ "schema": "\"string\"" }).to_string())
                .send()
                .await
                .expect("sent");
            let status = response.status();
            (status, response.json::<Value>().await.expect("json"))
        }
    };

    let valid = token(&key, "key-1", claims(json!({})));
    let (status, body) = register(valid.clone(), "orders-value").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = register(valid.clone(), "payments-value").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["message"],
        "User is denied operation Write on Subject: payments-value"
    );
    let me: Value = client
        .get(format!("{base}/accord/v1/whoami"))
        .bearer_auth(&valid)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(me, json!({ "name": "ci-bot", "authenticated": true }));

    let other_key = signing_key();
    let shared_secret = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(b"guessable"),
    )
    .expect("token");
    for (what, refused) in [
        (
            "expired",
            token(&key, "key-1", claims(json!({ "exp": now() - 3600 }))),
        ),
        (
            "another audience",
            token(&key, "key-1", claims(json!({ "aud": "someone-else" }))),
        ),
        (
            "another issuer",
            token(&key, "key-1", claims(json!({ "iss": "https://evil.test" }))),
        ),
        (
            "a bad signature",
            token(&other_key, "key-1", claims(json!({}))),
        ),
        (
            "an unknown key",
            token(&other_key, "key-9", claims(json!({}))),
        ),
        ("a shared secret", shared_secret),
        ("not a JWT", "not.a.jwt".to_owned()),
    ] {
        let (status, body) = register(refused, "orders-value").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body["error_code"], 40101, "{what}");
    }

    server.stop().await;
}
