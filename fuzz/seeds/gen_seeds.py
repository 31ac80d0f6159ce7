"""Write small seed inputs for the fuzz targets into fuzz/seeds/<target>/.

Run from the repository root with any Python 3 that has kafka-python (for the v2 record
batches), e.g. /root/.cache/schemagate/venv/bin/python fuzz/seeds/gen_seeds.py.
Every layout below follows the Kafka message JSON specs; each seed is a few hundred bytes.
"""
import json
import os
import struct

from kafka.record.default_records import DefaultRecordBatchBuilder

HERE = os.path.dirname(os.path.abspath(__file__))
USER = b"\x02\x02a\x02b"  # User{id=1, name="a", email="b"}


def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)


def uvarint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def s(text):  # STRING / NULLABLE_STRING
    if text is None:
        return i16(-1)
    b = text.encode()
    return i16(len(b)) + b


def cs(text):  # COMPACT_(NULLABLE_)STRING
    if text is None:
        return b"\x00"
    b = text.encode()
    return uvarint(len(b) + 1) + b


def framed(schema_id, payload):
    return b"\x00" + i32(schema_id) + payload


def batch(values, key=None, compression=0):
    builder = DefaultRecordBatchBuilder(2, compression, 0, -1, -1, -1, 1 << 20)
    for i, v in enumerate(values):
        builder.append(i, 1_700_000_000_000, key, v, [])
    return bytes(builder.build())


def produce(version, topic, records, acks=-1, corr=7):
    flexible = version >= 9
    head = i16(0) + i16(version) + i32(corr) + s("seed")
    if flexible:
        head += b"\x00"
    if flexible:
        body = cs(None) if version >= 3 else b""
    elif version >= 3:
        body = s(None)
    else:
        body = b""
    body += i16(acks) + i32(30_000)
    if flexible:
        name = (b"\x00" * 15 + b"\xa1") if version >= 13 else cs(topic)
        part = i32(0) + uvarint(len(records) + 1) + records + b"\x00"
        body += uvarint(2) + name + uvarint(2) + part + b"\x00" + b"\x00"
    else:
        part = i32(0) + i32(len(records)) + records
        body += i32(1) + s(topic) + i32(1) + part
    return head + body


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def produce_seeds():
    good = framed(1, USER)
    cases = {
        "good": [good],
        "mixed": [good, framed(1, b"\x02"), b"plain", None],
        "wrong_id": [framed(2, USER)],
        "key_id": [framed(3, USER)],
    }
    for version in (3, 8, 9, 12, 13):
        for name, values in cases.items():
            frame = produce(version, "orders", batch(values))
            write("produce_check", f"v{version}_{name}", frame)
            if name == "good":
                write("request_frame", f"produce_v{version}", i32(len(frame)) + frame)
    gz = produce(9, "orders", batch([framed(1, USER)] * 3, compression=1))
    write("produce_check", "v9_gzip", gz)
    write("produce_check", "v3_acks0", produce(3, "events", batch([b"x"]), acks=0))


def request_seeds():
    api_versions = i16(18) + i16(3) + i32(1) + s("seed") + b"\x00" + cs("py") + cs("1") + b"\x00"
    metadata = i16(3) + i16(1) + i32(2) + s("seed") + i32(-1)
    write("request_frame", "api_versions_v3", i32(len(api_versions)) + api_versions)
    two = i32(len(metadata)) + metadata + i32(len(api_versions)) + api_versions
    write("request_frame", "two_frames", two)
    unknown = i16(999) + i16(0) + i32(3) + s("x")
    write("request_frame", "unknown_key", i32(len(unknown)) + unknown)
    write("request_frame", "negative_len", i32(-1) + b"\x00\x00")
    write("request_frame", "truncated", i32(100) + b"\x00\x12")


