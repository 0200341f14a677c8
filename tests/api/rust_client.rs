//! The Rust crate `schema_registry_converter` (6.x, `proto_raw`) against
//! Accord: its encoder registers `.proto` text with a reference, frames a
//! message with the schema id and message indexes, and its decoder reads the
//! frame back through Accord's schema lookups.

use reqwest::StatusCode;
use schema_registry_converter::async_impl::proto_raw::{ProtoRawDecoder, ProtoRawEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::schema_registry_common::{
    SchemaType, SubjectNameStrategy, SuppliedReference, SuppliedSchema,
};

use crate::helpers::TestApp;

const ADDRESS_PROTO: &str = r#"syntax = "proto3";
package acme.common;

message Address {
  string city = 1;
  string country = 2;
}
"#;

/// Imports a registered file and a well-known type nobody registers; the
/// framed message is the second one, so its index is not the default `[0]`.
const ORDER_PROTO: &str = r#"syntax = "proto3";
package acme;

import "acme/common/address.proto";
import "google/protobuf/timestamp.proto";

message Header {
  string source = 1;
}

message Order {
  string id = 1;
  acme.common.Address ship_to = 2;
  google.protobuf.Timestamp placed_at = 3;

  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
  repeated Line lines = 4;
}
"#;

fn order_strategy(topic: &str) -> SubjectNameStrategy {
    let schema = SuppliedSchema::new(
        Some("acme.Order".to_owned()),
        SchemaType::Protobuf,
        ORDER_PROTO.to_owned(),
    )
    .with_references(vec![SuppliedReference::new(
        "acme/common/address.proto".to_owned(),
        "acme/common/address.proto".to_owned(),
        ADDRESS_PROTO.to_owned(),
    )]);
    SubjectNameStrategy::TopicNameStrategyWithSchema(topic.to_owned(), false, schema)
}

async fn schema_registry_converter_proto_raw(app: TestApp) {
    // Order { id: "o-1" } in protobuf binary: field 1, length-delimited.
    let payload = [0x0a, 0x03, b'o', b'-', b'1'];
    let encoder = ProtoRawEncoder::new(SrSettings::new(app.address.clone()));
    let framed = encoder
        .encode(&payload, "acme.Order", order_strategy("orders"))
        .await
        .expect("the converter registers and encodes");

    let (status, latest) = app.get("/subjects/orders-value/versions/latest").await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    let id = latest["id"].as_i64().expect("id");
    assert_eq!(latest["schemaType"], "PROTOBUF");
    assert_eq!(
        latest["references"][0]["subject"], "acme/common/address.proto",
        "{latest}"
    );
    let (status, dependency) = app
        .get("/subjects/acme%2Fcommon%2Faddress.proto/versions/1")
        .await;
    assert_eq!(status, StatusCode::OK, "{dependency}");

    // Magic byte, big-endian id, message indexes [1] as zig-zag varints, payload.
    let mut expected = vec![0u8];
    expected.extend_from_slice(&(id as u32).to_be_bytes());
    expected.extend_from_slice(&[0x02, 0x02]);
    expected.extend_from_slice(&payload);
    assert_eq!(framed, expected);

    // Nested messages get a path of indexes: Order.Line is [1, 0].
    let line = [0x0a, 0x01, b'x', 0x10, 0x02];
    let framed_line = encoder
        .encode(&line, "acme.Order.Line", order_strategy("orders"))
        .await
        .expect("a nested message encodes");
    assert_eq!(&framed_line[5..8], &[0x04, 0x02, 0x00]);

    // A fresh decoder knows nothing: it fetches the schema by id and the
    // reference by subject and version.
    let decoder = ProtoRawDecoder::new(SrSettings::new(app.address.clone()));
    let decoded = decoder
        .decode(Some(&framed))
        .await
        .expect("the converter decodes")
        .expect("a message");
    assert_eq!(decoded.full_name.as_str(), "acme.Order");
    assert_eq!(decoded.bytes, payload);
    assert_eq!(i64::from(decoded.schema.id), id);
    let decoded_line = decoder
        .decode(Some(&framed_line))
        .await
        .expect("the nested message decodes")
        .expect("a message");
    assert_eq!(decoded_line.full_name.as_str(), "acme.Order.Line");
    assert_eq!(decoded_line.bytes, line);

    // Encoding again registers nothing new.
    let again = encoder
        .encode(&payload, "acme.Order", order_strategy("orders"))
        .await
        .expect("encodes again");
    assert_eq!(again, framed);
    let (_, versions) = app.get("/subjects/orders-value/versions").await;
    assert_eq!(versions, serde_json::json!([1]));
}

crate::backend_tests!(schema_registry_converter_proto_raw);
