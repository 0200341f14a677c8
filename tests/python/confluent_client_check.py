"""End-to-end check of Accord with the real confluent-kafka Python client.

Usage: python confluent_client_check.py <registry-url>

No Kafka broker is needed: the serializers are called directly. Exits 0 when
every check passes, 1 with a message on stderr otherwise, and 3 when the
confluent_kafka module is missing (the Rust harness decides whether that is a
skip or a failure).
"""

import json
import struct
import sys
import traceback
import uuid

try:
    import confluent_kafka
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.serialization import MessageField, SerializationContext
except ImportError as error:  # pragma: no cover - reported to the harness
    print(f"confluent_kafka is not importable: {error}", file=sys.stderr)
    sys.exit(3)

try:
    from confluent_kafka.schema_registry import header_schema_id_serializer
except ImportError:  # older clients have no header framing
    header_schema_id_serializer = None


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def expect_registry_error(call, status, what):
    try:
        result = call()
    except SchemaRegistryError as error:
        check_eq(error.http_status_code, status, f"{what}: HTTP status ({error})")
        return error
    raise CheckFailed(f"{what}: expected HTTP {status}, got a result: {result!r}")


def step(message):
    print(f"-- {message}", flush=True)


ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "accord.pytest",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "customer", "type": "string"},
        {"name": "amount", "type": "double"},
    ],
}

# Adds a field with a default: compatible in both directions (FULL).
ORDER_V2 = {
    **ORDER_V1,
    "fields": ORDER_V1["fields"] + [{"name": "note", "type": "string", "default": ""}],
}

# Changes a field's type: incompatible in both directions.
ORDER_BAD = {
    **ORDER_V1,
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "customer", "type": "string"},
        {"name": "amount", "type": "string"},
    ],
}

EVENT = {
    "type": "record",
    "name": "Event",
    "namespace": "accord.pytest",
    "fields": [
        {"name": "kind", "type": "string"},
        {"name": "count", "type": "int"},
    ],
}


def dumps(schema):
    return json.dumps(schema, separators=(",", ":"))


def fresh_client(url):
    return SchemaRegistryClient({"url": url})


def same_schema_text(actual, expected, what):
    """Compares schema strings as JSON (the registry may or may not keep the exact text)."""
    check(actual is not None, f"{what}: schema string missing")
    try:
        parsed = json.loads(actual)
    except ValueError as error:
        raise CheckFailed(f"{what}: schema is not JSON ({error}): {actual!r}")
    check_eq(parsed, json.loads(expected), what)


