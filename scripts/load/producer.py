"""One load-generating producer process (librdkafka through confluent-kafka).

Started by run.py with the `spawn` start method, so librdkafka is never forked. The process
connects and warms up (metadata, one acknowledged message), waits at a shared barrier so all
producers start together, produces its share, flushes, and returns its counts and every
delivery-report latency (librdkafka's `Message.latency()`: produce() call to delivery report).
"""

import array
import time

from confluent_kafka import KafkaException, Producer


def producer_config(bootstrap):
    return {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 200_000,
        "queue.buffering.max.kbytes": 262_144,
        "compression.type": "none",
        "enable.idempotence": False,
        "socket.nagle.disable": True,
        "message.timeout.ms": 60_000,
        "log_level": 3,
    }


def run(job, barrier, results):
    """job: dict(bootstrap, topic, payloads, count, rate, index); rate 0 = as fast as possible."""
    try:
        results.put(_run(job, barrier))
    except Exception as e:  # reported by the coordinator instead of a silent hang
        results.put({"index": job["index"], "error": repr(e)})
        barrier.abort()


def _run(job, barrier):
    state = {"ok": 0, "bytes": 0, "errors": 0, "first_error": None}
    latencies = array.array("d")

    def on_delivery(err, msg):
        if err is not None:
            state["errors"] += 1
            if state["first_error"] is None:
                state["first_error"] = str(err)
            return
        state["ok"] += 1
        state["bytes"] += len(msg.value())
        latencies.append(msg.latency())

    producer = Producer(producer_config(job["bootstrap"]))
    topic, payloads = job["topic"], job["payloads"]
    producer.produce(topic, payloads[0], on_delivery=on_delivery)
    if producer.flush(30) != 0:
        raise KafkaException("warm-up message not delivered within 30 s")
    if state["errors"]:
        raise KafkaException("warm-up message failed: %s" % state["first_error"])
    state.update(ok=0, bytes=0)
    del latencies[:]

    barrier.wait(120)
    start, cpu_start = time.time(), time.process_time()
    _produce(producer, topic, payloads, job["count"], job["rate"], on_delivery)
    remaining = producer.flush(120)
    end, cpu = time.time(), time.process_time() - cpu_start
    return {
        "index": job["index"], "start": start, "end": end, "ok": state["ok"],
        "bytes": state["bytes"], "errors": state["errors"] + remaining,
        "first_error": state["first_error"], "cpu": cpu, "latencies": latencies.tobytes(),
    }


def _produce(producer, topic, payloads, count, rate, on_delivery):
    produce, poll = producer.produce, producer.poll
    n = len(payloads)
    start = time.perf_counter()
    i = 0
    while i < count:
        if rate:
            # Paced: catch up to the schedule in small bursts, sleep when ahead of it.
            due = min(count, int((time.perf_counter() - start) * rate) + 1)
            if due <= i:
                poll(0)
                time.sleep(0.0005)
                continue
        else:
            due = min(count, i + 1024)
        while i < due:
            try:
                produce(topic, payloads[i % n], on_delivery=on_delivery)
                i += 1
            except BufferError:
                poll(0.005)
        poll(0)
