"""confluent-kafka's Avro serializer and deserializer on two registries.

  produce URL   registers through the serializer and prints one message a
                line, in hex
  consume URL   reads those lines from stdin and decodes each against URL
                (a migrated copy); prints "ok N" when all decode to what
                was written"""
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

MODE, URL = sys.argv[1], sys.argv[2]
SCHEMA = """{"type":"record","name":"Payment","namespace":"shop",
 "fields":[{"name":"id","type":"string"},{"name":"amount","type":"double"}]}"""
RECORDS = [{"id": f"p{n}", "amount": n * 1.5} for n in range(5)]
ctx = SerializationContext("payments", MessageField.VALUE)

if MODE == "produce":
    serializer = AvroSerializer(SchemaRegistryClient({"url": URL}), SCHEMA)
    for record in RECORDS:
        print(serializer(record, ctx).hex())
else:
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": URL}))
    messages = [bytes.fromhex(line) for line in sys.stdin.read().split()]
    assert len(messages) == len(RECORDS), messages
    for record, message in zip(RECORDS, messages):
        decoded = deserializer(message, ctx)
        assert decoded == record, (decoded, record)
    print(f"ok {len(messages)}")