def main(url):
    print(f"confluent-kafka {confluent_kafka.version()}, registry {url}", flush=True)
    topic = "accord-py-orders"
    subject = f"{topic}-value"
    v1, v2, bad = dumps(ORDER_V1), dumps(ORDER_V2), dumps(ORDER_BAD)
    record = {"id": 42, "customer": "ann", "amount": 12.5}

    step("serialize with auto-registration")
    writer_client = fresh_client(url)
    serializer = AvroSerializer(writer_client, v1)
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = serializer(record, ctx)
    check(isinstance(data, bytes) and len(data) > 5, f"serialized payload too short: {data!r}")
    check_eq(data[0], 0, "magic byte")
    (wire_id,) = struct.unpack(">I", data[1:5])

    reader = fresh_client(url)
    latest = reader.get_latest_version(subject)
    check_eq(latest.schema_id, wire_id, "id in the payload vs the registry's latest version")
    check_eq(latest.version, 1, "first version number")
    check_eq(latest.subject, subject, "subject of latest version")
    same_schema_text(latest.schema.schema_str, v1, "registered schema text")
    id1 = wire_id
    check(serializer(record, ctx) == data, "second serialization differs")

    step("deserialize with a fresh client")
    deserializer = AvroDeserializer(fresh_client(url))
    decoded = deserializer(data, SerializationContext(topic, MessageField.VALUE))
    check_eq(decoded, record, "round-tripped record")

    step("compatibility config")
    result = writer_client.set_compatibility(subject_name=subject, level="FULL")
    if isinstance(result, dict):
        check_eq(result.get("compatibility"), "FULL", "set_compatibility response")
    check_eq(fresh_client(url).get_compatibility(subject), "FULL", "get_compatibility")

    step("test_compatibility")
    check_eq(
        reader.test_compatibility(subject, Schema(v2, "AVRO")),
        True,
        "test_compatibility with a field added with a default (FULL)",
    )
    check_eq(
        reader.test_compatibility(subject, Schema(bad, "AVRO")),
        False,
        "test_compatibility with a type change (FULL)",
    )
    check_eq(
        reader.test_compatibility(subject, Schema(v2, "AVRO"), version=1),
        True,
        "test_compatibility against version 1",
    )
    expect_registry_error(
        lambda: fresh_client(url).register_schema(subject, Schema(bad, "AVRO")),
        409,
        "registering an incompatible schema",
    )

    step("register a second version")
    registered = writer_client.register_schema_full_response(subject, Schema(v2, "AVRO"))
    id2 = registered.schema_id
    check(id2 != id1, f"second schema reused id {id1}")
    if registered.version is not None:
        check_eq(registered.version, 2, "version in the register response")
    check_eq(fresh_client(url).register_schema(subject, Schema(v2, "AVRO")), id2, "re-registration id")

    latest = fresh_client(url).get_latest_version(subject)
    check_eq((latest.version, latest.schema_id), (2, id2), "latest version after the second register")
    same_schema_text(latest.schema.schema_str, v2, "latest schema text")
    check_eq(reader.get_versions(subject), [1, 2], "get_versions")
    version1 = fresh_client(url).get_version(subject, 1)
    check_eq((version1.version, version1.schema_id), (1, id1), "get_version(1)")
    subjects = reader.get_subjects()
    check(subject in subjects, f"get_subjects {subjects!r} lacks {subject}")

    step("lookup_schema")
    found = fresh_client(url).lookup_schema(subject, Schema(v1, "AVRO"))
    check_eq((found.schema_id, found.version, found.subject), (id1, 1, subject), "lookup of v1")
    found = fresh_client(url).lookup_schema(subject, Schema(v2, "AVRO"))
    check_eq((found.schema_id, found.version, found.subject), (id2, 2, subject), "lookup of v2")
    expect_registry_error(
        lambda: fresh_client(url).lookup_schema(subject, Schema(dumps(EVENT), "AVRO")),
        404,
        "lookup of a schema not in the subject",
    )

    step("fetch by id")
    fetched = fresh_client(url).get_schema(id2)
    same_schema_text(fetched.schema_str, v2, "get_schema(id2)")

    if header_schema_id_serializer is None:
        print("-- header/GUID framing: not supported by this client version, skipped", flush=True)
    else:
        header_framing(url)

    step("deletes")
    check_eq(reader.delete_version(subject, 1), 1, "soft delete_version(1)")
    check_eq(fresh_client(url).get_versions(subject), [2], "versions after deleting version 1")
    check_eq(fresh_client(url).get_versions(subject, deleted=True), [1, 2], "versions with deleted=True")
    # The old message still decodes: ids outlive soft deletes.
    decoded = AvroDeserializer(fresh_client(url))(data, SerializationContext(topic, MessageField.VALUE))
    check_eq(decoded, record, "decoding after a soft version delete")

    check_eq(sorted(reader.delete_subject(subject)), [2], "soft delete_subject")
    check(subject not in fresh_client(url).get_subjects(), "soft-deleted subject still listed")
    check(
        subject in fresh_client(url).get_subjects(deleted=True),
        "soft-deleted subject missing from get_subjects(deleted=True)",
    )
    expect_registry_error(
        lambda: fresh_client(url).get_latest_version(subject), 404, "latest version of a soft-deleted subject"
    )
    check_eq(sorted(reader.delete_subject(subject, permanent=True)), [1, 2], "permanent delete_subject")
    check(
        subject not in fresh_client(url).get_subjects(deleted=True),
        "permanently deleted subject still listed with deleted=True",
    )
    expect_registry_error(
        lambda: fresh_client(url).get_versions(subject, deleted=True), 404, "versions of a deleted subject"
    )
    print("all confluent-kafka checks passed", flush=True)


def header_framing(url):
    step("header/GUID framing")
    topic = "accord-py-events"
    subject = f"{topic}-value"
    schema = dumps(EVENT)
    # Long enough: the client rejects payloads under 6 bytes before reading headers.
    record = {"kind": "a-reasonably-long-event-kind", "count": 7}

    client = fresh_client(url)
    serializer = AvroSerializer(client, schema, conf={"schema.id.serializer": header_schema_id_serializer})
    headers = []
    payload = serializer(record, SerializationContext(topic, MessageField.VALUE, headers))
    check(len(payload) >= 6, f"payload unexpectedly short: {payload!r}")
    values = [value for key, value in headers if key == "__value_schema_id"]
    check_eq(len(values), 1, f"__value_schema_id headers in {headers!r}")
    header = values[0]
    check_eq(len(header), 17, "header length (magic + 16-byte GUID)")
    check_eq(header[0], 1, "header magic byte")
    guid = uuid.UUID(bytes=bytes(header[1:]))

    registered = fresh_client(url).register_schema_full_response(subject, Schema(schema, "AVRO"))
    check_eq(str(registered.guid) if registered.guid else None, str(guid), "guid in the register response")
    by_guid = fresh_client(url).get_schema_by_guid(str(guid))
    same_schema_text(by_guid.schema_str, schema, "GET /schemas/guids/{guid}")

    # Default (dual) deserializer, fresh client: reads the id from the header.
    decoded = AvroDeserializer(fresh_client(url))(
        payload, SerializationContext(topic, MessageField.VALUE, list(headers))
    )
    check_eq(decoded, record, "header-framed round trip")

    # The same subject also serves prefix-framed messages.
    prefixed = AvroSerializer(fresh_client(url), schema)(record, SerializationContext(topic, MessageField.VALUE))
    check_eq(prefixed[0], 0, "prefix magic byte")
    check_eq(struct.unpack(">I", prefixed[1:5])[0], registered.schema_id, "prefix id")
    check_eq(prefixed[5:], payload, "avro body of the prefixed vs the header-framed message")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: confluent_client_check.py <registry-url>", file=sys.stderr)
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
