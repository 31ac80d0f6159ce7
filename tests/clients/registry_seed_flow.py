"""The seed's producer + consumer flow (confluent_kafka SchemaRegistryClient, AvroSerializer,
AvroDeserializer), with only the URLs changed and SASL removed (tansu runs plaintext).

Env: SCHEMA_REGISTRY_URL, KAFKA_BOOTSTRAP_SERVERS. Prints one `Received message: {...}` line
per user, then `DONE`.
"""
import os
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

USER_SCHEMA = """
{
  "type": "record", "name": "User", "namespace": "ssup2.com",
  "fields": [
    {"name": "id", "type": "int"},
    {"name": "name", "type": "string"},
    {"name": "email", "type": "string"}
  ]
}
"""

schema_registry_url = os.environ["SCHEMA_REGISTRY_URL"]
kafka_bootstrap_servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
topic = "user-events"

# Setup the seed assumes: the "user" subject exists and the topic exists (no auto-create).
schema_registry_client = SchemaRegistryClient({"url": schema_registry_url})
schema_registry_client.register_schema("user", Schema(USER_SCHEMA, "AVRO"))
admin = AdminClient({"bootstrap.servers": kafka_bootstrap_servers})
for f in admin.create_topics([NewTopic(topic, 1, 1)]).values():
    try:
        f.result()
    except Exception as e:  # already exists is fine
        print(f"create_topics: {e}")

# ---- Producer (seed Code 1) ----
print("Retrieving schema from Schema Registry")
schema = schema_registry_client.get_latest_version("user")
avro_schema_str = schema.schema.schema_str
avro_serializer = AvroSerializer(
    schema_registry_client,
    avro_schema_str,
    lambda obj, ctx: {"id": obj["id"], "name": obj["name"], "email": obj["email"]},
)
producer = Producer({"bootstrap.servers": kafka_bootstrap_servers})


def send_message(user_data):
    serialization_context = SerializationContext(topic, MessageField.VALUE)
    serialized_value = avro_serializer(user_data, serialization_context)
    producer.produce(
        topic=topic,
        value=serialized_value,
        callback=lambda err, msg: print(f"Message delivered: {msg.topic()} [{msg.partition()}]")
        if err is None
        else print(f"Delivery failed: {err}"),
    )
    producer.poll(0)


users = [
    {"id": 1, "name": "Alice", "email": "alice@example.com"},
    {"id": 2, "name": "Bob", "email": "bob@example.com"},
    {"id": 3, "name": "Charlie", "email": "charlie@example.com"},
]
for user in users:
    send_message(user)
producer.flush()
print("All messages sent")

# ---- Consumer (seed Code 2) ----
avro_deserializer = AvroDeserializer(schema_registry_client)
consumer = Consumer(
    {
        "bootstrap.servers": kafka_bootstrap_servers,
        "group.id": "user-consumer-group",
        "auto.offset.reset": "earliest",
    }
)
consumer.subscribe([topic])
received = 0
deadline = time.time() + 60
try:
    while received < len(users) and time.time() < deadline:
        msg = consumer.poll(timeout=1.0)
        if msg is None:
            continue
        if msg.error():
            print(f"Consumer error: {msg.error()}")
            continue
        serialization_context = SerializationContext(msg.topic(), MessageField.VALUE)
        user_data = avro_deserializer(msg.value(), serialization_context)
        print(f"Received message: {user_data}")
        received += 1
finally:
    consumer.close()
print("DONE")
