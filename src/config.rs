//! Configuration. (Proxy slice owns this file; sections are owned by their modules.)

/// The whole configuration.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub registry: crate::registry::RegistryConfig,
    pub embedded_registry: crate::schema_registry::EmbeddedRegistryConfig,
    pub policy: crate::policy::PolicyConfig,
}
