"""Keep a librdkafka mock cluster alive for other processes.

  mock_cluster.py [BROKERS]

Creating a librdkafka client with test.mock.num.brokers starts that many mock brokers on
loopback, reachable by any process while the client lives. Prints
{"brokers": {"<node id>": "127.0.0.1:<port>", ...}} once, then lives until stdin closes.

Known gaps of the mock (librdkafka 2.16): no CreateTopics, DescribeCluster or DescribeGroups
(topics auto-create with 4 partitions), and Fetch always reports zero aborted transactions,
so a read_committed consumer still receives aborted records although EndTxn writes the
abort markers; it also returns one batch per Fetch and writes control batches with CRC 0.
"""
import json
import sys

from confluent_kafka import Producer


def main():
    brokers = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    holder = Producer({"test.mock.num.brokers": brokers, "log_level": 3})
    metadata = holder.list_topics(timeout=15)
    if len(metadata.brokers) != brokers:
        print(f"mock cluster reported {len(metadata.brokers)} brokers, wanted {brokers}", file=sys.stderr)
        sys.exit(1)
    addresses = {str(b.id): f"{b.host}:{b.port}" for b in metadata.brokers.values()}
    print(json.dumps({"brokers": addresses}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
