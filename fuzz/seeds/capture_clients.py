"""Capture seeds from real clients: Kafka frames through a relay, registry bodies from a stub.

Run from the repository root with the project venv:
    /root/.cache/schemagate/venv/bin/python fuzz/seeds/capture_clients.py

Kafka: starts tansu (SCHEMAGATE_TANSU or the default path) advertising a relay port, relays
every connection of confluent-kafka (librdkafka) and kafka-python producers to it, splits both
directions into frames and writes
- request_frame/client_<client>_<n>: a whole client byte stream (length prefixes included),
- produce_check/client_<client>_v<version>_<n>: the first three Produce requests (header + body),
- response_frame/client_<client>_<api>_v<version>: ApiVersions, Metadata, FindCoordinator,
  DescribeCluster and Produce (v10+) responses with the target's 4-byte prefix.
The producers send to topic `orders` values framed with schema id 1 (the User schema of the
produce_check target), one with schema id 2, and one unframed value.

Registry: confluent-kafka's SchemaRegistryClient talks to a stub HTTP server that records
request bodies; they become registry_request/client_* seeds (one request per seed).
"""
import json
import os
import socket
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
TANSU = os.environ.get("SCHEMAGATE_TANSU", "/root/.cache/schemagate/tansu-0.6.0/bin/tansu")
USER = b"\x02\x02a\x02b"  # User{id=1, name="a", email="b"}
# produce_check's response_frame selectors: (api key, selector, lowest version it covers).
RESPONSES = {18: (3, 0), 3: (0, 0), 10: (1, 0), 60: (2, 0), 0: (4, 10)}
NAMES = {18: "api_versions", 3: "metadata", 10: "find_coordinator", 60: "describe_cluster",
         0: "produce"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"tansu did not listen on {port}")


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


class Relay:
    """Forward 127.0.0.1:port to upstream; keep each connection's two byte streams."""

    def __init__(self, port, upstream):
        self.upstream = upstream
        self.streams = []  # [client bytearray, server bytearray] per connection
        self.server = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.server.accept()
            broker = socket.create_connection(("127.0.0.1", self.upstream))
            pair = [bytearray(), bytearray()]
            self.streams.append(pair)
            for src, dst, buf in ((client, broker, pair[0]), (broker, client, pair[1])):
                threading.Thread(target=self.pump, args=(src, dst, buf), daemon=True).start()

    @staticmethod
    def pump(src, dst, buf):
        try:
            while data := src.recv(65536):
                buf.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def frames(stream):
    out, at = [], 0
    while at + 4 <= len(stream):
        (size,) = struct.unpack_from(">i", stream, at)
        if size < 0 or at + 4 + size > len(stream):
            break
        out.append(bytes(stream[at + 4:at + 4 + size]))
        at += 4 + size
    return out


def save_kafka(client, relay):
    seen = set()
    for n, (up, down) in enumerate(relay.streams):
        if up:
            write("request_frame", f"client_{client}_{n}", bytes(up[:8192]))
        pending = {}
        for req in frames(up):
            key, version, corr = struct.unpack_from(">hhi", req)
            pending[corr] = (key, version)
            produced = sum(1 for k in seen if k[0] == "p")
            if key == 0 and produced < 3:
                seen.add(("p", produced))
                write("produce_check", f"client_{client}_v{version}_{produced}", req)
        for resp in frames(down):
            (corr,) = struct.unpack_from(">i", resp)
            key, version = pending.get(corr, (None, None))
            if key not in RESPONSES or (key, version) in seen:
                continue
            selector, lowest = RESPONSES[key]
            if version < lowest:
                continue
            seen.add((key, version))
            prefix = bytes([selector]) + struct.pack(">H", version - lowest) + b"\xff"
            write("response_frame", f"client_{client}_{NAMES[key]}_v{version}", prefix + resp)


def values():
    return [b"\x00" + struct.pack(">i", 1) + USER, b"\x00" + struct.pack(">i", 2) + USER,
            b"plain"]


