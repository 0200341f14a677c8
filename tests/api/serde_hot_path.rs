//! accord-serde keeps the registry off the hot path. A counting proxy in
//! front of a spawned Accord sees every request the library sends: after
//! warm-up, 10,000 messages per format serialize and deserialize with none;
//! concurrent first uses register once; 5xx answers are retried; an outage
//! is remembered for the negative-cache TTL instead of being hammered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use accord_serde::{
    AvroDeserializer, AvroSerializer, ClientConfig, Error, Framing, JsonDeserializer,
    JsonSerializer, ProtobufDeserializer, ProtobufSerializer, RegistryClient, RegistryError,
    SerializerConfig,
};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::serde_interop::{dynamic_message, interop_text, interop_values, proto_json, Note, User};

const MESSAGES: usize = 10_000;

/// Forwards every request to the registry, counting them; answers 503 to
/// the next `fail_next` requests instead.
struct Proxy {
    target: String,
    http: reqwest::Client,
    requests: AtomicUsize,
    fail_next: AtomicUsize,
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    proxy.requests.fetch_add(1, Ordering::SeqCst);
    let failing = proxy
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok();
    if failing {
        return Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .body(Body::from(r#"{"error_code":50301,"message":"try again"}"#))
            .unwrap();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut headers = parts.headers.clone();
    headers.remove("host");
    let answer = proxy
        .http
        .request(parts.method, format!("{}{path}", proxy.target))
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the registry answers the proxy");
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

/// Starts a counting proxy in front of `app`; returns it and its URL.
async fn start_proxy(app: &TestApp) -> (Arc<Proxy>, String) {
    let proxy = Arc::new(Proxy {
        target: app.address.clone(),
        http: reqwest::Client::new(),
        requests: AtomicUsize::new(0),
        fail_next: AtomicUsize::new(0),
    });
    let router = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (proxy, url)
}

fn quick_client(url: &str) -> RegistryClient {
    let mut config = ClientConfig::new(url);
    config.initial_backoff = Duration::from_millis(5);
    config.max_backoff = Duration::from_millis(20);
    RegistryClient::new(config).expect("client")
}

async fn no_requests_after_warm_up(app: TestApp) {
    let (proxy, url) = start_proxy(&app).await;
    let client = quick_client(&url);
    let values = interop_values();
    let users: Vec<User> = serde_json::from_value(values["avro"].clone()).unwrap();
    let json_values = values["json"].as_array().unwrap().clone();
    let address = dynamic_message(
        "accord.interop.Address",
        &values["protobuf"]["accord.interop.Address"][0],
    );
    let note = Note {
        text: "hot".into(),
        priority: 1,
    };

    for framing in [Framing::Prefix, Framing::Header] {
        let config = SerializerConfig {
            framing,
            ..SerializerConfig::default()
        };
        let avro = AvroSerializer::new(
            client.clone(),
            Some(&interop_text("user.avsc")),
            config.clone(),
        )
        .unwrap();
        let json = JsonSerializer::new(
            client.clone(),
            Some(&interop_text("user.schema.json")),
            config.clone(),
        )
        .unwrap();
        let protobuf = ProtobufSerializer::new(client.clone(), config);
        let avro_reader = AvroDeserializer::new(client.clone());
        let json_reader = JsonDeserializer::new(client.clone(), true);
        let protobuf_reader = ProtobufDeserializer::new(client.clone());

        let round_trip = |count: usize| {
            let (avro, json, protobuf) = (&avro, &json, &protobuf);
            let (avro_reader, json_reader, protobuf_reader) =
                (&avro_reader, &json_reader, &protobuf_reader);
            let (users, json_values, address, note) = (&users, &json_values, &address, &note);
            async move {
                for index in 0..count {
                    let user = &users[index % users.len()];
                    let framed = avro.serialize("hot-avro", user).await.unwrap();
                    let header = framed.header.as_ref().map(|h| h.value.as_slice());
                    assert_eq!(
                        &avro_reader
                            .deserialize::<User>(&framed.payload, header)
                            .await
                            .unwrap(),
                        user
                    );

                    let value = &json_values[index % json_values.len()];
                    let framed = json.serialize("hot-json", value).await.unwrap();
                    let header = framed.header.as_ref().map(|h| h.value.as_slice());
                    assert_eq!(
                        &json_reader
                            .deserialize::<Value>(&framed.payload, header)
                            .await
                            .unwrap(),
                        value
                    );

                    let framed = protobuf.serialize("hot-protobuf", address).await.unwrap();
                    let header = framed.header.as_ref().map(|h| h.value.as_slice());
                    let decoded = protobuf_reader
                        .deserialize_dynamic(&framed.payload, header)
                        .await
                        .unwrap();
                    // Different pools (the writer's, ours): compare the JSON.
                    assert_eq!(proto_json(&decoded), proto_json(address));

                    let framed = protobuf.serialize("hot-protobuf", note).await.unwrap();
                    let header = framed.header.as_ref().map(|h| h.value.as_slice());
                    assert_eq!(
                        &protobuf_reader
                            .deserialize::<Note>(&framed.payload, header)
                            .await
                            .unwrap(),
                        note
                    );
                }
            }
        };

        round_trip(1).await;
        let after_warm_up = proxy.requests.load(Ordering::SeqCst);
        assert!(after_warm_up > 0, "warm-up talks to the registry");
        let sent_by_client = client.requests_sent();
        round_trip(MESSAGES).await;
        assert_eq!(
            proxy.requests.load(Ordering::SeqCst),
            after_warm_up,
            "{MESSAGES} messages per format after warm-up ({framing:?}) sent requests"
        );
        assert_eq!(client.requests_sent(), sent_by_client);
    }
}

async fn concurrent_first_messages_register_once(app: TestApp) {
    let (proxy, url) = start_proxy(&app).await;
    let client = quick_client(&url);
    let users: Vec<User> = serde_json::from_value(interop_values()["avro"].clone()).unwrap();
    let serializer = Arc::new(
        AvroSerializer::new(
            client,
            Some(&interop_text("user.avsc")),
            SerializerConfig::default(),
        )
        .unwrap(),
    );
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let serializer = serializer.clone();
        let user = users[0].clone();
        tasks.push(tokio::spawn(async move {
            serializer
                .serialize("single-flight", &user)
                .await
                .unwrap()
                .payload
        }));
    }
    let mut payloads = Vec::new();
    for task in tasks {
        payloads.push(task.await.unwrap());
    }
    assert!(payloads.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        1,
        "one registration for 32 concurrent callers"
    );
}

async fn server_errors_are_retried(app: TestApp) {
    let (proxy, url) = start_proxy(&app).await;
    let client = quick_client(&url);
    proxy.fail_next.store(2, Ordering::SeqCst);
    let serializer = AvroSerializer::new(
        client.clone(),
        Some(&interop_text("user.avsc")),
        SerializerConfig::default(),
    )
    .unwrap();
    let users: Vec<User> = serde_json::from_value(interop_values()["avro"].clone()).unwrap();
    serializer
        .serialize("retried", &users[0])
        .await
        .expect("the third attempt succeeds");
    assert_eq!(proxy.requests.load(Ordering::SeqCst), 3);

    // More failures than retries: the 503 comes back, then the outage is
    // remembered and the next call fails without a request.
    proxy.fail_next.store(10, Ordering::SeqCst);
    let error = client.schema_by_id(424242).await.unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::Api {
                status: 503,
                code: 50301,
                ..
            }
        ),
        "{error:?}"
    );
    let sent = proxy.requests.load(Ordering::SeqCst);
    assert_eq!(sent, 3 + 4, "one attempt and three retries");
    let error = client.schema_by_id(424243).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::RecentlyFailed { .. }),
        "{error:?}"
    );
    assert_eq!(proxy.requests.load(Ordering::SeqCst), sent);
}

