//! accord-serde's settings as Confluent users know them, end to end against
//! a spawned Accord: Avro schema resolution, use-latest and use-id, subject
//! name strategies and keys, Protobuf files with imports, auth headers.

use std::sync::{Arc, Mutex};

use accord_schema::protobuf::ProtobufSchema;
use accord_schema::ResolvedReference;
use accord_serde::{
    Auth, AvroDeserializer, AvroSerializer, ClientConfig, Framing, ProtobufDeserializer,
    ProtobufSerializer, RegistryClient, Role, SerializerConfig, SubjectNameStrategy,
};
use axum::extract::{Request, State};
use prost_reflect::{DynamicMessage, ReflectMessage};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::helpers::TestApp;
use crate::serde_interop::{interop_text, interop_values, proto_json, User};

fn client(app: &TestApp) -> RegistryClient {
    RegistryClient::from_url(&app.address).expect("client")
}

/// `user.avsc` as a later consumer knows it: `score` is gone, `country` is
/// new with a default, and `id` is read as a long still.
const READER_SCHEMA: &str = r#"{"type":"record","name":"User","namespace":"accord.interop","fields":[
  {"name":"id","type":"long"},
  {"name":"name","type":"string"},
  {"name":"country","type":"string","default":"NO"}]}"#;

#[derive(Debug, PartialEq, Deserialize)]
struct UserV2 {
    id: i64,
    name: String,
    country: String,
}

async fn avro_reader_schemas_resolve(app: TestApp) {
    let users: Vec<User> = serde_json::from_value(interop_values()["avro"].clone()).unwrap();
    let serializer = AvroSerializer::new(
        client(&app),
        Some(&interop_text("user.avsc")),
        SerializerConfig::default(),
    )
    .unwrap();
    let framed = serializer.serialize("resolution", &users[0]).await.unwrap();
    let reader = AvroDeserializer::with_reader_schema(client(&app), READER_SCHEMA).unwrap();
    let read: UserV2 = reader.deserialize(&framed.payload, None).await.unwrap();
    assert_eq!(
        read,
        UserV2 {
            id: users[0].id,
            name: users[0].name.clone(),
            country: "NO".into()
        }
    );
}

async fn latest_version_and_given_ids_write_with_registered_schemas(app: TestApp) {
    let users: Vec<User> = serde_json::from_value(interop_values()["avro"].clone()).unwrap();
    let id = app
        .register("fixed-value", &interop_text("user.avsc"))
        .await;
    let reader = AvroDeserializer::new(client(&app));

    let latest = AvroSerializer::new(
        client(&app),
        None,
        SerializerConfig {
            auto_register: false,
            use_latest_version: true,
            ..SerializerConfig::default()
        },
    )
    .unwrap();
    let framed = latest.serialize("fixed", &users[1]).await.unwrap();
    assert_eq!(framed.payload[1..5], (id as u32).to_be_bytes());
    assert_eq!(
        reader
            .deserialize::<User>(&framed.payload, None)
            .await
            .unwrap(),
        users[1]
    );

    let by_id = AvroSerializer::new(
        client(&app),
        None,
        SerializerConfig {
            auto_register: false,
            use_schema_id: Some(id as u32),
            framing: Framing::Header,
            ..SerializerConfig::default()
        },
    )
    .unwrap();
    let framed = by_id.serialize("any-topic", &users[0]).await.unwrap();
    let header = framed.header.expect("header framing");
    assert_eq!(
        reader
            .deserialize::<User>(&framed.payload, Some(&header.value))
            .await
            .unwrap(),
        users[0]
    );

    // Look-up of an already registered schema finds its id.
    let lookup = AvroSerializer::new(
        client(&app),
        Some(&interop_text("user.avsc")),
        SerializerConfig {
            auto_register: false,
            ..SerializerConfig::default()
        },
    )
    .unwrap();
    let framed = lookup.serialize("fixed", &users[0]).await.unwrap();
    assert_eq!(framed.payload[1..5], (id as u32).to_be_bytes());
}

async fn subject_name_strategies_and_keys(app: TestApp) {
    let users: Vec<User> = serde_json::from_value(interop_values()["avro"].clone()).unwrap();
    let cases = [
        (SubjectNameStrategy::Topic, Role::Key, "orders-key"),
        (
            SubjectNameStrategy::Record,
            Role::Value,
            "accord.interop.User",
        ),
        (
            SubjectNameStrategy::TopicRecord,
            Role::Value,
            "orders-accord.interop.User",
        ),
    ];
    for (strategy, role, subject) in cases {
        let serializer = AvroSerializer::new(
            client(&app),
            Some(&interop_text("user.avsc")),
            SerializerConfig {
                subject_name_strategy: strategy,
                role,
                framing: Framing::Header,
                ..SerializerConfig::default()
            },
        )
        .unwrap();
        let framed = serializer.serialize("orders", &users[0]).await.unwrap();
        assert_eq!(framed.header.unwrap().name, role.header_name());
        let (status, _) = app.get(&format!("/subjects/{subject}/versions/1")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{strategy:?} registers under {subject}"
        );
    }

    // Protobuf messages name their subject by the message's full name.
    let serializer = ProtobufSerializer::new(
        client(&app),
        SerializerConfig {
            subject_name_strategy: SubjectNameStrategy::Record,
            ..SerializerConfig::default()
        },
    );
    let schema = ProtobufSchema::parse(&interop_text("user.proto"), &[]).unwrap();
    let note = schema
        .file()
        .parent_pool()
        .get_message_by_name("accord.interop.User.Note")
        .unwrap();
    let message = DynamicMessage::deserialize(note, json!({"text": "x"})).unwrap();
    serializer.serialize("orders", &message).await.unwrap();
    let (status, _) = app
        .get("/subjects/accord.interop.User.Note/versions/1")
        .await;
    assert_eq!(status, StatusCode::OK);
}

