//! Producing Avro records to NATS JetStream with accord-serde, and consuming
//! them: the schema's GUID travels in a `__value_schema_id` message header
//! and the payload is the bare Avro datum, as Confluent 8 clients do it with
//! Kafka headers. One more record goes out prefix-framed (magic byte 0 and
//! the 4-byte schema id before the datum, no header), to show that one
//! deserializer reads both.
//!
//! Run it with a registry and a JetStream-enabled NATS server up:
//!
//! ```text
//! cargo run -- serve &                 # Accord on 127.0.0.1:8081
//! nats-server -js &                    # NATS on 127.0.0.1:4222
//! cargo run --example nats_jetstream   # ACCORD_URL and NATS_URL override
//! ```
//!
//! # The header's encoding
//! Kafka header values are bytes, and Confluent's serializers put the raw
//! 17 bytes there (magic byte 1, then the GUID). NATS headers are text lines
//! in the HTTP style: a value cannot hold CR, LF or bytes that are not
//! UTF-8, and a GUID's bytes can be any of those. So the header value is the
//! lowercase hex of those bytes: `01` followed by the GUID's 32 hex digits,
//! which is the schema's UUID without its dashes, readable in `nats stream
//! get` output and easy to look up at `GET /schemas/guids/{uuid}`. Consumers
//! hex-decode it back to the 17 bytes accord-serde's deserializers take.

use std::error::Error;
use std::time::{Duration, Instant};

use accord_serde::{AvroDeserializer, AvroSerializer, Framing, RegistryClient, SerializerConfig};
use async_nats::jetstream::{self, consumer, stream};
use async_nats::HeaderMap;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

const ORDER_SCHEMA: &str = r#"{
  "type": "record",
  "name": "Order",
  "namespace": "com.example.shop",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "customer", "type": "string"},
    {"name": "total_cents", "type": "long"}
  ]
}"#;

/// How long consuming may take before the example gives up on missing
/// messages.
const CONSUME_DEADLINE: Duration = Duration::from_secs(15);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub customer: String,
    pub total_cents: i64,
}

/// One consumed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The message's sequence number in the stream.
    pub sequence: u64,
    pub order: Order,
    /// The schema id header, hex-decoded (magic byte 1 and the GUID);
    /// `None` for a prefix-framed message.
    pub schema_header: Option<Vec<u8>>,
}

/// What the example produces, in order: all but the last in header framing,
/// the last in prefix framing.
pub fn orders() -> Vec<Order> {
    [(1, "ann", 1250), (2, "bo", 399), (3, "cy", 72000)]
        .into_iter()
        .map(|(id, customer, total_cents)| Order {
            id,
            customer: customer.to_owned(),
            total_cents,
        })
        .collect()
}

/// Publishes [`orders`] to `<stream>.orders` in JetStream stream `stream`
/// (created if missing), then reads those messages back with a pull consumer
/// and decodes them. Messages already in a reused stream are skipped.
pub async fn run(
    registry_url: &str,
    nats_url: &str,
    stream: &str,
) -> Result<Vec<Decoded>, Box<dyn Error + Send + Sync>> {
    let registry = RegistryClient::from_url(registry_url)?;
    let nats = async_nats::connect(nats_url).await?;
    let jetstream = jetstream::new(nats);

    let subject = format!("{stream}.orders");
    let stream = jetstream
        .get_or_create_stream(stream::Config {
            name: stream.to_owned(),
            subjects: vec![format!("{stream}.>")],
            // A demo stream: keep it from growing without bound.
            max_age: Duration::from_secs(24 * 60 * 60),
            ..Default::default()
        })
        .await?;

    // The NATS subject plays the Kafka topic: the registry subject is
    // `<stream>.orders-value`.
    let serializer = |framing| {
        let config = SerializerConfig {
            framing,
            ..SerializerConfig::default()
        };
        AvroSerializer::new(registry.clone(), Some(ORDER_SCHEMA), config)
    };
    let in_header = serializer(Framing::Header)?;
    let in_prefix = serializer(Framing::Prefix)?;

    let orders = orders();
    let mut first_sequence = None;
    for (index, order) in orders.iter().enumerate() {
        let last = index + 1 == orders.len();
        let framed = if last {
            in_prefix.serialize(&subject, order).await?
        } else {
            in_header.serialize(&subject, order).await?
        };
        let mut headers = HeaderMap::new();
        if let Some(header) = &framed.header {
            headers.insert(header.name, hex(&header.value));
        }
        // The second await is JetStream's acknowledgement that the message
        // is stored, with its sequence number.
        let stored = jetstream
            .publish_with_headers(subject.clone(), headers, framed.payload.into())
            .await?
            .await?;
        first_sequence.get_or_insert(stored.sequence);
    }
    let first_sequence = first_sequence.ok_or("nothing to publish")?;

    // An ephemeral consumer starting at our first message, so that a reused
    // stream's older messages are not read again.
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: first_sequence,
            },
            ack_policy: consumer::AckPolicy::Explicit,
            filter_subject: subject.clone(),
            ..Default::default()
        })
        .await?;

    let deserializer = AvroDeserializer::new(registry);
    let header_name = header_name();
    let deadline = Instant::now() + CONSUME_DEADLINE;
    let mut decoded = Vec::with_capacity(orders.len());
    while decoded.len() < orders.len() {
        if Instant::now() >= deadline {
            return Err(format!(
                "consumed {} of the {} messages published within {CONSUME_DEADLINE:?}",
                decoded.len(),
                orders.len()
            )
            .into());
        }
        let mut batch = consumer
            .fetch()
            .max_messages(orders.len() - decoded.len())
            .expires(Duration::from_secs(1))
            .messages()
            .await?;
        while let Some(message) = batch.next().await {
            let message = message?;
            let schema_header = match message.headers.as_ref().and_then(|h| h.get(header_name)) {
                Some(value) => Some(unhex(value.as_str())?),
                None => None,
            };
            let order: Order = deserializer
                .deserialize(&message.payload, schema_header.as_deref())
                .await?;
            let sequence = message.info()?.stream_sequence;
            message.ack().await?;
            decoded.push(Decoded {
                sequence,
                order,
                schema_header,
            });
        }
    }
    Ok(decoded)
}

/// `__value_schema_id`: the serializers write values.
fn header_name() -> &'static str {
    SerializerConfig::default().role.header_name()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let invalid = || format!("schema id header `{text}` is not hex");
    if !text.is_ascii() || !text.len().is_multiple_of(2) {
        return Err(invalid());
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).map_err(|_| invalid()))
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let registry_url =
        std::env::var("ACCORD_URL").unwrap_or_else(|_| "http://127.0.0.1:8081".to_owned());
    let nats_url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    for message in run(&registry_url, &nats_url, "accord-example").await? {
        let framing = match &message.schema_header {
            Some(header) => format!("{} header {}", header_name(), hex(header)),
            None => "id in the payload prefix".to_owned(),
        };
        println!("#{} ({framing}): {:?}", message.sequence, message.order);
    }
    Ok(())
}
