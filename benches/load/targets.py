#!/usr/bin/env python3
"""The issue's single-figure targets, against a running Accord (stdlib only).

    targets.py BASE_URL PID [protobuf] [enum] [history]

  protobuf  10,000 distinct small Protobuf schemas registered, then all read
            back with format=serialized; the server's RSS before and after.
  enum      a 120,000-symbol Avro enum registered, and the latency of a small
            registration into another subject sent while it is in flight.
  history   the cost of registering version 10 and version 4,000 of one
            subject (BACKWARD), each the median of 20 registrations.
"""
import concurrent.futures as cf
import json
import statistics
import sys
import threading
import time
import urllib.request

BASE, PID = sys.argv[1], sys.argv[2]
HEADERS = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, headers=HEADERS, method=method)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def rss_mib():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def protobuf(count=10_000):
    before = rss_mib()

    def register(n):
        text = (f'syntax = "proto3";\npackage target.p{n};\n\nmessage Event{n} {{\n'
                f'  string id = 1;\n  int64 at = 2;\n  repeated string tags = 3;\n}}\n')
        return call("POST", f"/subjects/proto-{n}-value/versions",
                    {"schema": text, "schemaType": "PROTOBUF"})["id"]

    with cf.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(register, range(count)))
    registered = rss_mib()
    with cf.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: call("GET", f"/schemas/ids/{i}?format=serialized"), ids))
    after = rss_mib()
    print(f"protobuf: {count} schemas; RSS {before:.1f} MiB before, {registered:.1f} after "
          f"registering, {after:.1f} after reading all back serialized")


def short_name(n):
    """E, then n in base 36: short enough for 120,000 symbols under 1 MiB."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        n, rest = divmod(n, 36)
        text = digits[rest] + text
        if n == 0:
            return "E" + text


def enum(symbols=120_000):
    schema = json.dumps({"type": "enum", "name": "Huge",
                         "symbols": [short_name(i) for i in range(symbols)]},
                        separators=(",", ":"))
    done = {}

    def big():
        start = time.perf_counter()
        call("POST", "/subjects/huge-enum-value/versions", {"schema": schema})
        done["big"] = time.perf_counter() - start

    thread = threading.Thread(target=big)
    thread.start()
    time.sleep(0.05)  # the enum is being parsed
    small = json.dumps({"type": "record", "name": "Small", "fields": [{"name": "a", "type": "int"}]})
    start = time.perf_counter()
    call("POST", "/subjects/small-beside-enum-value/versions", {"schema": small})
    beside = time.perf_counter() - start
    thread.join()
    print(f"enum: {symbols} symbols ({len(schema)} bytes) registered in {done['big'] * 1000:.0f} ms; "
          f"a small registration sent meanwhile took {beside * 1000:.1f} ms")


def history(target=4_000, sample=20):
    def schema(n):
        fields = [{"name": "id", "type": "long"}, {"name": f"f{n}", "type": "string", "default": ""}]
        return json.dumps({"type": "record", "name": "Long", "fields": fields})

    def register(n):
        start = time.perf_counter()
        call("POST", "/subjects/long-history-value/versions", {"schema": schema(n)})
        return time.perf_counter() - start

    early = []
    for n in range(1, target + sample + 1):
        took = register(n)
        if 10 <= n < 10 + sample:
            early.append(took)
    late = [register(target + sample + n) for n in range(1, sample + 1)]
    e, l = statistics.median(early), statistics.median(late)
    print(f"history: version ~10 took {e * 1000:.2f} ms, version ~{target + sample} took "
          f"{l * 1000:.2f} ms (median of {sample}); ratio {l / e:.2f}")


if __name__ == "__main__":
    for name in sys.argv[3:] or ["protobuf", "enum", "history"]:
        globals()[name]()
