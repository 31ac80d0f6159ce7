"""Send records that break the contract of topic `user-events` through schemagate, with the
seed's producer settings, and print what each client is told.

Env: KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL (as for the seed's programs).
"""
import os
import struct

from confluent_kafka import Producer
from kafka import KafkaProducer

bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
SASL = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "user", "sasl.password": "user"}
BAD = [
    ("a JSON value without the Confluent framing", b'{"id": 4, "name": "Mallory", "email": "m@example.com"}'),
    ("schema id 999 that the registry does not know", b"\x00" + struct.pack(">I", 999) + b"\x08\x0aDaisy"),
]

failures = 0
producer = Producer({"bootstrap.servers": bootstrap, **SASL})
for what, value in BAD:
    def report(err, msg, what=what):
        global failures
        if err is None:
            print(f"UNEXPECTED: {what} was accepted")
        else:
            failures += 1
            print(f"confluent-kafka: {what}: delivery failed: {err.name()} ({err.str()})")
    producer.produce("user-events", value=value, callback=report)
    producer.flush(30)

# librdkafka's delivery report carries only the error code; kafka-python (like the Java
# producer) also shows the reason schemagate put in the Produce response.
kp = KafkaProducer(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT",
                   sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="user",
                   sasl_plain_password="user", retries=0)
for what, value in BAD:
    try:
        kp.send("user-events", value=value).get(timeout=30)
        print(f"UNEXPECTED: {what} was accepted")
    except Exception as e:  # the refusal is what we show
        failures += 1
        print(f"kafka-python:    {what}: {type(e).__name__}: {e}")
kp.close()
raise SystemExit(0 if failures == 2 * len(BAD) else 1)
