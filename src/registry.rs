//! Schema lookups for enforcement: the embedded registry in-process, or a Confluent-compatible
//! registry over HTTP, behind a cache. (Enforcement slice; contract types below are shared.)

/// The schema language of a registered schema (`schemaType`; absent means AVRO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    Avro,
    Json,
    Protobuf,
}

/// A registered schema as the enforcer needs it: its text plus the texts of every schema it
/// references (transitively, dependencies before dependants), ready to compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaText {
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<String>,
}

/// Client-side registry settings (`registry:` section). Filled in by the enforcement slice.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryConfig {
    /// External Confluent-compatible registry. When unset, the embedded registry is used.
    pub url: Option<String>,
}
