"""kafka-python (a pure-Python client, independent of librdkafka) through one bootstrap address.

  kafka_python_roundtrip.py BOOTSTRAP TOPIC --count N

Produces N records (acks=all), consumes them back in a consumer group, commits, reads the
committed offsets back, and prints the brokers the client learned and connected to.
"""
import argparse
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from sgclient import emit, fail


def broker_addresses(client):
    return {str(b.nodeId): f"{b.host}:{b.port}" for b in client.cluster.brokers()}


def connected_addresses(client):
    return sorted(f"{conn.host}:{conn.port}" for conn in client._conns.values())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    group = f"{args.topic}-kafka-python"

    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all")
    futures = [producer.send(args.topic, key=f"k-{i}".encode(), value=f"v-{i}".encode())
               for i in range(args.count)]
    producer.flush(timeout=args.timeout)
    for future in futures:
        future.get(timeout=args.timeout)
    learned = broker_addresses(producer._client)
    connections = set(connected_addresses(producer._client))
    producer.close()

    consumer = KafkaConsumer(args.topic, bootstrap_servers=args.bootstrap, group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    seen = set()
    deadline = time.monotonic() + args.timeout
    while len(seen) < args.count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            seen.update(int(record.value.decode().removeprefix("v-")) for record in records)
    if len(seen) != args.count:
        fail(f"kafka-python consumed {len(seen)} of {args.count} records")
    consumer.commit()
    partitions = [TopicPartition(args.topic, p) for p in sorted(consumer.partitions_for_topic(args.topic))]
    committed = {str(tp.partition): consumer.committed(tp) for tp in partitions}
    end_offsets = {str(tp.partition): offset for tp, offset in consumer.end_offsets(partitions).items()}
    learned.update(broker_addresses(consumer._client))
    connections.update(connected_addresses(consumer._client))
    consumer.close()
    emit({
        "consumed": len(seen),
        "committed": committed,
        "end_offsets": end_offsets,
        "learned_brokers": learned,
        "connections": sorted(connections),
    })


if __name__ == "__main__":
    main()
