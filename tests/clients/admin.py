"""Admin operations through one bootstrap address (confluent-kafka AdminClient).

  admin.py create-topic BOOTSTRAP TOPIC PARTITIONS [--extra KEY=VALUE ...]
      creates the topic (replication factor 1) and waits until its metadata shows
      every partition with a leader; prints {"topic", "partitions"}.
  admin.py addresses BOOTSTRAP [--group GROUP]
      prints every broker address the client learns: Metadata brokers, DescribeCluster
      nodes and the group coordinator (FindCoordinator, via DescribeConsumerGroups),
      plus the addresses librdkafka actually connected to.
"""
import argparse
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from sgclient import ConnectionLog, emit, fail, traced


def client_config(args):
    config = {"bootstrap.servers": args.bootstrap}
    config.update(item.split("=", 1) for item in args.extra)
    return config


def create_topic(args):
    admin = AdminClient(client_config(args))
    futures = admin.create_topics(
        [NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1)],
        operation_timeout=30,
    )
    try:
        futures[args.topic].result(timeout=30)
    except KafkaException as error:
        fail(f"create_topics({args.topic}) failed: {error}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metadata = admin.list_topics(topic=args.topic, timeout=10)
        topic = metadata.topics.get(args.topic)
        if topic is not None and topic.error is None and len(topic.partitions) == args.partitions \
                and all(p.leader >= 0 for p in topic.partitions.values()):
            emit({"topic": args.topic, "partitions": len(topic.partitions)})
            return
        time.sleep(0.2)
    fail(f"topic {args.topic} did not show {args.partitions} partitions with leaders within 30s")


def addresses(args):
    log = ConnectionLog()
    admin = AdminClient(traced(client_config(args), log, "admin"))
    metadata = admin.list_topics(timeout=15)
    metadata_brokers = {str(b.id): f"{b.host}:{b.port}" for b in metadata.brokers.values()}
    cluster = admin.describe_cluster(request_timeout=15).result(timeout=20)
    cluster_nodes = {str(n.id): f"{n.host}:{n.port}" for n in cluster.nodes}
    controller = cluster.controller
    result = {
        "metadata_brokers": metadata_brokers,
        "describe_cluster_nodes": cluster_nodes,
        "describe_cluster_controller": f"{controller.host}:{controller.port}" if controller else None,
    }
    if args.group:
        groups = admin.describe_consumer_groups([args.group], request_timeout=15)
        description = groups[args.group].result(timeout=20)
        coordinator = description.coordinator
        result["group_coordinator"] = f"{coordinator.host}:{coordinator.port}"
    result["connections"] = log.sorted_addresses()
    emit(result)


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-topic")
    create.add_argument("bootstrap")
    create.add_argument("topic")
    create.add_argument("partitions", type=int)
    create.add_argument("--extra", action="append", default=[], help="librdkafka KEY=VALUE")
    create.set_defaults(run=create_topic)
    learn = commands.add_parser("addresses")
    learn.add_argument("bootstrap")
    learn.add_argument("--group")
    learn.add_argument("--extra", action="append", default=[], help="librdkafka KEY=VALUE")
    learn.set_defaults(run=addresses)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
