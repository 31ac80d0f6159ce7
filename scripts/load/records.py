"""The record set every load target receives: Confluent-framed Avro `Order` values (~300 B).

The schema is the 15-field `Order` of tests/avro_differential/schemas.rs (nullable unions, an
enum, an array, a map). Payloads are generated once from a fixed seed, so every target and every
run gets the same bytes; only the 4-byte schema id in the framing depends on the registry.
"""

import io
import json
import random
import struct
import uuid

import fastavro

ORDER_SCHEMA = {
    "type": "record", "name": "Order", "namespace": "com.acme", "fields": [
        {"name": "order_id", "type": "long"},
        {"name": "customer_id", "type": "string"},
        {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "status", "type": {"type": "enum", "name": "Status",
                                    "symbols": ["NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]}},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": "string"},
        {"name": "coupon", "type": ["null", "string"], "default": None},
        {"name": "items", "type": {"type": "array", "items": "string"}},
        {"name": "attributes", "type": {"type": "map", "values": "string"}},
        {"name": "quantity", "type": "int"},
        {"name": "gift", "type": "boolean"},
        {"name": "weight", "type": "float"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "shipping_address", "type": "string"},
        {"name": "request_id", "type": {"type": "string", "logicalType": "uuid"}},
    ]}

SCHEMA_TEXT = json.dumps(ORDER_SCHEMA)
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]


def _order(rng):
    def words(n):
        return " ".join(rng.choice(WORDS) for _ in range(n))
    return {
        "order_id": rng.randrange(1, 1 << 40),
        "customer_id": "cust-%08d" % rng.randrange(10 ** 8),
        "created_at": 1_700_000_000_000 + rng.randrange(10 ** 9),
        "status": rng.choice(["NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]),
        "amount": rng.random() * 1000,
        "currency": rng.choice(["EUR", "USD", "KRW", "JPY"]),
        "coupon": rng.choice([None, "SAVE10", "WELCOME"]),
        "items": ["sku-%06d %s" % (rng.randrange(10 ** 6), words(2)) for _ in range(rng.randrange(2, 5))],
        "attributes": {w: words(2) for w in rng.sample(WORDS, rng.randrange(2, 5))},
        "quantity": rng.randrange(1, 20),
        "gift": rng.random() < 0.2,
        "weight": rng.random() * 10,
        "note": rng.choice([None, words(4)]),
        "shipping_address": "%d %s street, %s" % (rng.randrange(1, 999), words(2), words(1)),
        "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    }


def avro_bodies(count, seed=6):
    """`count` distinct Avro-encoded Order bodies (no framing), deterministic for `seed`."""
    rng = random.Random(seed)
    parsed = fastavro.parse_schema(ORDER_SCHEMA)
    out = []
    for _ in range(count):
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, _order(rng))
        out.append(buf.getvalue())
    return out


def frame(schema_id, body):
    """Confluent wire format: magic 0, 4-byte big-endian schema id, Avro body."""
    return b"\x00" + struct.pack(">I", schema_id) + body