def response_seeds():
    # prefix: selector (0 Metadata, 1 FindCoordinator, 2 DescribeCluster, 3 ApiVersions,
    # 4 Produce v10+), version (u16, reduced into range), port mask; then the frame.
    def seed(name, selector, version, frame, mask=0xFF):
        write("response_frame", name, bytes([selector]) + struct.pack(">H", version)
              + bytes([mask]) + frame)

    brokers = i32(1) + i32(111) + s("broker-1") + i32(9092) + s(None)
    topic = i16(0) + s("orders") + b"\x00" + i32(1) + i16(0) + i32(0) + i32(111) \
        + i32(1) + i32(111) + i32(1) + i32(111)
    seed("metadata_v1", 0, 1, i32(1) + brokers + i32(111) + i32(1) + topic)
    fbroker = i32(111) + cs("broker-1") + i32(9092) + cs(None) + b"\x00"
    meta12 = i32(2) + b"\x00" + i32(0) + uvarint(2) + fbroker + cs("c") + i32(111) \
        + uvarint(2) + i16(0) + cs("orders") + b"\x00" * 15 + b"\xa1" + b"\x00" \
        + uvarint(1) + i32(0) + b"\x00" + b"\x00"
    seed("metadata_v12", 0, 12, meta12)
    seed("find_coordinator_v0", 1, 0, i32(3) + i16(0) + i32(111) + s("broker-1") + i32(9092))
    coord = cs("group") + i32(111) + cs("broker-1") + i32(9092) + i16(0) + cs(None) + b"\x00"
    seed("find_coordinator_v4", 1, 4, i32(3) + b"\x00" + i32(0) + uvarint(2) + coord + b"\x00")
    dbroker = i32(111) + cs("broker-1") + i32(9092) + cs(None) + b"\x00"
    desc = i32(4) + b"\x00" + i32(0) + i16(0) + cs(None) + cs("cluster") + i32(111) \
        + uvarint(2) + dbroker + i32(-2147483648) + b"\x00"
    seed("describe_cluster_v0", 2, 0, desc)
    seed("api_versions_v0", 3, 0, i32(5) + i16(0) + i32(1) + i16(0) + i16(0) + i16(11))
    av3 = i32(5) + i16(0) + uvarint(2) + i16(0) + i16(0) + i16(11) + b"\x00" + i32(0) + b"\x00"
    seed("api_versions_v3", 3, 3, av3)
    seed("api_versions_error", 3, 3, i32(5) + i16(35) + i32(0))
    part = i32(0) + i16(6) + i64(-1) + i64(-1) + i64(-1) + uvarint(1) + cs(None)
    # partition tagged field 0: current_leader {leader_id, leader_epoch, tagged}
    leader = i32(111) + i32(3) + b"\x00"
    part += uvarint(1) + uvarint(0) + uvarint(len(leader)) + leader
    endpoint = i32(111) + cs("broker-1") + i32(9092) + cs(None) + b"\x00"
    endpoints = uvarint(2) + endpoint
    produce10 = i32(6) + b"\x00" + uvarint(2) + cs("orders") + uvarint(2) + part + b"\x00" \
        + i32(0) + uvarint(1) + uvarint(0) + uvarint(len(endpoints)) + endpoints
    seed("produce_v10_leader", 4, 0, produce10)


def schemas_seeds():
    path = os.path.join(HERE, "..", "..", "tests", "fixtures", "registry_confluent_schemas.log")
    n = 0
    for line in open(path, "rb"):
        if line.startswith(b"#") or b"\t" not in line:
            continue
        key, value = line.rstrip(b"\n").split(b"\t", 1)
        if len(key) > 255:
            continue
        flags = 0
        if value == b"<null>":
            flags, value = 2, b""
        elif value == b"<empty>":
            value = b""
        write("schemas_record", f"fixture_{n:02}", bytes([flags, len(key)]) + key + value)
        n += 1
        if n >= 12:
            break


USER_SCHEMA = {"type": "record", "name": "User", "namespace": "com.example", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
    {"name": "email", "type": ["null", "string"], "default": None}]}
USER_V2 = dict(USER_SCHEMA, fields=USER_SCHEMA["fields"] + [
    {"name": "age", "type": "int", "default": 0}])
