"""confluent_kafka's SchemaRegistryClient admin calls against the embedded registry, plus the
`_schemas` topic's partitions and cleanup.policy as the broker reports them.

Env: SCHEMA_REGISTRY_URL, KAFKA_BOOTSTRAP_SERVERS. Prints one JSON line with the results.
"""
import json
import os

from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

url = os.environ["SCHEMA_REGISTRY_URL"]
bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
sr = SchemaRegistryClient({"url": url})
out = {}

v1 = Schema('{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}', "AVRO")
v2 = Schema(
    '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},'
    '{"name":"b","type":"string","default":""}]}',
    "AVRO",
)
bad = Schema(
    '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"}]}',
    "AVRO",
)


def error_of(call):
    try:
        call()
    except SchemaRegistryError as e:
        return [e.http_status_code, e.error_code]
    return None


out["id1"] = sr.register_schema("py", v1)
out["id2"] = sr.register_schema("py", v2)
out["types"] = sorted(sr.get_schema_types())
out["subjects"] = sr.get_subjects()
out["versions"] = sr.get_versions("py")
out["latest_version"] = sr.get_latest_version("py").version
out["v1_id"] = sr.get_version("py", 1).schema_id
out["lookup_version"] = sr.lookup_schema("py", v1).version
out["schema_by_id_type"] = sr.get_schema(out["id2"]).schema_type
out["subjects_by_id"] = sr.get_subjects_by_schema_id(out["id1"])
out["compatible_v2"] = sr.test_compatibility("py", v2)
out["compatible_bad"] = sr.test_compatibility("py", bad)
out["compatible_all_bad"] = sr.test_compatibility_all_versions("py", bad)
out["register_bad"] = error_of(lambda: sr.register_schema("py", bad))
out["global_level"] = sr.get_compatibility()
out["subject_level_missing"] = error_of(lambda: sr.get_compatibility("py"))
sr.set_compatibility("py", "full")
out["subject_level"] = sr.get_compatibility("py")
out["global_mode"] = sr.get_global_mode()
out["delete_version"] = sr.delete_version("py", 1)
out["versions_after"] = sr.get_versions("py")
out["delete_subject"] = sr.delete_subject("py")
out["delete_permanent"] = sr.delete_subject("py", permanent=True)
out["subjects_after"] = sr.get_subjects()
out["missing_version"] = error_of(lambda: sr.get_version("nope", 1))

admin = AdminClient({"bootstrap.servers": bootstrap})
md = admin.list_topics(topic="_schemas", timeout=10)
out["partitions"] = len(md.topics["_schemas"].partitions)
try:
    res = ConfigResource(ConfigResource.Type.TOPIC, "_schemas")
    configs = admin.describe_configs([res])[res].result(timeout=10)
    out["cleanup_policy"] = configs["cleanup.policy"].value if "cleanup.policy" in configs else None
except Exception as e:  # the broker may not support DescribeConfigs
    out["cleanup_policy"] = f"unavailable: {e}"
print(json.dumps(out))
