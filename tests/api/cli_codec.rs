//! `accord encode` and `accord decode`, run as the built binary against a
//! spawned Accord: JSON lines through each format and framing and back,
//! the bytes of the frames, and how failures are reported.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

fn interop(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/interop")
        .join(file)
        .display()
        .to_string()
}

fn values() -> Value {
    let text = std::fs::read_to_string(interop("values.json")).expect("values.json");
    serde_json::from_str(&text).expect("values.json is JSON")
}

/// The Avro values of values.json in Avro's JSON encoding: the optional
/// email is a union, written as `{"string": …}` unless null.
fn avro_values() -> Vec<Value> {
    values()["avro"]
        .as_array()
        .expect("avro values")
        .iter()
        .map(|value| {
            let mut value = value.clone();
            if let Some(email) = value["email"].as_str() {
                value["email"] = json!({ "string": email });
            }
            value
        })
        .collect()
}

fn json_lines(values: &[Value]) -> Vec<u8> {
    values
        .iter()
        .map(|value| format!("{value}\n"))
        .collect::<String>()
        .into_bytes()
}

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.stdout.clone())
            .expect("stdout is UTF-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn json_values(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .map(|line| serde_json::from_str(line).expect("each output line is JSON"))
            .collect()
    }
}

/// Runs `accord <args> --registry <app>` with `stdin`, off the runtime's
/// thread (the server under test runs on it).
async fn accord(app: &TestApp, args: &[&str], stdin: Vec<u8>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_accord"));
    command
        .args(args)
        .args(["--registry", &app.address])
        .env_remove("ACCORD_REGISTRY_BASIC_AUTH")
        .env_remove("ACCORD_REGISTRY_BEARER_TOKEN")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("the accord binary starts");
        let mut pipe = child.stdin.take().expect("stdin");
        let feeder = std::thread::spawn(move || {
            let _ = pipe.write_all(&stdin);
        });
        let output = child.wait_with_output().expect("accord finishes");
        feeder.join().expect("stdin is written");
        Run {
            code: output.status.code().expect("accord exits with a code"),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    })
    .await
    .expect("the command runs")
}

/// The id and GUID (32 hex digits) of a subject's latest version.
async fn latest(app: &TestApp, subject: &str) -> (u32, String) {
    let (status, latest) = app
        .get(&format!("/subjects/{subject}/versions/latest"))
        .await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    let id = latest["id"].as_u64().expect("id") as u32;
    // A lookup answers with the GUID too.
    let mut lookup = json!({ "schema": latest["schema"] });
    if let Some(schema_type) = latest.get("schemaType") {
        lookup["schemaType"] = schema_type.clone();
    }
    let (status, body) = app.post(&format!("/subjects/{subject}"), &lookup).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], latest["id"]);
    let guid = body["guid"].as_str().expect("guid").replace('-', "");
    assert_eq!(guid.len(), 32, "{body}");
    (id, guid)
}

fn assert_ok(run: &Run) {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
}

/// Splits a header-framed hex line into payload and header value.
fn header_line(line: &str) -> (&str, &str) {
    let (payload, header) = line.split_once(' ').expect("payload and header");
    let value = header
        .strip_prefix("__value_schema_id=")
        .expect("the value schema id header");
    (payload, value)
}

