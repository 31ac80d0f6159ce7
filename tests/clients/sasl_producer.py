"""The seed's producer configuration (SASL_PLAINTEXT + SCRAM-SHA-512) through one bootstrap.

  sasl_producer.py BOOTSTRAP TOPIC USER PASSWORD [--count N]

Produces N records with exactly the seed's security settings and consumes them back with the
seed's consumer settings. On an authentication failure it exits 2 and prints
{"auth_error": "...", "seconds": S}: librdkafka reports the broker's SaslAuthenticate error
through the error callback, so the test can tell a clean rejection from a hang.
"""
import argparse
import time

from confluent_kafka import Consumer, KafkaError, Producer

from sgclient import ConnectionLog, emit, fail, traced


def seed_config(args):
    return {
        "bootstrap.servers": args.bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": args.user,
        "sasl.password": args.password,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    started = time.monotonic()
    auth_errors = []

    def on_error(error):
        if error.code() == KafkaError._AUTHENTICATION or "uthenticat" in error.str():
            auth_errors.append(error.str())

    log = ConnectionLog()
    config = dict(seed_config(args), error_cb=on_error, **{"message.timeout.ms": int(args.timeout * 1000)})
    producer = Producer(traced(config, log, "seed-producer"))
    delivered, failed = [], []
    for i in range(args.count):
        producer.produce(args.topic, value=f"user-{i}",
                         on_delivery=lambda err, msg: (failed if err else delivered).append(err or msg.offset()))
    deadline = time.monotonic() + args.timeout
    while len(delivered) + len(failed) < args.count and not auth_errors and time.monotonic() < deadline:
        producer.poll(0.2)
    if auth_errors:
        emit({"auth_error": auth_errors[0], "seconds": round(time.monotonic() - started, 2)})
        raise SystemExit(2)
    if len(delivered) != args.count:
        fail(f"delivered {len(delivered)} of {args.count}; failures: {failed[:3]}")

    consumer = Consumer(traced(dict(seed_config(args), **{
        "group.id": f"{args.topic}-seed-consumer", "auto.offset.reset": "earliest"}), log, "seed-consumer"))
    consumer.subscribe([args.topic])
    values = []
    while len(values) < args.count and time.monotonic() < deadline + args.timeout:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            fail(f"consumer error: {message.error()}")
        values.append(message.value().decode())
    consumer.close()
    emit({"delivered": len(delivered), "consumed": sorted(values), "connections": log.sorted_addresses()})


if __name__ == "__main__":
    main()
