//! accord-serde and the confluent-kafka Python serializers read each
//! other's bytes, for Avro, Protobuf and JSON Schema, in prefix and header
//! framing, through a spawned Accord. `tests/python/serde_interop.py`
//! drives the Python side; the schemas and values are in
//! `tests/data/interop/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use accord_schema::protobuf::ProtobufSchema;
use accord_serde::{
    AvroDeserializer, AvroSerializer, Framed, Framing, JsonDeserializer, JsonSerializer,
    ProtobufDeserializer, ProtobufSerializer, RegistryClient, SerializerConfig,
};
use prost_reflect::{
    DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage, SerializeOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::helpers::{unavailable, TestApp};
use crate::python_client::{probe, python, run, script};

const SCRIPT_DEADLINE: Duration = Duration::from_secs(120);

pub(crate) fn interop_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/interop")
        .join(name)
}

pub(crate) fn interop_text(name: &str) -> String {
    std::fs::read_to_string(interop_file(name)).expect("interop test data")
}

pub(crate) fn interop_values() -> Value {
    serde_json::from_str(&interop_text("values.json")).expect("values.json is JSON")
}

/// The record of `user.avsc`, as a Rust service would declare it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct User {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub score: f64,
    pub active: bool,
    pub tags: Vec<String>,
    pub status: Status,
    pub attributes: HashMap<String, i32>,
}

#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Status {
    ACTIVE,
    DISABLED,
}

/// `accord.interop.User.Note` as prost would generate it, with its
/// descriptor from `user.proto`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Note {
    #[prost(string, tag = "1")]
    pub text: String,
    #[prost(int32, tag = "2")]
    pub priority: i32,
}

impl ReflectMessage for Note {
    fn descriptor(&self) -> MessageDescriptor {
        message_descriptor("accord.interop.User.Note")
    }
}

/// The descriptors of `user.proto`, compiled once.
pub(crate) fn interop_pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        ProtobufSchema::parse(&interop_text("user.proto"), &[])
            .expect("user.proto parses")
            .file()
            .parent_pool()
            .clone()
    })
}

pub(crate) fn message_descriptor(full_name: &str) -> MessageDescriptor {
    interop_pool()
        .get_message_by_name(full_name)
        .unwrap_or_else(|| panic!("user.proto has {full_name}"))
}

/// A protobuf message from its proto3 JSON.
pub(crate) fn dynamic_message(full_name: &str, json: &Value) -> DynamicMessage {
    DynamicMessage::deserialize(message_descriptor(full_name), json.clone())
        .expect("the test value fits the message")
}

/// The proto3 JSON Python's `MessageToDict(preserving_proto_field_name=True)` writes.
pub(crate) fn proto_json(message: &DynamicMessage) -> Value {
    let options = SerializeOptions::new().use_proto_field_name(true);
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .expect("a message serializes to JSON")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(&text[index..index + 2], 16).expect("hex"))
        .collect()
}

/// A message as the Python script reads and writes it.
fn message_line(framed: &Framed) -> String {
    let headers: Vec<Value> = framed
        .header
        .iter()
        .map(|header| serde_json::json!([header.name, hex(&header.value)]))
        .collect();
    serde_json::json!({ "value": hex(&framed.payload), "headers": headers }).to_string()
}

fn framed_from_line(line: &str) -> (Vec<u8>, Option<Vec<u8>>) {
    let message: Value = serde_json::from_str(line).expect("the script writes JSON lines");
    let payload = unhex(message["value"].as_str().expect("value"));
    let header = message["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|header| header[0] == "__value_schema_id")
        .map(|header| unhex(header[1].as_str().expect("header value")));
    (payload, header)
}

fn framing_name(framing: Framing) -> &'static str {
    match framing {
        Framing::Prefix => "prefix",
        Framing::Header => "header",
    }
}

/// What the Python script is asked to do.
struct Job<'a> {
    command: &'static str,
    format: &'static str,
    framing: Framing,
    topic: &'a str,
    message: Option<&'a str>,
}