async fn avro_lines_round_trip_in_both_framings(app: TestApp) {
    let values = avro_values();
    let schema = interop("user.avsc");
    let encode = |extra: &'static [&'static str]| {
        let mut args = vec![
            "encode", "--format", "avro", "--topic", "cli-avro", "--schema", &schema,
        ];
        args.extend_from_slice(extra);
        args
    };

    let prefixed = accord(&app, &encode(&[]), json_lines(&values)).await;
    assert_ok(&prefixed);
    let (id, guid) = latest(&app, "cli-avro-value").await;
    let lines = prefixed.lines();
    assert_eq!(lines.len(), values.len());
    for line in &lines {
        // 0x00, the 4-byte id; the datum starts with the long id (zigzag).
        assert!(line.starts_with(&format!("00{id:08x}")), "{line}");
    }
    assert!(
        lines[0].starts_with(&format!("00{id:08x}02")),
        "id 1 is 0x02"
    );
    let decoded = accord(
        &app,
        &["decode", "--format", "avro"],
        prefixed.stdout.clone(),
    )
    .await;
    assert_ok(&decoded);
    assert_eq!(decoded.json_values(), values);

    // Writing with the registered schema by id gives the same bytes.
    let id_text = id.to_string();
    let by_id = accord(
        &app,
        &[
            "encode",
            "--format",
            "avro",
            "--topic",
            "cli-avro",
            "--schema-id",
            &id_text,
        ],
        json_lines(&values),
    )
    .await;
    assert_ok(&by_id);
    assert_eq!(by_id.stdout, prefixed.stdout);

    let headed = accord(&app, &encode(&["--framing", "header"]), json_lines(&values)).await;
    assert_ok(&headed);
    for (line, prefixed_line) in headed.lines().iter().zip(&lines) {
        let (payload, header) = header_line(line);
        assert_eq!(header, format!("01{guid}"));
        assert_eq!(payload, &prefixed_line[10..], "the bare datum");
    }
    let decoded = accord(&app, &["decode", "--format", "avro"], headed.stdout).await;
    assert_ok(&decoded);
    assert_eq!(decoded.json_values(), values);

    let binary = accord(&app, &encode(&["--output", "binary"]), json_lines(&values)).await;
    assert_ok(&binary);
    let first = &lines[0];
    let length = (first.len() / 2) as u32;
    assert_eq!(binary.stdout[..4], length.to_be_bytes());
    assert_eq!(binary.stdout[4], 0x00);
    assert_eq!(binary.stdout[5..9], id.to_be_bytes());
    let decoded = accord(
        &app,
        &["decode", "--format", "avro", "--input", "binary"],
        binary.stdout,
    )
    .await;
    assert_ok(&decoded);
    assert_eq!(decoded.json_values(), values);
}

async fn json_schema_lines_round_trip_in_both_framings(app: TestApp) {
    let values: Vec<Value> = values()["json"].as_array().expect("json").clone();
    let schema = interop("user.schema.json");
    let mut outputs = Vec::new();
    for framing in ["prefix", "header"] {
        let encoded = accord(
            &app,
            &[
                "encode",
                "--format",
                "json",
                "--topic",
                "cli-json",
                "--schema",
                &schema,
                "--framing",
                framing,
            ],
            json_lines(&values),
        )
        .await;
        assert_ok(&encoded);
        let decoded = accord(
            &app,
            &["decode", "--format", "json"],
            encoded.stdout.clone(),
        )
        .await;
        assert_ok(&decoded);
        assert_eq!(decoded.json_values(), values, "{framing}");
        outputs.push(encoded.lines());
    }
    let (id, guid) = latest(&app, "cli-json-value").await;
    for (prefixed, headed) in outputs[0].iter().zip(&outputs[1]) {
        assert!(prefixed.starts_with(&format!("00{id:08x}7b")), "{prefixed}");
        let (payload, header) = header_line(headed);
        assert_eq!(header, format!("01{guid}"));
        assert_eq!(payload, &prefixed[10..]);
    }
}

async fn protobuf_lines_round_trip_in_both_framings(app: TestApp) {
    let schema = interop("user.proto");
    let all = values();
    // The message indexes Confluent writes: [1] for User, [1, 0] for the
    // nested Note, and the single 0 byte for the first message, Address.
    let cases = [
        ("accord.interop.User", "0202"),
        ("accord.interop.User.Note", "040200"),
        ("accord.interop.Address", "00"),
    ];
    for (message, indexes) in cases {
        let values: Vec<Value> = all["protobuf"][message]
            .as_array()
            .expect("protobuf values")
            .clone();
        let mut outputs = Vec::new();
        for framing in ["prefix", "header"] {
            let encoded = accord(
                &app,
                &[
                    "encode",
                    "--format",
                    "protobuf",
                    "--topic",
                    "cli-proto",
                    "--schema",
                    &schema,
                    "--message",
                    message,
                    "--framing",
                    framing,
                ],
                json_lines(&values),
            )
            .await;
            assert_ok(&encoded);
            let decoded = accord(
                &app,
                &["decode", "--format", "protobuf"],
                encoded.stdout.clone(),
            )
            .await;
            assert_ok(&decoded);
            assert_eq!(decoded.json_values(), values, "{message} {framing}");
            outputs.push(encoded.lines());
        }
        // With the subject's latest version the registered schema is
        // compiled to read the JSON: the same bytes.
        let with_latest = accord(
            &app,
            &[
                "encode",
                "--format",
                "protobuf",
                "--topic",
                "cli-proto",
                "--latest",
                "--message",
                message,
            ],
            json_lines(&values),
        )
        .await;
        assert_ok(&with_latest);
        assert_eq!(with_latest.lines(), outputs[0], "{message}");
        let (id, guid) = latest(&app, "cli-proto-value").await;
        for (prefixed, headed) in outputs[0].iter().zip(&outputs[1]) {
            assert!(
                prefixed.starts_with(&format!("00{id:08x}{indexes}")),
                "{message}: {prefixed}"
            );
            let (payload, header) = header_line(headed);
            assert_eq!(header, format!("01{guid}{indexes}"), "{message}");
            assert_eq!(payload, &prefixed[10 + indexes.len()..], "{message}");
        }
    }
}

