"""Produce good and bad Confluent-framed Avro records through schemagate and report, per
record, what the producer's delivery report said.

Usage: enforce_produce.py BOOTSTRAP REGISTRY_URL TOPIC MODE [options]

MODE
  cases      one record per case (each flushed on its own, so each is its own batch):
             valid records from the seed's AvroSerializer, then every kind of bad record.
  partitions one request with three partitions (0, 1, 2); partition 1 carries a bad record.
  codec      for --compression C: nine valid records and one bad one in a single batch.
  steady     --count N valid records with an idempotent producer (records keep being
             retried while the registry is down); prints delivered/failed counts.
             --values-file / --keys-file: JSON arrays of hex values / keys to send instead
             (keys default to the record's index as text).

The last stdout line is one JSON object (see sgclient.emit).
"""
import argparse
import io
import json
import struct
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
import fastavro

from sgclient import emit, fail

USER_SCHEMA = """{"type":"record","name":"User","namespace":"ssup2.com","fields":[
 {"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"""
OTHER_SCHEMA = """{"type":"record","name":"Payment","namespace":"shop","fields":[
 {"name":"amount","type":"long"}]}"""
WRONG_TYPE_SCHEMA = """{"type":"record","name":"User","namespace":"ssup2.com","fields":[
 {"name":"id","type":"string"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"""


def frame(schema_id, payload):
    return b"\x00" + struct.pack(">I", schema_id) + payload


def avro_bytes(schema_text, record):
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(json.loads(schema_text)), record)
    return out.getvalue()


def serializer_for(registry, subject_topic):
    serializer = AvroSerializer(registry, USER_SCHEMA, lambda obj, ctx: obj)
    ctx = SerializationContext(subject_topic, MessageField.VALUE)
    return lambda user: serializer(user, ctx)


def users(n, start=1):
    return [{"id": i, "name": f"user{i}", "email": f"user{i}@example.com"} for i in range(start, start + n)]


def bad_cases(registry, topic, good):
    """Every kind of bad value, each labelled; `good` is one valid framed value."""
    other_id = registry.register_schema("other-subject-value", Schema(OTHER_SCHEMA, "AVRO"))
    user_id = struct.unpack(">I", good[1:5])[0]
    return [
        ("no-magic-byte", b'{"id": 1, "name": "x", "email": "y"}'),
        ("unknown-id", frame(987654, good[5:])),
        ("other-subject-id", frame(other_id, avro_bytes(OTHER_SCHEMA, {"amount": 5}))),
        ("truncated", good[:-1]),
        ("trailing-bytes", good + b"\x00"),
        ("wrong-type", frame(user_id, avro_bytes(WRONG_TYPE_SCHEMA, {"id": "abc", "name": "n", "email": "e"}))),
    ]


class Reports:
    def __init__(self):
        self.results = []

    def callback(self, label):
        def on_delivery(err, msg):
            self.results.append({
                "label": label,
                "partition": msg.partition(),
                "error": None if err is None else err.str(),
                "code": None if err is None else err.name(),
                "retriable": None if err is None else err.retriable(),
            })
        return on_delivery


def producer(bootstrap, **extra):
    config = {"bootstrap.servers": bootstrap, "linger.ms": 5, "message.timeout.ms": 60000}
    config.update(extra)
    return Producer(config)


def run_cases(args, registry):
    serialize = serializer_for(registry, args.topic)
    p = producer(args.bootstrap)
    reports = Reports()
    valid = [serialize(u) for u in users(3)]
    cases = [(f"valid-{i}", v) for i, v in enumerate(valid)] + bad_cases(registry, args.topic, valid[0])
    for label, value in cases:
        p.produce(args.topic, value=value, partition=0, on_delivery=reports.callback(label))
        if p.flush(30) != 0:
            fail(f"{label} was not reported within 30 s")
    # librdkafka's delivery report carries only the error code; kafka-python (like the Java
    # producer) surfaces the response's error_message (KIP-467), so send the bad ones again
    # with it and record what the application would see.
    messages = kafka_python_messages(args.bootstrap, args.topic, cases[len(valid):])
    for result in reports.results:
        result["message"] = messages.get(result["label"])
    emit({"results": reports.results})


