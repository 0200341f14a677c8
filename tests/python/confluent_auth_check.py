"""The real confluent-kafka Python client against an Accord with
authentication on.

Usage: python confluent_auth_check.py <registry-url> <writer-user> <writer-password> <reader-key>

The writer (a user with the `writer` role on `subject:orders-*`) signs in
with `basic.auth.user.info`; the reader (an API key with the `reader` role)
with a static bearer token. Exits 0 when every check passes, 1 otherwise, 3
when confluent_kafka is missing.
"""

import sys
import traceback

try:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.schema_registry.error import SchemaRegistryError
    from confluent_kafka.serialization import MessageField, SerializationContext
except ImportError as error:  # pragma: no cover - reported to the harness
    print(f"confluent_kafka is not importable: {error}", file=sys.stderr)
    sys.exit(3)

ORDER = """{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"""
PAYMENT = """{"type":"record","name":"Payment","fields":[{"name":"cents","type":"long"}]}"""


class CheckFailed(Exception):
    pass


def expect_refused(call, status, code, what):
    try:
        call()
    except SchemaRegistryError as error:
        if error.http_status_code != status or error.error_code != code:
            raise CheckFailed(
                f"{what}: expected {status}/{code}, got {error.http_status_code}/{error.error_code}: {error}"
            )
        return error
    raise CheckFailed(f"{what}: expected a refusal, the call succeeded")


def main(url, writer, password, reader_key):
    writer_client = SchemaRegistryClient({"url": url, "basic.auth.user.info": f"{writer}:{password}"})
    reader_client = SchemaRegistryClient(
        {
            "url": url,
            "bearer.auth.credentials.source": "STATIC_TOKEN",
            "bearer.auth.token": reader_key,
            # Required by the client for static tokens; Accord ignores them.
            "bearer.auth.logical.cluster": "lsrc-accord",
            "bearer.auth.identity.pool.id": "pool-accord",
        }
    )
    anonymous = SchemaRegistryClient({"url": url})

    # The writer registers through the serializer, in its own subjects.
    order = {"id": 42}
    context = SerializationContext("orders", MessageField.VALUE)
    payload = AvroSerializer(writer_client, ORDER)(order, context)
    if payload[0] != 0:
        raise CheckFailed(f"not Confluent framing: {payload[:5]!r}")

    # The reader decodes it by id, with its key.
    decoded = AvroDeserializer(reader_client)(payload, context)
    if decoded != order:
        raise CheckFailed(f"reader decoded {decoded!r}, expected {order!r}")
    latest = reader_client.get_latest_version("orders-value")
    if latest.version != 1:
        raise CheckFailed(f"reader sees version {latest.version}")

    # The reader may not register; the writer may not leave orders-*.
    expect_refused(
        lambda: AvroSerializer(reader_client, ORDER)({"id": 1}, SerializationContext("audit", MessageField.VALUE)),
        403,
        40301,
        "a reader registering",
    )
    refused = expect_refused(
        lambda: AvroSerializer(writer_client, PAYMENT)({"cents": 1}, SerializationContext("payments", MessageField.VALUE)),
        403,
        40301,
        "the orders writer registering payments-value",
    )
    if "Subject: payments-value" not in str(refused):
        raise CheckFailed(f"the refusal does not name the subject: {refused}")

    # Nobody gets in without credentials, or with a wrong password.
    expect_refused(lambda: anonymous.get_subjects(), 401, 40101, "no credentials")
    wrong = SchemaRegistryClient({"url": url, "basic.auth.user.info": f"{writer}:not the password"})
    expect_refused(lambda: wrong.get_subjects(), 401, 40101, "a wrong password")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:5])
    except Exception:  # noqa: BLE001 - the harness prints the whole trace
        traceback.print_exc()
        sys.exit(1)
    print("auth checks passed")
