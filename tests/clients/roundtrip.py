"""Produce N records, consume them all back in a consumer group, read the committed offsets.

  roundtrip.py BOOTSTRAP TOPIC --count N [--partitions P] [--group G] [--compression C]
               [--idempotence] [--extra KEY=VALUE ...]

The topic must already exist (or be auto-created by the broker). Keys are "k-<i>" so records
spread over every partition; values carry the index so the consumer can prove it saw each
record exactly once. Prints produced/consumed counts, per-partition end offsets, the offsets
the group committed (read back twice: Consumer.committed and AdminClient
list_consumer_group_offsets) and every address librdkafka connected to.
"""
import argparse
import time

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from sgclient import ConnectionLog, emit, fail, traced


def produce(args, common, log):
    config = dict(common)
    config.update({"linger.ms": 20, "enable.idempotence": args.idempotence,
                   "compression.type": args.compression, "acks": "all"})
    producer = Producer(traced(config, log, "producer"))
    failures = []
    delivered = {}

    def on_delivery(error, message):
        if error is not None:
            failures.append(str(error))
        else:
            delivered[message.partition()] = delivered.get(message.partition(), 0) + 1

    for i in range(args.count):
        while True:
            try:
                producer.produce(args.topic, key=f"k-{i}", value=f"v-{i}", on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    if remaining or failures:
        fail(f"producer: {remaining} undelivered, {len(failures)} failed, first: {failures[:3]}")
    return delivered


def consume(args, common, log):
    config = dict(common)
    config.update({"group.id": args.group, "auto.offset.reset": "earliest",
                   "enable.auto.commit": False, "isolation.level": "read_committed"})
    consumer = Consumer(traced(config, log, "consumer"))
    consumer.subscribe([args.topic])
    seen = set()
    duplicates = 0
    deadline = time.monotonic() + args.timeout
    while len(seen) < args.count and time.monotonic() < deadline:
        batch = consumer.consume(num_messages=1000, timeout=1.0)
        for message in batch:
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                fail(f"consumer error: {message.error()}")
            index = int(message.value().decode().removeprefix("v-"))
            if index in seen:
                duplicates += 1
            seen.add(index)
        if batch:
            consumer.commit(asynchronous=False)
    assignment = [tp.partition for tp in consumer.assignment()]
    consumer.close()
    return seen, duplicates, assignment


def read_back(args, common, log):
    partitions = [TopicPartition(args.topic, p) for p in range(args.partitions)]
    reader = Consumer(traced(dict(common, **{"group.id": args.group}), log, "reader"))
    committed = {str(tp.partition): tp.offset for tp in reader.committed(partitions, timeout=20)}
    end_offsets = {}
    for tp in partitions:
        _low, high = reader.get_watermark_offsets(tp, timeout=20)
        end_offsets[str(tp.partition)] = high
    reader.close()
    admin = AdminClient(traced(common, log, "admin"))
    request = [ConsumerGroupTopicPartitions(args.group, partitions)]
    listed = admin.list_consumer_group_offsets(request, request_timeout=20)[args.group].result(timeout=30)
    admin_committed = {str(tp.partition): tp.offset for tp in listed.topic_partitions}
    return committed, admin_committed, end_offsets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--group", default=None)
    parser.add_argument("--compression", default="none")
    parser.add_argument("--idempotence", action="store_true")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--extra", action="append", default=[], help="librdkafka KEY=VALUE")
    args = parser.parse_args()
    args.group = args.group or f"{args.topic}-group"
    common = {"bootstrap.servers": args.bootstrap}
    common.update(item.split("=", 1) for item in args.extra)
    log = ConnectionLog()
    delivered = produce(args, common, log)
    seen, duplicates, assignment = consume(args, common, log)
    if len(seen) != args.count:
        fail(f"consumed {len(seen)} distinct records of {args.count} within {args.timeout}s")
    committed, admin_committed, end_offsets = read_back(args, common, log)
    emit({
        "produced_per_partition": {str(k): v for k, v in sorted(delivered.items())},
        "consumed": len(seen),
        "duplicates": duplicates,
        "assignment": sorted(assignment),
        "committed": committed,
        "admin_committed": admin_committed,
        "end_offsets": end_offsets,
        "connections": log.sorted_addresses(),
    })


if __name__ == "__main__":
    main()
