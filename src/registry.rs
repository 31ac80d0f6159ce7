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

/// Read access to an in-process registry (the embedded one). Reads come from memory, so the
/// methods are synchronous and cheap.
pub trait LocalRegistry: Send + Sync + std::fmt::Debug {
    /// The schema registered under `id` (soft-deleted versions still resolve, as in Confluent).
    fn schema_text(&self, id: i32) -> Option<SchemaText>;
    /// Every live (not soft-deleted) `(subject, version)` whose schema id is `id`.
    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)>;
    /// True once the state has been rebuilt from `_schemas` and is being tailed.
    fn is_ready(&self) -> bool;
}
