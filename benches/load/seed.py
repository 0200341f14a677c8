#!/usr/bin/env python3
"""Seeds a fresh Accord for benches/load/run.sh and writes wrk's request lists.

Usage: seed.py BASE_URL OUT_DIR

Registers SUBJECTS distinct Avro records, one per subject `bench-<i>` (8
requests in flight), and a subject `bench-evolving` with 100 versions under
FULL_TRANSITIVE, each version adding an optional field with a default. Then
writes one request list per workload into OUT_DIR, one request a line:
METHOD, TAB, PATH, and for a POST a TAB and the JSON body. requests.lua
replays a list round-robin, so the load is spread over every subject and id.

Standard library only.
"""

import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

SUBJECTS = 1000
EVOLVING_SUBJECT = "bench-evolving"
EVOLVING_VERSIONS = 100
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def record(name, extra_fields=()):
    """The Avro schema text of a small record; `extra_fields` are optional
    strings with a null default, which every compatibility level accepts as
    an addition."""
    fields = [
        {"name": "id", "type": "long"},
        {"name": "name", "type": "string"},
        {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
    ]
    fields += [{"name": f, "type": ["null", "string"], "default": None} for f in extra_fields]
    return json.dumps(
        {"type": "record", "name": name, "namespace": "bench", "fields": fields},
        separators=(",", ":"),
    )


def body(schema_text):
    return json.dumps({"schema": schema_text}, separators=(",", ":"))


def call(base, method, path, payload=None):
    data = payload.encode() if payload is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", CONTENT_TYPE)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def register_subject(base, i):
    subject = f"bench-{i}"
    schema = record(f"Bench{i}")
    answer = call(base, "POST", f"/subjects/{subject}/versions", body(schema))
    return subject, schema, answer["id"], answer["guid"]


def main():
    base, out = sys.argv[1].rstrip("/"), sys.argv[2]
    with ThreadPoolExecutor(max_workers=8) as pool:
        seeded = list(pool.map(lambda i: register_subject(base, i), range(SUBJECTS)))
    if len({row[2] for row in seeded}) != SUBJECTS:
        sys.exit("seed: the subjects did not get distinct ids")

    call(base, "PUT", f"/config/{EVOLVING_SUBJECT}", json.dumps({"compatibility": "FULL_TRANSITIVE"}))
    extra = []
    for version in range(1, EVOLVING_VERSIONS + 1):
        if version > 1:
            extra.append(f"added_{version}")
        call(base, "POST", f"/subjects/{EVOLVING_SUBJECT}/versions", body(record("Evolving", extra)))
    next_evolving = body(record("Evolving", extra + [f"added_{EVOLVING_VERSIONS + 1}"]))

    lists = {
        "ids": [("GET", f"/schemas/ids/{id_}") for _, _, id_, _ in seeded],
        "guids": [("GET", f"/schemas/guids/{guid}") for _, _, _, guid in seeded],
        "latest": [("GET", f"/subjects/{s}/versions/latest") for s, _, _, _ in seeded],
        "lookup": [("POST", f"/subjects/{s}", body(text)) for s, text, _, _ in seeded],
        "register_existing": [
            ("POST", f"/subjects/{s}/versions", body(text)) for s, text, _, _ in seeded
        ],
        "compat_latest": [
            (
                "POST",
                f"/compatibility/subjects/{s}/versions/latest",
                body(record(f"Bench{i}", ["note"])),
            )
            for i, (s, _, _, _) in enumerate(seeded)
        ],
        "compat_transitive": [
            ("POST", f"/compatibility/subjects/{EVOLVING_SUBJECT}/versions", next_evolving)
        ],
    }
    for name, requests in lists.items():
        with open(f"{out}/{name}.req", "w") as file:
            for request in requests:
                file.write("\t".join(request) + "\n")


if __name__ == "__main__":
    main()
