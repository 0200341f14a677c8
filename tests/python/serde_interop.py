"""Encode or decode messages with the real confluent-kafka serializers, for
interop tests between Accord's Rust serde library and the Python client.

    serde_interop.py encode --registry URL --format avro|json|protobuf
                            --framing prefix|header --topic TOPIC
                            [--message FULL_NAME] [--key]
    serde_interop.py decode --registry URL --format avro|json|protobuf
                            --topic TOPIC [--message FULL_NAME] [--key]

encode reads one JSON value per stdin line (protobuf: the proto3 JSON of
--message) and writes one line per message:
{"value": "<hex payload>", "headers": [["<name>", "<hex value>"], ...]}.
decode reads those lines and writes one decoded value per line (protobuf:
MessageToDict with preserving_proto_field_name=True).

Schemas come from tests/data/interop. Serializers use the default config
(auto-registration, TopicNameStrategy fallback); --framing header puts the
schema GUID in the __key_schema_id/__value_schema_id header instead of the
payload prefix. Deserializers use the default dual schema-id deserializer
(header if present, else prefix). The protobuf classes are built at runtime
from a FileDescriptorProto equivalent to user.proto (no protoc). Exits 1 with a
one-line message on stderr on any error, 3 when confluent_kafka is missing.
"""

import argparse
import json
import sys
from pathlib import Path

try:
    from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext
    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
except ImportError as error:  # pragma: no cover - reported to the harness
    print(f"confluent_kafka[avro,json,protobuf] is not importable: {error}", file=sys.stderr)
    sys.exit(3)

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "interop"
PROTO_FILE = "accord/interop/user.proto"
F = descriptor_pb2.FieldDescriptorProto


def field(name, number, kind, type_name=None, label=F.LABEL_OPTIONAL):
    proto = F(name=name, number=number, type=kind, label=label)
    if type_name:
        proto.type_name = type_name
    return proto


def user_proto_pool():
    """A descriptor pool holding the equivalent of tests/data/interop/user.proto."""
    file = descriptor_pb2.FileDescriptorProto(name=PROTO_FILE, package="accord.interop", syntax="proto3")
    file.message_type.add(
        name="Address",
        field=[field("city", 1, F.TYPE_STRING), field("country", 2, F.TYPE_STRING)],
    )
    user = file.message_type.add(
        name="User",
        field=[
            field("id", 1, F.TYPE_INT64),
            field("name", 2, F.TYPE_STRING),
            field("tags", 3, F.TYPE_STRING, label=F.LABEL_REPEATED),
            field("address", 4, F.TYPE_MESSAGE, ".accord.interop.Address"),
            field("status", 5, F.TYPE_ENUM, ".accord.interop.Status"),
        ],
    )
    user.nested_type.add(
        name="Note",
        field=[field("text", 1, F.TYPE_STRING), field("priority", 2, F.TYPE_INT32)],
    )
    status = file.enum_type.add(name="Status")
    for number, name in enumerate(["STATUS_UNKNOWN", "STATUS_ACTIVE", "STATUS_DISABLED"]):
        status.value.add(name=name, number=number)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return pool


def message_class(full_name):
    try:
        descriptor = user_proto_pool().FindMessageTypeByName(full_name)
    except KeyError:
        raise ValueError(f"no message {full_name!r} in {PROTO_FILE}") from None
    return message_factory.GetMessageClass(descriptor)


def build_serializer(args, client):
    conf = {"schema.id.serializer": header_schema_id_serializer} if args.framing == "header" else {}
    if args.format == "avro":
        return AvroSerializer(client, (DATA_DIR / "user.avsc").read_text(encoding="utf-8"), conf=conf)
    if args.format == "json":
        return JSONSerializer((DATA_DIR / "user.schema.json").read_text(encoding="utf-8"), client, conf=conf)
    cls = message_class(args.message)
    serializer = ProtobufSerializer(cls, client, conf)
    return lambda value, ctx: serializer(json_format.ParseDict(value, cls()), ctx)


def build_deserializer(args, client):
    if args.format == "avro":
        return AvroDeserializer(client)
    if args.format == "json":
        return JSONDeserializer(None, schema_registry_client=client)
    deserializer = ProtobufDeserializer(message_class(args.message), {}, schema_registry_client=client)
    return lambda data, ctx: json_format.MessageToDict(deserializer(data, ctx), preserving_proto_field_name=True)


def context(args, headers):
    field_kind = MessageField.KEY if args.key else MessageField.VALUE
    return SerializationContext(args.topic, field_kind, headers)


def input_lines():
    for line in sys.stdin.buffer.read().decode("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def encode(args, client):
    serialize = build_serializer(args, client)
    for value in input_lines():
        headers = []
        payload = serialize(value, context(args, headers))
        record = {"value": payload.hex(), "headers": [[name, bytes(data).hex()] for name, data in headers]}
        print(json.dumps(record), flush=True)


def decode(args, client):
    deserialize = build_deserializer(args, client)
    for record in input_lines():
        headers = [(name, bytes.fromhex(data)) for name, data in record.get("headers", [])]
        value = deserialize(bytes.fromhex(record["value"]), context(args, headers))
        print(json.dumps(value), flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="confluent-kafka serde interop helper")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("encode", "decode"):
        command = commands.add_parser(name)
        command.add_argument("--registry", required=True, help="schema registry base URL")
        command.add_argument("--format", required=True, choices=["avro", "json", "protobuf"])
        command.add_argument("--topic", required=True)
        command.add_argument("--message", help="protobuf message full name, e.g. accord.interop.User")
        command.add_argument("--key", action="store_true", help="serialize as the record key")
        if name == "encode":
            command.add_argument("--framing", required=True, choices=["prefix", "header"])
    args = parser.parse_args(argv)
    if args.format == "protobuf" and not args.message:
        parser.error("--message is required with --format protobuf")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        client = SchemaRegistryClient({"url": args.registry.rstrip("/")})
        (encode if args.command == "encode" else decode)(args, client)
    except Exception as error:  # noqa: BLE001 - any failure is reported on one line
        message = " ".join(str(error).split())
        print(f"{args.command} failed: {type(error).__name__}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
