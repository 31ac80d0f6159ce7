"""A healthy producer that keeps producing until its stdin closes, then reports.

  steady_producer.py BOOTSTRAP TOPIC

Prints {"ready": true} once the first record is delivered (so the test knows production is
under way), then produces a record every few milliseconds, waiting for each batch to be
delivered. When stdin closes it flushes and prints {"delivered", "failed", "errors"}; any
delivery failure or client error callback counts against it.
"""
import argparse
import sys
import threading

from confluent_kafka import Producer

from sgclient import emit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("topic")
    args = parser.parse_args()
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    errors, failed = [], []
    delivered = [0]

    def on_delivery(error, _message):
        if error is not None:
            failed.append(str(error))
        else:
            delivered[0] += 1

    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 2, "acks": "all",
                         "enable.idempotence": True, "message.timeout.ms": 20000,
                         "error_cb": lambda error: errors.append(str(error))})
    i = 0
    announced = False
    while not stop.is_set():
        for _ in range(10):
            producer.produce(args.topic, key=f"k-{i}", value=f"v-{i}", on_delivery=on_delivery)
            i += 1
        producer.flush(20)
        if not announced and delivered[0] > 0:
            print('{"ready": true}', flush=True)
            announced = True
        stop.wait(0.02)
    remaining = producer.flush(20)
    emit({"produced": i, "delivered": delivered[0], "undelivered": remaining,
          "failed": failed[:5], "errors": errors[:5]})


if __name__ == "__main__":
    main()
