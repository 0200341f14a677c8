#!/usr/bin/env python3
"""Writes the seed corpora, fuzz/corpus/<target>/, from the repository's test data.

Schemas come from every JSON test file (strings or objects under `schema`,
`old`, `new` and `versions`, with their `refs`, `old_refs` and `new_refs`),
from the schema files of the diff and check tests, and from the Confluent
conformance data; pairs from every `old`/`new` case and each chain's
consecutive versions. The frame decoder has no test files of its own: its
seeds are frames built here the way accord-serde writes them. Files are
named by the hash of their content, so running this again adds nothing.
The layouts are the ones `src/lib.rs` reads.

Usage: fuzz/seed.py [SHARED_CONFORMANCE_DIR]
"""

import hashlib
import json
import os
import struct
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
CORPUS = os.path.join(FUZZ, "corpus")

# The selector byte of `compat_pair`: its index in PAIR_FORMATS.
PAIR_SELECTOR = {"AVRO": 0, "PROTOBUF": 1, "JSON": 2}
PARSE_TARGET = {
    "AVRO": "parse_avro",
    "PROTOBUF": "parse_protobuf",
    "JSON": "parse_json_schema",
}
# A seed larger than run.sh's -max_len for the parse targets is cut by
# libFuzzer anyway.
MAX_SEED = 16384


def write(target, data):
    if len(data) > MAX_SEED:
        return False
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, hashlib.sha1(data).hexdigest())
    if os.path.exists(path):
        return False
    with open(path, "wb") as out:
        out.write(data)
    return True


def text(schema):
    """Schema text as the registry receives it: objects as compact JSON."""
    if isinstance(schema, str):
        return schema
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def references(refs, prefix=""):
    parts = []
    for ref in refs or []:
        if isinstance(ref, dict) and "name" in ref and "schema" in ref:
            parts.append(prefix + ref["name"] + "\n" + text(ref["schema"]))
    return parts


def schema_seed(schema, refs):
    return "\0".join([text(schema)] + references(refs)).encode()


def pair_seed(schema_type, old, new, old_refs, new_refs, lenient=False):
    selector = PAIR_SELECTOR[schema_type] | (0x80 if lenient else 0)
    old_parts = references(old_refs)
    new_parts = references(new_refs)
    if old_parts == new_parts:
        refs = old_parts
    else:
        refs = ["<" + p for p in old_parts] + [">" + p for p in new_parts]
    return bytes([selector]) + "\0".join([text(old), text(new)] + refs).encode()


def guess_type(schema, path_hint):
    """The format of a schema found without a `schemaType`, from its text and
    the file it is in."""
    body = text(schema).lstrip()
    if not body.startswith(("{", "[", '"')):
        return "PROTOBUF"
    if path_hint == "JSON":
        return "JSON"
    if path_hint == "AVRO":
        return "AVRO"
    # A Confluent request without schemaType is Avro.
    return "AVRO"


def type_of(node, inherited):
    for key in ("schemaType", "type"):
        value = node.get(key)
        if isinstance(value, str) and value in PARSE_TARGET:
            return value
    types = node.get("types")
    if isinstance(types, list) and types and all(t in PARSE_TARGET for t in types):
        return types[0]
    return inherited


class Seeds:
    def __init__(self):
        self.count = {}

    def add(self, target, data):
        if write(target, data):
            self.count[target] = self.count.get(target, 0) + 1

    def schema(self, schema_type, schema, refs=None):
        self.add(PARSE_TARGET[schema_type], schema_seed(schema, refs))
        # Every schema also seeds a pair with itself.
        self.add("compat_pairs", bytes([PAIR_SELECTOR[schema_type]]) + schema_seed(schema, refs))

    def pair(self, schema_type, old, new, old_refs=None, new_refs=None, lenient=False):
        self.add("compat_pairs", pair_seed(schema_type, old, new, old_refs, new_refs, lenient))

    def walk(self, node, hint, lenient=False):
        """Every schema and pair in a JSON document."""
        if isinstance(node, list):
            for item in node:
                self.walk(item, hint, lenient)
            return
        if not isinstance(node, dict):
            return
        # Test cases name their policy; Confluent's defaults to STRICT.
        lenient = lenient or node.get("policy") == "LENIENT"
        explicit = type_of(node, None)
        refs = node.get("refs")
        if "schema" in node and isinstance(node["schema"], (str, dict, list, bool)):
            schema = node["schema"]
            schema_type = explicit or guess_type(schema, hint)
            self.schema(schema_type, schema, refs)
        if "old" in node and "new" in node:
            old, new = node["old"], node["new"]
            schema_type = explicit or guess_type(old, hint)
            old_refs = node.get("old_refs", refs)
            new_refs = node.get("new_refs", refs)
            self.schema(schema_type, old, old_refs)
            self.schema(schema_type, new, new_refs)
            self.pair(schema_type, old, new, old_refs, new_refs, lenient)
            self.pair(schema_type, new, old, new_refs, old_refs, lenient)
        versions = node.get("versions")
        if isinstance(versions, list) and all(isinstance(v, (str, dict)) for v in versions):
            types = node.get("types") or []
            for index, version in enumerate(versions):
                schema_type = types[index] if index < len(types) else guess_type(version, hint)
                if schema_type in PARSE_TARGET:
                    self.schema(schema_type, version)
            for old, new in zip(versions, versions[1:]):
                schema_type = explicit or guess_type(old, hint)
                self.pair(schema_type, old, new)
        for key, value in node.items():
            if key in ("schema", "old", "new", "versions", "refs", "old_refs", "new_refs"):
                continue
            if isinstance(value, (dict, list)):
                # A request body nests the schema one level down.
                self.walk(value, type_of(node, hint), lenient)


