//! Per-topic enforcement rules (`policy:` section). Filled in by the enforcement slice.

/// Enforcement rules. Empty: every topic passes untouched.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {}
