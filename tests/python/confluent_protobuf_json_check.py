"""End-to-end check of Accord's Protobuf and JSON Schema support with the real
confluent-kafka Python client.

Usage: python confluent_protobuf_json_check.py <registry-url>

No Kafka broker is needed: the serializers are called directly. Protobuf
message classes are built at runtime from FileDescriptorProtos (no protoc):
`accord/shop/order.proto` imports `accord/common/address.proto` (registered by
the serializer as a reference) and `google/protobuf/timestamp.proto` (built
into the registry, never registered). Exits 0 when every check passes, 1 with a
message on stderr otherwise, 3 when confluent_kafka or an extra is missing.
"""

import json
import struct
import sys
import traceback

try:
    import confluent_kafka
    from confluent_kafka.schema_registry import (
        Schema,
        SchemaReference,
        SchemaRegistryClient,
    )
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
    from confluent_kafka.serialization import (
        MessageField,
        SerializationContext,
        SerializationError,
    )
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
except ImportError as error:  # pragma: no cover - reported to the harness
    print(f"confluent_kafka[json,protobuf] is not importable: {error}", file=sys.stderr)
    sys.exit(3)


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def step(message):
    print(f"-- {message}", flush=True)


def fresh_client(url):
    return SchemaRegistryClient({"url": url})


# --- Protobuf -----------------------------------------------------------------

ADDRESS_FILE = "accord/common/address.proto"
ORDER_FILE = "accord/shop/order.proto"
F = descriptor_pb2.FieldDescriptorProto


def field(name, number, kind, type_name=None, label=F.LABEL_OPTIONAL):
    proto = F(name=name, number=number, type=kind, label=label)
    if type_name:
        proto.type_name = type_name
    return proto


def protobuf_messages():
    """Builds the two files in a private pool; returns (Audit, Order) classes."""
    address = descriptor_pb2.FileDescriptorProto(
        name=ADDRESS_FILE, package="accord.common", syntax="proto3"
    )
    address.message_type.add(
        name="Address",
        field=[field("city", 1, F.TYPE_STRING), field("country", 2, F.TYPE_STRING)],
    )
    order = descriptor_pb2.FileDescriptorProto(
        name=ORDER_FILE,
        package="accord.shop",
        syntax="proto3",
        dependency=[ADDRESS_FILE, "google/protobuf/timestamp.proto"],
    )
    # Audit comes first, so Order's message index is [1], not the default [0].
    order.message_type.add(name="Audit", field=[field("who", 1, F.TYPE_STRING)])
    order.message_type.add(
        name="Order",
        field=[
            field("id", 1, F.TYPE_STRING),
            field("ship_to", 2, F.TYPE_MESSAGE, ".accord.common.Address"),
            field("placed_at", 3, F.TYPE_MESSAGE, ".google.protobuf.Timestamp"),
            field("quantity", 4, F.TYPE_INT32),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
    pool.Add(address)
    pool.Add(order)
    audit_class = message_factory.GetMessageClass(pool.FindMessageTypeByName("accord.shop.Audit"))
    order_class = message_factory.GetMessageClass(pool.FindMessageTypeByName("accord.shop.Order"))
    return audit_class, order_class


ORDER_V2_TEXT = """syntax = "proto3";
package accord.shop;

import "accord/common/address.proto";
import "google/protobuf/timestamp.proto";

message Audit {
  string who = 1;
}
message Order {
  string id = 1;
  accord.common.Address ship_to = 2;
  google.protobuf.Timestamp placed_at = 3;
  int64 quantity = 4;
  string note = 5;
}
"""

ORDER_BREAKING_TEXT = ORDER_V2_TEXT.replace("string id = 1;", "double id = 1;")


def protobuf(url):
    step("protobuf: serialize with auto-registration (descriptor + reference)")
    audit_class, order_class = protobuf_messages()
    topic = "accord-py-proto-orders"
    subject = f"{topic}-value"
    serializer = ProtobufSerializer(order_class, fresh_client(url), {"use.deprecated.format": False})
    message = order_class(id="o-1", quantity=3)
    message.ship_to.city = "Lyon"
    message.ship_to.country = "FR"
    message.placed_at.seconds = 1_700_000_000
    ctx = SerializationContext(topic, MessageField.VALUE)
    payload = serializer(message, ctx)

    reader = fresh_client(url)
    latest = reader.get_latest_version(subject)
    check_eq(latest.schema.schema_type, "PROTOBUF", "schema type of the registered subject")
    check_eq(
        [(ref.name, ref.subject, ref.version) for ref in latest.schema.references],
        [(ADDRESS_FILE, ADDRESS_FILE, 1)],
        "references of the registered schema",
    )
    check("message Order" in latest.schema.schema_str, f"stored text is .proto: {latest.schema.schema_str!r}")
    check(
        "import \"google/protobuf/timestamp.proto\";" in latest.schema.schema_str,
        "the well-known import is kept in the stored text",
    )
    dependency = reader.get_latest_version(ADDRESS_FILE)
    check("message Address" in dependency.schema.schema_str, "the reference is stored as .proto text")

    check_eq(payload[0], 0, "magic byte")
    check_eq(struct.unpack(">I", payload[1:5])[0], latest.schema_id, "schema id in the frame")
    check_eq(payload[5:7], b"\x02\x02", "message indexes [1] of Order")
    check_eq(serializer(message, ctx), payload, "a second serialization")

    step("protobuf: deserialize with a fresh client (format=serialized descriptors)")
    deserializer = ProtobufDeserializer(
        order_class, {"use.deprecated.format": False}, schema_registry_client=fresh_client(url)
    )
    decoded = deserializer(payload, ctx)
    check_eq(decoded, message, "protobuf round trip")

    step("protobuf: the first message of the file uses the short index form")
    audit_payload = ProtobufSerializer(audit_class, fresh_client(url), {"use.deprecated.format": False})(
        audit_class(who="ann"), SerializationContext(f"{topic}-audit", MessageField.VALUE)
    )
    check_eq(audit_payload[5:6], b"\x00", "message indexes [0] of Audit")
    check_eq(
        ProtobufDeserializer(audit_class, {"use.deprecated.format": False}, schema_registry_client=fresh_client(url))(
            audit_payload, SerializationContext(f"{topic}-audit", MessageField.VALUE)
        ),
        audit_class(who="ann"),
        "Audit round trip",
    )

    step("protobuf: compatibility of .proto text against the descriptor-registered version")
    client = fresh_client(url)
    refs = [SchemaReference(ADDRESS_FILE, ADDRESS_FILE, 1)]
    check(
        client.test_compatibility(subject, Schema(ORDER_V2_TEXT, "PROTOBUF", refs)),
        "widening int32 to int64 and adding a field is BACKWARD compatible",
    )
    check(
        not client.test_compatibility(subject, Schema(ORDER_BREAKING_TEXT, "PROTOBUF", refs)),
        "changing string to double is not compatible",
    )
    v2 = client.register_schema(subject, Schema(ORDER_V2_TEXT, "PROTOBUF", refs))
    check(v2 != latest.schema_id, "the second version gets a new id")
    check_eq(fresh_client(url).get_versions(subject), [1, 2], "versions after evolving")
    # Messages written with version 1 still decode.
    check_eq(
        ProtobufDeserializer(
            order_class, {"use.deprecated.format": False}, schema_registry_client=fresh_client(url)
        )(payload, ctx),
        message,
        "version 1 bytes after version 2 exists",
    )


# --- JSON Schema ---------------------------------------------------------------

PAYMENT_V1 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Payment",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "amount": {"type": "number", "minimum": 0},
    },
    "required": ["id", "amount"],
    "additionalProperties": False,
}