USER_BAD = dict(USER_SCHEMA, fields=USER_SCHEMA["fields"] + [{"name": "age", "type": "int"}])
ORDER = {"type": "record", "name": "Order", "fields": [
    {"name": "user", "type": "com.example.User"},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
    {"name": "lines", "type": {"type": "array", "items": {"type": "map", "values": "double"}}},
    {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}


def registry_request(op, subject=0, flags=0, body=b""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return bytes([op | (subject << 3) | (flags << 5)]) + body


def registry_seeds():
    """Register / lookup / compatibility / config / mode bodies as clients send them."""
    def schema(obj, **extra):
        return dict({"schema": json.dumps(obj)}, **extra)

    user = registry_request(0, body=schema(USER_SCHEMA))
    cases = {
        "register_lookup": [user, registry_request(2, body=schema(USER_SCHEMA))],
        "evolve": [user, registry_request(3, flags=4, body=schema(USER_V2)),
                   registry_request(0, body=schema(USER_V2))],
        "incompatible": [user, registry_request(3, flags=5, body=schema(USER_BAD)),
                         registry_request(0, body=schema(USER_BAD))],
        "reference": [user, registry_request(0, 1, body=schema(ORDER, references=[
            {"name": "com.example.User", "subject": "orders-value", "version": 1}]))],
        "config_full": [registry_request(4, body={"compatibility": "FULL"}),
                        registry_request(5, body={"compatibilityLevel": "none"}), user,
                        registry_request(0, body=schema(USER_BAD))],
        "import": [registry_request(6, body={"mode": "IMPORT"}),
                   registry_request(0, body=schema(USER_SCHEMA, id=42, version=3)),
                   registry_request(7, body={"mode": "READONLY"}),
                   registry_request(0, body=schema(USER_V2))],
        "json_protobuf": [registry_request(0, body={"schemaType": "JSON",
                                                    "schema": '{"type":"object"}'}),
                          registry_request(0, 1, body={"schemaType": "PROTOBUF",
                                                       "schema": 'syntax = "proto3";'}),
                          registry_request(1, body={"schemaType": "AVRO",
                                                    "schema": '"string"'})],
        "bad_bodies": [registry_request(0, body=b"{"), registry_request(0, body=b"[]"),
                       registry_request(0, body={"schema": 5}),
                       registry_request(4, body={"compatibility": "SIDEWAYS"}),
                       registry_request(0, 2, body=schema("int"))],
    }
    for level, (name, requests) in enumerate(cases.items()):
        write("registry_request", name, bytes([level % 7]) + b"\xff".join(requests))


def http_request(method, template, subject=0, version=0, query=0, ct=1, path=b"", body=b""):
    """One registry_http request: see fuzz/fuzz_targets/registry_http.rs for the layout."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    op = method | (ct << 3) | (template << 5)
    sel = subject | (version << 2) | (query << 5)
    raw = path + b"\x00" if template == 0 else b""
    return bytes([op, sel]) + raw + body


def http_seeds():
    """Whole client conversations with the REST API, as HTTP requests into the router."""
    get, post, put, delete = 0, 1, 2, 3

    def schema(obj, **extra):
        return dict({"schema": json.dumps(obj)}, **extra)

    user = http_request(post, 1, body=schema(USER_SCHEMA))
    cases = {
        "register_get": [user, http_request(get, 7, version=1),
                         http_request(get, 4, version=0),
                         http_request(get, 0, path=b"/subjects/orders-value/versions/1/schema"),
                         http_request(get, 0, path=b"/schemas/ids/1/schema"),
                         http_request(get, 0, path=b"/subjects?deleted=true")],
        "evolve": [user, http_request(post, 3, version=0, query=2, body=schema(USER_V2)),
                   http_request(post, 1, body=schema(USER_V2)),
                   http_request(post, 2, query=3, body=schema(USER_V2)),
                   http_request(get, 0, path=b"/schemas/ids/2/versions")],
        "incompatible": [user, http_request(post, 3, version=1, query=2, body=schema(USER_BAD)),
                         http_request(post, 1, body=schema(USER_BAD))],
        "config_mode": [http_request(put, 5, body={"compatibility": "FULL"}),
                        http_request(get, 5, query=5), http_request(delete, 5),
                        http_request(put, 6, body={"mode": "READONLY"}), user,
                        http_request(put, 0, path=b"/config", body={"compatibility": "NONE"}),
                        http_request(get, 6)],
        "delete": [user, http_request(delete, 4, version=1),
                   http_request(delete, 4, version=1, query=1),
                   http_request(delete, 0, path=b"/subjects/orders-value?permanent=true"),
                   http_request(get, 0, path=b"/subjects/orders-value/versions?deleted=true")],
        "reference": [user, http_request(post, 1, subject=1, body=schema(ORDER, references=[
            {"name": "com.example.User", "subject": "orders-value", "version": 1}])),
            http_request(get, 0, path=b"/subjects/orders-value/versions/1/referencedby")],
        "odd_paths": [http_request(get, 0, path=b"/subjects/%FF/versions"),
                      http_request(get, 0, path=b"/schemas/ids/-1"),
                      http_request(5, 0, path=b"/subjects"),
                      http_request(get, 0, path=b"/nowhere/../subjects"),
                      http_request(get, 4, subject=2, version=6),
                      http_request(post, 1, ct=3, body=b"{")],
    }
    for level, (name, requests) in enumerate(cases.items()):
        write("registry_http", name, bytes([level % 4]) + b"\xff".join(requests))


if __name__ == "__main__":
    produce_seeds()
    request_seeds()
    response_seeds()
    schemas_seeds()
    registry_seeds()
    http_seeds()
