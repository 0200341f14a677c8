#!/usr/bin/env python3
"""Grows an Accord SQLite database to N schemas for `run.sh large`.

Usage: seed_large.py DB_FILE N

The database holds one Avro schema, record Large1 in subject large-1,
registered through the API by a stopped Accord. This copies that row to ids
2..N, record Large<i> in subject large-<i> (version 1), straight into the
tables of migrations/sqlite/0001_registry.sql, and moves the context's id
counter to N. The content hash of each copy is computed as Accord computes it
(accord_schema::identity_hash: MD5 over length-prefixed fields), checked first
against the template's, so the copies are indistinguishable from registered
schemas: looking one up by content or GUID finds it.

Standard library only.
"""

import hashlib
import sqlite3
import struct
import sys


def identity_hash(avro_text):
    """identity_hash for an Avro schema without references, metadata or
    rule set: the text, then empty metadata and rule set, each field
    preceded by its length as a big-endian u64."""
    md5 = hashlib.md5()
    for field in (avro_text.encode(), b"", b""):
        md5.update(struct.pack(">Q", len(field)))
        md5.update(field)
    return md5.hexdigest()


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT context, id, schema_type, schema_text, references_json, metadata, rule_set,"
        " content_hash, created_at FROM schemas"
    ).fetchall()
    if len(rows) != 1:
        sys.exit(f"seed_large: expected the template schema alone, found {len(rows)} schemas")
    context, template_id, schema_type, text, references, metadata, rule_set, content_hash, created_at = rows[0]
    if identity_hash(text) != content_hash or metadata or rule_set or references != "[]":
        sys.exit("seed_large: the template's content hash is not what identity_hash() gives; "
                 "update seed_large.py to match accord_schema::identity_hash")
    (deleted,) = db.execute(
        "SELECT deleted FROM subject_versions WHERE context = ? AND schema_id = ?",
        (context, template_id),
    ).fetchone()

    if '"Large1"' not in text:
        sys.exit(f"seed_large: the template's text does not name record Large1: {text}")

    def copies():
        for i in range(2, count + 1):
            copy = text.replace('"Large1"', f'"Large{i}"', 1)
            yield i, copy, identity_hash(copy)

    with db:
        db.executemany(
            "INSERT INTO schemas (context, id, schema_type, schema_text, references_json,"
            " metadata, rule_set, content_hash, created_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
            ((context, i, schema_type, copy, references, digest, created_at) for i, copy, digest in copies()),
        )
        db.executemany(
            "INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)"
            " VALUES (?, ?, 1, ?, ?, ?)",
            ((context, f"large-{i}", i, deleted, created_at) for i in range(2, count + 1)),
        )
        db.execute("UPDATE contexts SET max_id = ? WHERE context = ?", (count, context))
    db.close()


if __name__ == "__main__":
    main()