# Adding an optional property to a closed object is BACKWARD compatible.
PAYMENT_V2 = json.loads(json.dumps(PAYMENT_V1))
PAYMENT_V2["properties"]["currency"] = {"type": "string"}

# Narrowing number to integer is not.
PAYMENT_BREAKING = json.loads(json.dumps(PAYMENT_V1))
PAYMENT_BREAKING["properties"]["amount"] = {"type": "integer"}


def json_schema(url):
    step("json: serialize with auto-registration")
    topic = "accord-py-json-payments"
    subject = f"{topic}-value"
    ctx = SerializationContext(topic, MessageField.VALUE)
    record = {"id": "p-1", "amount": 12.5}
    serializer = JSONSerializer(json.dumps(PAYMENT_V1), fresh_client(url))
    payload = serializer(record, ctx)
    latest = fresh_client(url).get_latest_version(subject)
    check_eq(latest.schema.schema_type, "JSON", "schema type")
    check_eq(json.loads(latest.schema.schema_str), PAYMENT_V1, "stored JSON schema")
    check_eq(payload[0], 0, "magic byte")
    check_eq(struct.unpack(">I", payload[1:5])[0], latest.schema_id, "schema id in the frame")
    check_eq(json.loads(payload[5:]), record, "JSON payload")

    step("json: the serializer validates against the schema")
    try:
        serializer({"id": "p-2", "amount": "lots"}, ctx)
    except SerializationError:
        pass
    else:
        raise CheckFailed("a record that breaks the schema was serialized")

    step("json: deserialize with a fresh client")
    decoded = JSONDeserializer(None, schema_registry_client=fresh_client(url))(payload, ctx)
    check_eq(decoded, record, "JSON round trip")

    step("json: compatibility")
    client = fresh_client(url)
    check(client.test_compatibility(subject, Schema(json.dumps(PAYMENT_V2), "JSON")), "closed model, new optional property")
    check(
        not client.test_compatibility(subject, Schema(json.dumps(PAYMENT_BREAKING), "JSON")),
        "number narrowed to integer",
    )
    v2_serializer = JSONSerializer(json.dumps(PAYMENT_V2), fresh_client(url))
    payload2 = v2_serializer({"id": "p-3", "amount": 1, "currency": "EUR"}, ctx)
    check(struct.unpack(">I", payload2[1:5])[0] != latest.schema_id, "version 2 has its own id")
    check_eq(fresh_client(url).get_versions(subject), [1, 2], "versions after evolving")
    check_eq(
        JSONDeserializer(None, schema_registry_client=fresh_client(url))(payload2, ctx),
        {"id": "p-3", "amount": 1, "currency": "EUR"},
        "version 2 round trip",
    )


def main(url):
    print(f"confluent-kafka {confluent_kafka.version()}, registry {url}", flush=True)
    protobuf(url)
    json_schema(url)
    print("all protobuf and json checks passed", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: confluent_protobuf_json_check.py <registry-url>", file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1].rstrip("/"))
    except CheckFailed as failure:
        print(f"CHECK FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    except Exception:  # noqa: BLE001 - any client error is a failure
        print("UNEXPECTED ERROR:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