const ADDRESS_PROTO: &str = r#"syntax = "proto3";
package acme.common;
message Address {
  string city = 1;
}
"#;

const ORDER_PROTO: &str = r#"syntax = "proto3";
package acme;
import "acme/common/address.proto";
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  acme.common.Address ship_to = 2;
  google.protobuf.Timestamp placed_at = 3;
  map<string, int32> lines = 4;
  message Line {
    string sku = 1;
  }
}
"#;

async fn protobuf_imports_are_registered_as_references(app: TestApp) {
    let schema = ProtobufSchema::parse(
        ORDER_PROTO,
        &[ResolvedReference {
            name: "acme/common/address.proto",
            schema: ADDRESS_PROTO,
        }],
    )
    .unwrap();
    let pool = schema.file().parent_pool().clone();
    let order = DynamicMessage::deserialize(
        pool.get_message_by_name("acme.Order").unwrap(),
        json!({"id": "o-1", "ship_to": {"city": "Oslo"}, "placed_at": "2026-11-21T10:00:00Z", "lines": {"a": 2}}),
    )
    .unwrap();
    // A map field's synthetic entry message does not count as a message.
    let line = DynamicMessage::deserialize(
        pool.get_message_by_name("acme.Order.Line").unwrap(),
        json!({"sku": "s"}),
    )
    .unwrap();

    let serializer = ProtobufSerializer::new(client(&app), SerializerConfig::default());
    let framed = serializer.serialize("orders", &order).await.unwrap();
    let line_framed = serializer.serialize("orders", &line).await.unwrap();
    assert_eq!(
        line_framed.payload[5..8],
        [0x04, 0x00, 0x00],
        "Order.Line is [0, 0]"
    );

    let (status, version) = app.get("/subjects/orders-value/versions/latest").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        version["references"],
        json!([{"name": "acme/common/address.proto", "subject": "acme/common/address.proto", "version": 1}])
    );

    let reader = ProtobufDeserializer::new(client(&app));
    let decoded = reader
        .deserialize_dynamic(&framed.payload, None)
        .await
        .unwrap();
    assert_eq!(proto_json(&decoded), proto_json(&order));
    let decoded = reader
        .deserialize_dynamic(&line_framed.payload, None)
        .await
        .unwrap();
    assert_eq!(decoded.descriptor().full_name(), "acme.Order.Line");
}

/// The Authorization header of each request a proxy saw.
type SeenHeaders = Arc<Mutex<Vec<Option<String>>>>;

async fn auth_headers_are_sent(app: TestApp) {
    // A recording proxy: keeps each request's Authorization header.
    let seen: SeenHeaders = Arc::default();
    let target = app.address.clone();
    let router = axum::Router::new()
        .fallback(
            |State((seen, target)): State<(SeenHeaders, String)>, request: Request| async move {
                let header = request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned());
                seen.lock().unwrap().push(header);
                let path = request.uri().path().to_owned();
                let answer = reqwest::get(format!("{target}{path}")).await.unwrap();
                (
                    StatusCode::from_u16(answer.status().as_u16()).unwrap(),
                    answer.text().await.unwrap(),
                )
            },
        )
        .with_state((seen.clone(), target));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    for (auth, expected) in [
        (
            Auth::Basic {
                username: "ann".into(),
                password: "s3cret".into(),
            },
            "Basic YW5uOnMzY3JldA==",
        ),
        (Auth::Bearer("token-1".into()), "Bearer token-1"),
    ] {
        let mut config = ClientConfig::new(&url);
        config.auth = Some(auth);
        let client = RegistryClient::new(config).unwrap();
        let _ = client.latest_version("nothing-here").await;
        assert_eq!(
            seen.lock().unwrap().pop().flatten().as_deref(),
            Some(expected)
        );
    }
}

/// `normalize` reaches the registry: the same JSON Schema, keys out of
/// order, is stored as written without it and in normal form with it (so
/// both serializers find one id on a registry that normalizes).
async fn normalize_reaches_the_registry(app: TestApp) {
    const SCHEMA: &str =
        r#"{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}"#;
    let mut stored = Vec::new();
    for normalize in [false, true] {
        let serializer = accord_serde::JsonSerializer::new(
            client(&app),
            Some(SCHEMA),
            SerializerConfig {
                normalize,
                ..SerializerConfig::default()
            },
        )
        .unwrap();
        let framed = serializer
            .serialize(
                &format!("normalized-{normalize}"),
                &json!({ "a": 1, "b": "x" }),
            )
            .await
            .unwrap();
        let id = u32::from_be_bytes(framed.payload[1..5].try_into().unwrap());
        let (status, body) = app.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        stored.push(body["schema"].as_str().unwrap().to_owned());
    }
    assert_eq!(stored[0], SCHEMA, "stored as written without normalize");
    assert_eq!(
        stored[1],
        r#"{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}"#,
        "normalize=true was not sent"
    );
}

crate::backend_tests!(
    normalize_reaches_the_registry,
    avro_reader_schemas_resolve,
    latest_version_and_given_ids_write_with_registered_schemas,
    subject_name_strategies_and_keys,
    protobuf_imports_are_registered_as_references,
    auth_headers_are_sent,
);