async fn lookup_of_an_unregistered_schema_fails_in_one_line(app: TestApp) {
    let run = accord(
        &app,
        &[
            "encode",
            "--format",
            "avro",
            "--topic",
            "cli-unregistered",
            "--schema",
            &interop("user.avsc"),
            "--no-auto-register",
        ],
        json_lines(&avro_values()),
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("accord encode: registry error 404 (code 40401)"),
        "{}",
        run.stderr
    );
    let (status, _) = app.get("/subjects/cli-unregistered-value/versions").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was registered");
}

async fn bad_messages_on_decode_are_reported_and_the_rest_decoded(app: TestApp) {
    let values = avro_values();
    let encoded = accord(
        &app,
        &[
            "encode",
            "--format",
            "avro",
            "--topic",
            "cli-garbage",
            "--schema",
            &interop("user.avsc"),
        ],
        json_lines(&values),
    )
    .await;
    assert_ok(&encoded);
    let lines = encoded.lines();
    let input = format!("{}\nff00\n{}\nzz\n00000fffff02\n", lines[0], lines[1]);
    let decoded = accord(&app, &["decode", "--format", "avro"], input.into_bytes()).await;
    assert_eq!(decoded.code, 1, "{}", decoded.stderr);
    assert_eq!(decoded.json_values(), values);
    let errors: Vec<&str> = decoded.stderr.lines().collect();
    assert_eq!(
        errors,
        [
            "line 2: unknown magic byte 0xff: the message is not framed with a schema id (0x00) or GUID (0x01)",
            "line 4: the payload is not hex: \"zz\" is not a hex byte",
            "line 5: unknown schema id 1048575: the registry has no such schema",
        ],
        "{}",
        decoded.stderr
    );
}

async fn bad_lines_on_encode_are_reported_and_the_rest_encoded(app: TestApp) {
    let values = avro_values();
    let mut wrong = values[0].clone();
    wrong["id"] = json!("x");
    let input = format!("{}\nnot json\n{}\n{}\n", values[0], wrong, values[1]);
    let encoded = accord(
        &app,
        &[
            "encode",
            "--format",
            "avro",
            "--topic",
            "cli-bad-lines",
            "--schema",
            &interop("user.avsc"),
        ],
        input.into_bytes(),
    )
    .await;
    assert_eq!(encoded.code, 1, "{}", encoded.stderr);
    let errors: Vec<&str> = encoded.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{}", encoded.stderr);
    assert!(errors[0].starts_with("line 2: not JSON: "), "{}", errors[0]);
    assert_eq!(
        errors[1],
        "line 3: cannot serialize: at /id: expected a long (a 64-bit integer), found \"x\""
    );
    let decoded = accord(&app, &["decode", "--format", "avro"], encoded.stdout).await;
    assert_ok(&decoded);
    assert_eq!(decoded.json_values(), values);
}

async fn header_framing_in_binary_is_refused(app: TestApp) {
    let run = accord(
        &app,
        &[
            "encode",
            "--format",
            "json",
            "--topic",
            "cli-refused",
            "--schema",
            &interop("user.schema.json"),
            "--framing",
            "header",
            "--output",
            "binary",
        ],
        json_lines(&values()["json"].as_array().expect("json").clone()),
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr.trim_end(),
        "accord encode: header framing puts the schema id in a Kafka header, which binary \
         output has no place for: use --output hex, or --framing prefix"
    );
}

crate::backend_tests!(
    avro_lines_round_trip_in_both_framings,
    json_schema_lines_round_trip_in_both_framings,
    protobuf_lines_round_trip_in_both_framings,
    lookup_of_an_unregistered_schema_fails_in_one_line,
    bad_messages_on_decode_are_reported_and_the_rest_decoded,
    bad_lines_on_encode_are_reported_and_the_rest_encoded,
    header_framing_in_binary_is_refused,
);
