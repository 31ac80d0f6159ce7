"""Commit one transaction and abort another, then read the topic with read_committed.

  transactions.py BOOTSTRAP TOPIC [--records N]

Transaction A (values "committed-<i>") is committed and transaction B (values
"aborted-<i>") is aborted, both over every partition of the topic. A read_committed consumer
then reads until it has seen the committed records and the partitions' end offsets, and a
read_uncommitted consumer proves the aborted records really reached the log. Prints what each
consumer saw and every address librdkafka connected to.
"""
import argparse
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from sgclient import ConnectionLog, emit, fail, traced


def run_transactions(args, log):
    producer = Producer(traced({
        "bootstrap.servers": args.bootstrap,
        "transactional.id": f"{args.topic}-txn",
        "linger.ms": 5,
    }, log, "txn-producer"))
    producer.init_transactions(30)
    for outcome in ("committed", "aborted"):
        producer.begin_transaction()
        for i in range(args.records):
            producer.produce(args.topic, key=f"k-{i}", value=f"{outcome}-{i}")
        producer.flush(30)
        if outcome == "committed":
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    return sorted(producer.list_topics(args.topic, timeout=10).topics[args.topic].partitions)


def read_all(args, log, isolation, partitions):
    consumer = Consumer(traced({
        "bootstrap.servers": args.bootstrap,
        "group.id": f"{args.topic}-{isolation}",
        "isolation.level": isolation,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": True,
    }, log, f"consumer-{isolation}"))
    consumer.assign([TopicPartition(args.topic, p, 0) for p in partitions])
    values = []
    at_eof = set()
    deadline = time.monotonic() + args.timeout
    while len(at_eof) < len(partitions) and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(message.partition())
                continue
            fail(f"{isolation} consumer error: {message.error()}")
        at_eof.discard(message.partition())
        values.append(message.value().decode())
    consumer.close()
    if len(at_eof) < len(partitions):
        fail(f"{isolation} consumer reached the end of {sorted(at_eof)} of {partitions} within {args.timeout}s")
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    log = ConnectionLog()
    partitions = run_transactions(args, log)
    committed_view = read_all(args, log, "read_committed", partitions)
    uncommitted_view = read_all(args, log, "read_uncommitted", partitions)
    emit({
        "partitions": partitions,
        "read_committed": sorted(committed_view),
        "read_uncommitted": sorted(uncommitted_view),
        "connections": log.sorted_addresses(),
    })


if __name__ == "__main__":
    main()
