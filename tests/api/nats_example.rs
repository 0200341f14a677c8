//! `examples/nats_jetstream.rs` against Accord and a real NATS JetStream
//! server: records produced with the schema GUID in a header (and one with
//! the id prefix) come back decoded, and the header names a schema Accord
//! serves.
//!
//! NATS comes from `ACCORD_TEST_NATS_URL`, else `nats://127.0.0.1:4222`
//! (`.ci/run` starts `nats-server -js` there).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use accord_serde::Guid;
use reqwest::StatusCode;

use crate::helpers::{unavailable, TestApp};

#[allow(dead_code)] // its `main`
#[path = "../../examples/nats_jetstream.rs"]
mod example;

fn nats_url() -> String {
    std::env::var("ACCORD_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A JetStream context on `url`; `Err` says why there is none.
async fn jetstream(url: &str) -> Result<async_nats::jetstream::Context, String> {
    let nats = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(|error| format!("NATS is not reachable at {url}: {error}"))?;
    // Asked by hand: async-nats's account-info type does not parse what a
    // 2.9 server answers. No responder, or an error, means no JetStream.
    let no_jetstream =
        |why: String| format!("NATS at {url} has no JetStream (run it with -js): {why}");
    let answer = nats
        .request("$JS.API.INFO", "".into())
        .await
        .map_err(|error| no_jetstream(error.to_string()))?;
    let info: serde_json::Value = serde_json::from_slice(&answer.payload)
        .map_err(|error| no_jetstream(format!("unreadable answer: {error}")))?;
    if let Some(error) = info.get("error") {
        return Err(no_jetstream(error.to_string()));
    }
    Ok(async_nats::jetstream::new(nats))
}

async fn nats_example_round_trips_header_and_prefix_framing(app: TestApp) {
    let url = nats_url();
    let jetstream = match jetstream(&url).await {
        Ok(jetstream) => jetstream,
        Err(why) => return unavailable(&why),
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let stream = format!(
        "accord_test_{}_{:?}_{nanos}",
        std::process::id(),
        app.backend
    );

    let outcome = example::run(&app.address, &url, &stream).await;
    // Remove the stream before judging, so a failure leaves nothing behind.
    let deleted = jetstream.delete_stream(&stream).await;
    let decoded = outcome.unwrap_or_else(|error| panic!("the example failed: {error}"));
    deleted.expect("delete the test stream");

    let produced = example::orders();
    let orders: Vec<_> = decoded
        .iter()
        .map(|message| message.order.clone())
        .collect();
    assert_eq!(orders, produced);
    assert!(
        decoded
            .windows(2)
            .all(|pair| pair[0].sequence < pair[1].sequence),
        "messages come back in stream order: {decoded:?}"
    );

    let (in_header, in_prefix) = decoded.split_at(produced.len() - 1);
    assert_eq!(
        in_prefix[0].schema_header, None,
        "the last is prefix-framed"
    );
    let first = in_header[0]
        .schema_header
        .as_ref()
        .expect("header-framed messages carry the schema id header");
    assert_eq!(first.len(), 17, "magic byte and GUID: {first:02x?}");
    assert_eq!(first[0], 0x01, "magic byte of a GUID: {first:02x?}");
    for message in in_header {
        assert_eq!(message.schema_header.as_ref(), Some(first), "one schema");
    }

    let guid = Guid(first[1..].try_into().expect("16 bytes"));
    let (status, body) = app.get(&format!("/schemas/guids/{guid}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "GUID {guid} from the header: {body}"
    );
    assert!(
        body["schema"]
            .as_str()
            .is_some_and(|schema| schema.contains("com.example.shop")),
        "the header names the Order schema: {body}"
    );
}

crate::backend_tests!(nats_example_round_trips_header_and_prefix_framing);