/// Runs the Python script; `None` (after reporting why) when the client is
/// not installed and the run is not strict.
async fn python_script(app: &TestApp, job: Job<'_>, input: Vec<String>) -> Option<Vec<String>> {
    let python = python();
    let mut command = Command::new(&python);
    command.arg(script("serde_interop.py")).args([
        job.command,
        "--registry",
        &app.address,
        "--format",
        job.format,
        "--topic",
        job.topic,
    ]);
    if job.command == "encode" {
        command.args(["--framing", framing_name(job.framing)]);
    }
    if let Some(message) = job.message {
        command.args(["--message", message]);
    }
    let description = format!("{:?}", command);
    let input = input.join("\n") + "\n";
    let done = tokio::task::spawn_blocking(move || run(command, input.as_bytes(), SCRIPT_DEADLINE))
        .await
        .expect("the runner does not panic")
        .unwrap_or_else(|error| panic!("cannot run {description}: {error}"));
    let report = format!(
        "{description}, backend {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        app.backend, done.stdout, done.stderr
    );
    match done.status {
        Some(status) if status.code() == Some(3) => {
            unavailable(&format!("confluent_kafka is not importable\n{report}"));
            None
        }
        Some(status) if status.success() => Some(done.stdout.lines().map(str::to_owned).collect()),
        _ => panic!("the Python serde script failed\n{report}"),
    }
}

async fn python_available() -> bool {
    let python = python();
    match tokio::task::spawn_blocking(move || probe(&python))
        .await
        .expect("probe")
    {
        Ok(()) => true,
        Err(why) => {
            unavailable(&why);
            false
        }
    }
}

fn client(app: &TestApp) -> RegistryClient {
    RegistryClient::from_url(&app.address).expect("a client for the test server")
}

fn config(framing: Framing) -> SerializerConfig {
    SerializerConfig {
        framing,
        ..SerializerConfig::default()
    }
}

fn avro_users() -> Vec<User> {
    serde_json::from_value(interop_values()["avro"].clone()).expect("values.json has Avro users")
}

const PROTOBUF_MESSAGES: [&str; 3] = [
    "accord.interop.User",
    "accord.interop.User.Note",
    "accord.interop.Address",
];

/// Checks the frame: prefix 0x00 + id, or a bare payload and a 17-byte
/// GUID header (plus message indexes for Protobuf).
fn assert_framing(framed: &Framed, framing: Framing, indexes: &[u8]) {
    match framing {
        Framing::Prefix => {
            assert_eq!(framed.payload[0], 0, "magic byte 0");
            assert_eq!(&framed.payload[5..5 + indexes.len()], indexes);
            assert!(framed.header.is_none());
        }
        Framing::Header => {
            let header = framed.header.as_ref().expect("a schema id header");
            assert_eq!(header.name, "__value_schema_id");
            assert_eq!(header.value[0], 1, "magic byte 1");
            assert_eq!(&header.value[17..], indexes);
        }
    }
}

async fn rust_bytes_decode_with_confluent_kafka(app: TestApp) {
    if !python_available().await {
        return;
    }
    let values = interop_values();
    for framing in [Framing::Prefix, Framing::Header] {
        let name = framing_name(framing);

        // Avro, from a serde struct.
        let topic = format!("rust-avro-{name}");
        let serializer = AvroSerializer::new(
            client(&app),
            Some(&interop_text("user.avsc")),
            config(framing),
        )
        .expect("an Avro serializer");
        let mut lines = Vec::new();
        for user in avro_users() {
            let framed = serializer
                .serialize(&topic, &user)
                .await
                .expect("serialize");
            assert_framing(&framed, framing, &[]);
            lines.push(message_line(&framed));
        }
        let job = Job {
            command: "decode",
            format: "avro",
            framing,
            topic: &topic,
            message: None,
        };
        let Some(decoded) = python_script(&app, job, lines).await else {
            return;
        };
        let expected: Vec<Value> = avro_users()
            .iter()
            .map(|user| serde_json::to_value(user).unwrap())
            .collect();
        let decoded: Vec<Value> = decoded
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(decoded, expected, "Avro {name}");

        // JSON Schema, from serde_json values.
        let topic = format!("rust-json-{name}");
        let serializer = JsonSerializer::new(
            client(&app),
            Some(&interop_text("user.schema.json")),
            config(framing),
        )
        .expect("a JSON serializer");
        let expected = values["json"].as_array().unwrap().clone();
        let mut lines = Vec::new();
        for value in &expected {
            let framed = serializer
                .serialize(&topic, value)
                .await
                .expect("serialize");
            assert_framing(&framed, framing, &[]);
            lines.push(message_line(&framed));
        }
        let job = Job {
            command: "decode",
            format: "json",
            framing,
            topic: &topic,
            message: None,
        };
        let Some(decoded) = python_script(&app, job, lines).await else {
            return;
        };
        let decoded: Vec<Value> = decoded
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(decoded, expected, "JSON {name}");

        // Protobuf: dynamic messages, and the generated-style `Note`.
        let topic = format!("rust-protobuf-{name}");
        let serializer = ProtobufSerializer::new(client(&app), config(framing));
        for (message, indexes) in PROTOBUF_MESSAGES
            .iter()
            .zip([&[2u8, 2][..], &[4, 2, 0], &[0]])
        {
            let expected = values["protobuf"][message].as_array().unwrap().clone();
            let mut lines = Vec::new();
            for value in &expected {
                let framed = if *message == "accord.interop.User.Note" {
                    let note = Note {
                        text: value["text"].as_str().unwrap().to_owned(),
                        priority: value["priority"].as_i64().unwrap() as i32,
                    };
                    serializer.serialize(&topic, &note).await
                } else {
                    serializer
                        .serialize(&topic, &dynamic_message(message, value))
                        .await
                }
                .expect("serialize");
                assert_framing(&framed, framing, indexes);
                lines.push(message_line(&framed));
            }
            let job = Job {
                command: "decode",
                format: "protobuf",
                framing,
                topic: &topic,
                message: Some(message),
            };
            let Some(decoded) = python_script(&app, job, lines).await else {
                return;
            };
            let decoded: Vec<Value> = decoded
                .iter()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(decoded, expected, "Protobuf {message} {name}");
        }
    }
}

