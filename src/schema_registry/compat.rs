//! Avro compatibility (schema resolution) checks with path messages.
//!
//! The rules are the Avro specification's "Schema Resolution", applied to schemas rather than
//! data (as Java Avro's `SchemaCompatibility`, which Confluent uses, does):
//! - primitives: same type, or a promotion: int → long, float, double; long → float, double;
//!   float → double; string ↔ bytes;
//! - records: names match (unqualified names equal, or a reader alias equals the writer's full
//!   name); each reader field is found in the writer by name or by a reader field alias, and
//!   resolved; a reader field missing in the writer needs a default; writer-only fields are
//!   ignored;
//! - enums: names match; a writer symbol missing in the reader needs the reader's enum default;
//! - fixed: names match and sizes are equal;
//! - arrays and maps: items and values resolve;
//! - unions: every writer branch must resolve (writer union); a non-union writer must match a
//!   reader branch; the branch chosen is the first with the same type or name, else the first
//!   the writer can be promoted to;
//! - logical types resolve by their underlying type, except that two `decimal`s must have the
//!   same precision and scale (the specification's rule; Java Avro and so Confluent skip it);
//! - recursion: a (reader, writer) record pair already under check counts as compatible.
//!
//! Paths are JSON-pointer-like and name fields, not positions: `/fields/email`,
//! `/fields/age/type`, `/fields/tags/items/type`, `/fields/color/symbols`, `/fields/payload/size`.

mod resolve;

#[cfg(test)]
mod tests;

use std::fmt;

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

/// The name given is not a compatibility level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid compatibility level: {0}")]
pub struct UnknownCompatibilityLevel(pub String);

impl std::str::FromStr for CompatibilityLevel {
    type Err = UnknownCompatibilityLevel;

    /// Case-insensitive, as Confluent's `CompatibilityLevel.forName` after its upper-casing.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownCompatibilityLevel(name.to_owned()))
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CompatibilityLevel {
    pub const ALL: [CompatibilityLevel; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// The wire name, e.g. `BACKWARD_TRANSITIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// The new schema reads data of the versions it is checked against.
    fn checks_backward(self) -> bool {
        matches!(
            self,
            Self::Backward | Self::BackwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    /// The versions it is checked against read data of the new schema.
    fn checks_forward(self) -> bool {
        matches!(
            self,
            Self::Forward | Self::ForwardTransitive | Self::Full | Self::FullTransitive
        )
    }

    fn is_transitive(self) -> bool {
        matches!(
            self,
            Self::BackwardTransitive | Self::ForwardTransitive | Self::FullTransitive
        )
    }
}

/// One reason why a reader cannot read a writer's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    /// Location in the reader schema, e.g. `/fields/email` (`/` for the root).
    pub path: String,
    /// The rule broken, e.g. `reader field without default is missing in writer`.
    pub message: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every reason why `reader` cannot read data written with `writer`; empty = compatible.
pub fn check_pair(reader: &ParsedAvro, writer: &ParsedAvro) -> Vec<Incompatibility> {
    resolve::Resolver::new(&reader.model, &writer.model).run()
}

/// Check `new` against the subject's live versions (oldest first) under `level`.
/// Returns one readable message per problem, e.g.
/// `/fields/email: reader field without default is missing in writer`; empty = compatible.
/// Non-transitive levels check the latest version only; a message that several versions
/// produce is reported once.
pub fn check_compatibility(
    level: CompatibilityLevel,
    new: &ParsedAvro,
    existing: &[ParsedAvro],
) -> Vec<String> {
    let against: &[ParsedAvro] = if level.is_transitive() {
        existing
    } else {
        existing
            .last()
            .map(std::slice::from_ref)
            .unwrap_or_default()
    };
    let mut messages: Vec<String> = Vec::new();
    for old in against {
        let mut found = Vec::new();
        if level.checks_backward() {
            found.extend(check_pair(new, old));
        }
        if level.checks_forward() {
            found.extend(check_pair(old, new));
        }
        for message in found.iter().map(ToString::to_string) {
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
    }
    messages
}