async fn unknown_ids_are_not_asked_for_again_at_once(app: TestApp) {
    let (proxy, url) = start_proxy(&app).await;
    let reader = AvroDeserializer::new(quick_client(&url));
    let message = [0u8, 0, 0, 0x30, 0x39, 2, b'x'];
    for _ in 0..100 {
        let error = reader.deserialize_value(&message, None).await.unwrap_err();
        assert!(matches!(error, Error::Decode(_)), "{error:?}");
    }
    assert_eq!(
        proxy.requests.load(Ordering::SeqCst),
        1,
        "a miss is cached for the negative TTL"
    );
}

async fn an_unreachable_registry_fails_fast_after_the_retries() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = quick_client(&format!("http://127.0.0.1:{port}"));
    let error = client.schema_by_id(1).await.unwrap_err();
    assert!(matches!(error, RegistryError::Unreachable(_)), "{error:?}");
    assert_eq!(client.requests_sent(), 4);
    let error = client.schema_by_id(2).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::RecentlyFailed { .. }),
        "{error:?}"
    );
    assert_eq!(client.requests_sent(), 4);
}

#[tokio::test]
async fn unreachable_registry() {
    an_unreachable_registry_fails_fast_after_the_retries().await;
}

crate::backend_tests!(
    no_requests_after_warm_up,
    concurrent_first_messages_register_once,
    server_errors_are_retried,
    unknown_ids_are_not_asked_for_again_at_once,
);