def path_hint(path):
    parts = path.replace(os.sep, "/").lower()
    if "/avro" in parts:
        return "AVRO"
    if "/json" in parts:
        return "JSON"
    if "/protobuf" in parts or "/proto" in parts:
        return "PROTOBUF"
    return None


EXTENSION_TYPE = {".avsc": "AVRO", ".proto": "PROTOBUF"}


def schema_files(seeds, directory):
    """Schema files of the diff and check tests: `old.*`/`new.*` pairs and
    lone `.avsc`, `.proto` and JSON Schema files."""
    for base, _, files in os.walk(directory):
        by_stem = {}
        for name in sorted(files):
            stem, extension = os.path.splitext(name)
            path = os.path.join(base, name)
            schema_type = EXTENSION_TYPE.get(extension)
            if extension == ".json" and (name.endswith(".schema.json") or stem in ("old", "new") or path_hint(path) == "JSON"):
                schema_type = "JSON"
            if schema_type is None:
                continue
            with open(path, encoding="utf-8") as source:
                content = source.read()
            if schema_type == "JSON":
                try:
                    parsed = json.loads(content)
                except ValueError:
                    continue
                # A test-case file (a list or an object of cases), not a schema.
                if isinstance(parsed, list) or "old" in parsed or "schema" in parsed:
                    continue
            seeds.schema(schema_type, content)
            by_stem[stem] = (schema_type, content)
        if "old" in by_stem and "new" in by_stem and by_stem["old"][0] == by_stem["new"][0]:
            schema_type = by_stem["old"][0]
            old, new = by_stem["old"][1], by_stem["new"][1]
            lenient = False
            policy = os.path.join(base, "policy")
            if os.path.exists(policy):
                lenient = "LENIENT" in open(policy).read().upper()
            seeds.pair(schema_type, old, new, lenient=lenient)
            seeds.pair(schema_type, new, old, lenient=lenient)


def json_documents(seeds, directory):
    for base, _, files in os.walk(directory):
        for name in sorted(files):
            if not name.endswith(".json") or name.endswith(".schema.json"):
                continue
            path = os.path.join(base, name)
            try:
                with open(path, encoding="utf-8") as source:
                    document = json.load(source)
            except ValueError:
                continue
            seeds.walk(document, path_hint(path))


def varint(value):
    zigzag = ((value << 1) ^ (value >> 31)) & 0xFFFFFFFF
    out = bytearray()
    while zigzag >= 0x80:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def indexes(values):
    if values == [0]:
        return b"\0"
    return varint(len(values)) + b"".join(varint(v) for v in values)


def frames(seeds):
    """Frames as accord-serde writes them (layout in src/lib.rs: a selector
    byte, then for header framing the header's length and the header)."""
    guid = bytes(range(0x10, 0x20))
    payload = b"\x02\x06abc"
    for values in ([0], [1], [0, 2], [3, 1, 4], [2**31 - 1], list(range(64))):
        prefix = struct.pack(">BI", 0, 42) + indexes(values)
        seeds.add("serde_frame", b"\0" + prefix + payload)
        header = b"\x01" + guid + indexes(values)
        seeds.add("serde_frame", b"\x01" + bytes([len(header)]) + header + payload)
    seeds.add("serde_frame", b"\0" + struct.pack(">BI", 0, 1) + payload)
    seeds.add("serde_frame", b"\x01" + bytes([17]) + b"\x01" + guid + payload)
    seeds.add("serde_frame", indexes([5, 6, 7]))
    seeds.add("serde_frame", b"12345678-9abc-def0-1234-56789abcdef0")


def main():
    conformance = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(ROOT), "shared", "conformance"
    )
    seeds = Seeds()
    test_data = [
        os.path.join(ROOT, "crates", "accord-schema", "tests", "data"),
        os.path.join(ROOT, "tests", "data"),
        os.path.join(ROOT, "tests", "conformance"),
    ]
    for directory in test_data:
        if os.path.isdir(directory):
            json_documents(seeds, directory)
            schema_files(seeds, directory)
    if os.path.isdir(conformance):
        json_documents(seeds, conformance)
    frames(seeds)
    for target in sorted(set(PARSE_TARGET.values()) | {"compat_pairs", "serde_frame"}):
        directory = os.path.join(CORPUS, target)
        total = len(os.listdir(directory)) if os.path.isdir(directory) else 0
        print(f"seed: {target}: {seeds.count.get(target, 0)} new, {total} in corpus/{target}")


if __name__ == "__main__":
    main()
