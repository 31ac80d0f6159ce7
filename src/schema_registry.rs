//! The embedded Confluent-compatible Schema Registry: state in the `_schemas` topic, reads
//! from memory, REST API compatible with Confluent's. (Registry slice.)

pub mod avro;
pub mod compat;

/// Embedded registry settings (`embedded_registry:` section). Filled in by the registry slice.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedRegistryConfig {}