async fn confluent_kafka_bytes_decode_with_accord_serde(app: TestApp) {
    if !python_available().await {
        return;
    }
    let values = interop_values();
    let avro = AvroDeserializer::new(client(&app));
    let json = JsonDeserializer::new(client(&app), true);
    let protobuf = ProtobufDeserializer::new(client(&app));
    let lines_of = |values: &Value| -> Vec<String> {
        values
            .as_array()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect()
    };
    for framing in [Framing::Prefix, Framing::Header] {
        let name = framing_name(framing);

        let topic = format!("python-avro-{name}");
        let job = Job {
            command: "encode",
            format: "avro",
            framing,
            topic: &topic,
            message: None,
        };
        let Some(encoded) = python_script(&app, job, lines_of(&values["avro"])).await else {
            return;
        };
        let mut decoded = Vec::new();
        for line in &encoded {
            let (payload, header) = framed_from_line(line);
            assert_eq!(header.is_some(), framing == Framing::Header);
            decoded.push(
                avro.deserialize::<User>(&payload, header.as_deref())
                    .await
                    .expect("decode"),
            );
        }
        assert_eq!(decoded, avro_users(), "Avro {name}");

        let topic = format!("python-json-{name}");
        let job = Job {
            command: "encode",
            format: "json",
            framing,
            topic: &topic,
            message: None,
        };
        let Some(encoded) = python_script(&app, job, lines_of(&values["json"])).await else {
            return;
        };
        let mut decoded = Vec::new();
        for line in &encoded {
            let (payload, header) = framed_from_line(line);
            decoded.push(
                json.deserialize::<Value>(&payload, header.as_deref())
                    .await
                    .expect("decode"),
            );
        }
        assert_eq!(&Value::Array(decoded), &values["json"], "JSON {name}");

        let topic = format!("python-protobuf-{name}");
        for message in PROTOBUF_MESSAGES {
            let expected = &values["protobuf"][message];
            let job = Job {
                command: "encode",
                format: "protobuf",
                framing,
                topic: &topic,
                message: Some(message),
            };
            let Some(encoded) = python_script(&app, job, lines_of(expected)).await else {
                return;
            };
            let mut decoded = Vec::new();
            for line in &encoded {
                let (payload, header) = framed_from_line(line);
                let dynamic = protobuf
                    .deserialize_dynamic(&payload, header.as_deref())
                    .await
                    .expect("decode");
                assert_eq!(dynamic.descriptor().full_name(), message);
                if message == "accord.interop.User.Note" {
                    let note: Note = protobuf
                        .deserialize(&payload, header.as_deref())
                        .await
                        .expect("decode");
                    assert_eq!(
                        note.text,
                        dynamic.get_field_by_name("text").unwrap().as_str().unwrap()
                    );
                }
                decoded.push(proto_json(&dynamic));
            }
            assert_eq!(
                &Value::Array(decoded),
                expected,
                "Protobuf {message} {name}"
            );
        }
    }
}

crate::backend_tests!(
    rust_bytes_decode_with_confluent_kafka,
    confluent_kafka_bytes_decode_with_accord_serde
);