def kafka_python_messages(bootstrap, topic, cases):
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=bootstrap, retries=0)
    messages = {}
    for label, value in cases:
        try:
            producer.send(topic, value=value, partition=0).get(timeout=30)
            messages[label] = None
        except Exception as e:  # the exception is the result under test
            messages[label] = f"{type(e).__name__}: {e}"
    producer.close()
    return messages


def run_partitions(args, registry):
    serialize = serializer_for(registry, args.topic)
    p = producer(args.bootstrap, **{"linger.ms": 200})
    reports = Reports()
    good = users(2)
    p.produce(args.topic, value=serialize(good[0]), partition=0, on_delivery=reports.callback("p0"))
    p.produce(args.topic, value=b"not framed", partition=1, on_delivery=reports.callback("p1-bad"))
    p.produce(args.topic, value=serialize(good[1]), partition=2, on_delivery=reports.callback("p2"))
    if p.flush(30) != 0:
        fail("records were not reported within 30 s")
    emit({"results": reports.results})


def run_codec(args, registry):
    serialize = serializer_for(registry, args.topic)
    p = producer(args.bootstrap, **{"linger.ms": 500, "compression.type": args.compression})
    reports = Reports()
    for i, user in enumerate(users(10)):
        value = serialize(user)
        if i == 6:
            value = value[:-2]  # hidden bad record: truncated payload
        p.produce(args.topic, value=value, partition=0, on_delivery=reports.callback(f"r{i}"))
    if p.flush(30) != 0:
        fail("records were not reported within 30 s")
    emit({"results": reports.results})


def run_serialize(args, registry):
    """Register the seed's schema and print --count framed values (hex), for `steady`."""
    serialize = serializer_for(registry, args.topic)
    emit({"values": [serialize(u).hex() for u in users(args.count)]})


def run_steady(args, registry):
    if args.values_file:
        with open(args.values_file) as f:
            values = [bytes.fromhex(v) for v in json.load(f)]
    else:
        serialize = serializer_for(registry, args.topic)
        values = [serialize(u) for u in users(args.count)]
    if args.bad_index is not None:
        values[args.bad_index] = values[args.bad_index][:-1]
    keys = [str(i).encode() for i in range(len(values))]
    if args.keys_file:
        with open(args.keys_file) as f:
            keys = [bytes.fromhex(k) for k in json.load(f)]
    p = producer(args.bootstrap, **{"enable.idempotence": True, "message.timeout.ms": 120000,
                                    "retry.backoff.ms": 200, "retry.backoff.max.ms": 1000})
    reports = Reports()
    for i, value in enumerate(values):
        p.produce(args.topic, key=keys[i], value=value, partition=0, on_delivery=reports.callback(str(i)))
        p.poll(0)
        time.sleep(args.interval)
    if p.flush(150) != 0:
        fail("records were not reported within 150 s")
    failed = [r for r in reports.results if r["error"]]
    retried = sum(1 for r in reports.results if r["error"] and r["retriable"])
    emit({"delivered": len(reports.results) - len(failed), "failed": failed, "retriable_failures": retried})


def run_consume(args, registry):
    """Every record of the topic from the beginning: [partition, offset, value hex]."""
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"check-{time.time_ns()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([args.topic])
    records, idle_since = [], time.time()
    while time.time() - idle_since < args.idle:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            fail(f"consumer error: {msg.error()}")
        idle_since = time.time()
        records.append([msg.partition(), msg.offset(), (msg.value() or b"").hex()])
    c.close()
    emit({"records": records})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("registry")
    parser.add_argument("topic")
    parser.add_argument("mode", choices=["cases", "partitions", "codec", "serialize", "steady", "consume"])
    parser.add_argument("--compression", default="none")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--basic-auth", default=None)
    parser.add_argument("--idle", type=float, default=6.0)
    parser.add_argument("--values-file", default=None)
    parser.add_argument("--keys-file", default=None)
    parser.add_argument("--bad-index", type=int, default=None)
    args = parser.parse_args()
    conf = {"url": args.registry}
    if args.basic_auth:
        conf["basic.auth.user.info"] = args.basic_auth
    registry = SchemaRegistryClient(conf)
    {"cases": run_cases, "partitions": run_partitions, "codec": run_codec,
     "serialize": run_serialize, "steady": run_steady, "consume": run_consume}[args.mode](args, registry)


if __name__ == "__main__":
    try:
        main()
    except KafkaError as e:  # pragma: no cover - reported to the test
        fail(str(e))
        sys.exit(1)