def run_confluent(port):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    conf = {"bootstrap.servers": f"127.0.0.1:{port}"}
    admin = AdminClient(conf)
    admin.create_topics([NewTopic("orders", 1, 1)], operation_timeout=30)["orders"].result(30)
    producer = Producer(dict(conf, **{"enable.idempotence": True, "linger.ms": 20}))
    for v in values():
        producer.produce("orders", v, key=b"k")
    producer.flush(15)
    gz = Producer(dict(conf, **{"compression.type": "gzip", "acks": 1}))
    for v in values():
        gz.produce("orders", v)
    gz.flush(15)


def run_kafka_python(port):
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", linger_ms=20)
    for v in values():
        producer.send("orders", v, key=b"k")
    producer.flush(15)
    producer.close()


def capture_kafka():
    for client, run in (("confluent", run_confluent), ("kafka_python", run_kafka_python)):
        broker, relay_port = free_port(), free_port()
        relay = Relay(relay_port, broker)
        tansu = subprocess.Popen(
            [TANSU, "broker", "--storage-engine", "memory://tansu/",
             "--listener-url", f"tcp://127.0.0.1:{broker}",
             "--advertised-listener-url", f"tcp://127.0.0.1:{relay_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(broker)
            if client == "kafka_python":
                from kafka.admin import KafkaAdminClient, NewTopic
                admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{relay_port}")
                admin.create_topics([NewTopic("orders", 1, 1)])
                admin.close()
            run(relay_port)
            time.sleep(0.5)
            save_kafka(client, relay)
        finally:
            tansu.terminate()
            tansu.wait(10)


class Stub(BaseHTTPRequestHandler):
    bodies = []

    def answer(self):
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size)
        Stub.bodies.append((self.command, self.path, body))
        path = self.path.split("?")[0]
        if path.startswith("/compatibility"):
            out = {"is_compatible": True}
        elif path.startswith("/config"):
            out = {"compatibility": "FULL"}
        elif path.startswith("/mode"):
            out = {"mode": "READWRITE"}
        elif path.endswith("/versions"):
            out = {"id": 1}
        else:
            out = {"subject": "orders-value", "version": 1, "id": 1,
                   "schema": json.loads(body or b"{}").get("schema", '"string"')}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_PUT = do_GET = answer

    def log_message(self, *args):
        pass


def capture_registry():
    from confluent_kafka.schema_registry import (
        ConfigCompatibilityLevel, Schema, SchemaReference, SchemaRegistryClient, ServerConfig)

    server = HTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = SchemaRegistryClient({"url": f"http://127.0.0.1:{server.server_port}"})
    user = json.dumps({"type": "record", "name": "User", "namespace": "com.example", "fields": [
        {"name": "id", "type": "int"}, {"name": "name", "type": "string"},
        {"name": "email", "type": "string"}]})
    order = json.dumps({"type": "record", "name": "Order", "fields": [
        {"name": "user", "type": "com.example.User"}]})
    client.register_schema("orders-value", Schema(user, "AVRO"))
    client.register_schema("orders-key", Schema(
        order, "AVRO", [SchemaReference("com.example.User", "orders-value", 1)]))
    client.register_schema("orders-value", Schema('{"type":"object"}', "JSON"))
    client.lookup_schema("orders-value", Schema(user, "AVRO"))
    client.test_compatibility("orders-value", Schema(user, "AVRO"))
    client.set_config("orders-value", ServerConfig(compatibility=ConfigCompatibilityLevel.FULL))
    server.shutdown()
    # registry_request ops: 0 register, 2 lookup, 3 compatibility, 5 subject config.
    ops = {"POST /subjects/orders-value/versions": 0, "POST /subjects/orders-key/versions": 1 << 3,
           "POST /subjects/orders-value": 2, "POST /compatibility": 3, "PUT /config": 5}
    registered = b""
    for n, (method, path, body) in enumerate(Stub.bodies):
        op = next((v for k, v in ops.items() if f"{method} {path}".startswith(k)), None)
        if op is None:
            continue
        # Lookups and references need the User schema registered first.
        request = bytes([op]) + body
        write("registry_request", f"client_confluent_{n}", b"\x00" + registered + request)
        if op == 0 and not registered:
            registered = request + b"\xff"


if __name__ == "__main__":
    capture_registry()
    capture_kafka()
