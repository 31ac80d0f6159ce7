//! Per-topic enforcement rules (`policy:` section) and their compiled matcher.
//!
//! A rule matches topics by exact name (`topic`), by prefix (`prefix`) or by a regular
//! expression (`regex`, anchored: it must match the whole name). For a topic the rule is
//! chosen by this precedence, first hit wins:
//! 1. the rule whose `topic` equals the name;
//! 2. the rule with the longest `prefix` of the name;
//! 3. the first rule, in file order, whose `regex` matches the name;
//! 4. the `default` rule, if set.
//!
//! A topic no rule selects passes untouched. Keys and values are checked separately, each at
//! a [`Level`]; each level includes the checks of the levels before it.
//!
//! Example (YAML):
//! ```yaml
//! policy:
//!   default: { value: { level: wire-format } }
//!   rules:
//!     - match: { prefix: "orders." }
//!       value: { level: payload }
//!     - match: { topic: "orders.legacy" }   # exact beats prefix: exempt
//!       value: { level: none }
//!     - match: { regex: "payments-[0-9]+" }
//!       key: { level: subject, subject_strategy: topic_record_name }
//!       value: { level: subject, allow_null: false }
//!       mode: audit
//!   reject_scope: partition          # or request
//!   acks0: drop                      # or close
//!   registry_unavailable: fail-closed  # or fail-open
//!   max_decompressed_bytes: 67108864
//! ```

mod matcher;

pub use matcher::CompiledPolicy;

use serde::Deserialize;

/// How deeply a key or value is checked. Each level includes the previous ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Not checked.
    #[default]
    None,
    /// Byte 0 is `0x00` and bytes 1–4 hold a schema id.
    WireFormat,
    /// The schema id exists in the registry.
    Registered,
    /// The schema id is a version of the subject named by the subject strategy.
    Subject,
    /// The payload decodes completely against the id's schema.
    Payload,
}

impl Level {
    pub const NAMES: [&'static str; 5] =
        ["none", "wire-format", "registered", "subject", "payload"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::WireFormat => "wire-format",
            Self::Registered => "registered",
            Self::Subject => "subject",
            Self::Payload => "payload",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Self::None),
            "wire-format" => Ok(Self::WireFormat),
            "registered" => Ok(Self::Registered),
            "subject" => Ok(Self::Subject),
            "payload" => Ok(Self::Payload),
            other => Err(format!(
                "unknown level {other:?} (expected one of {:?})",
                Self::NAMES
            )),
        }
    }
}

/// Confluent subject name strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectStrategy {
    /// `<topic>-key` / `<topic>-value`.
    #[default]
    TopicName,
    /// The full name of the record schema.
    RecordName,
    /// `<topic>-<record full name>`.
    TopicRecordName,
}

/// Rules for one side (key or value) of the records of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartRule {
    pub level: Level,
    pub subject_strategy: SubjectStrategy,
    /// Whether a null key/value (a tombstone) passes. Defaults to true.
    pub allow_null: bool,
}

impl Default for PartRule {
    fn default() -> Self {
        Self {
            level: Level::None,
            subject_strategy: SubjectStrategy::TopicName,
            allow_null: true,
        }
    }
}

/// `enforce` rejects bad records; `audit` logs and counts them but forwards anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Enforce,
    Audit,
}

/// What a rule selects topics by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicMatch {
    Topic(String),
    Prefix(String),
    Regex(String),
}

/// The `match:` map of a rule: exactly one of `topic`, `prefix`, `regex`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchConfig {
    pub topic: Option<String>,
    pub prefix: Option<String>,
    pub regex: Option<String>,
}

impl MatchConfig {
    /// The single selector, or `None` when zero or several are set.
    pub fn selector(&self) -> Option<TopicMatch> {
        match (&self.topic, &self.prefix, &self.regex) {
            (Some(t), None, None) => Some(TopicMatch::Topic(t.clone())),
            (None, Some(p), None) => Some(TopicMatch::Prefix(p.clone())),
            (None, None, Some(r)) => Some(TopicMatch::Regex(r.clone())),
            _ => None,
        }
    }
}

/// The checks applied to a topic's records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleBody {
    pub key: PartRule,
    pub value: PartRule,
    pub mode: Mode,
}

impl RuleBody {
    /// True when neither keys nor values are checked.
    pub fn is_inert(&self) -> bool {
        self.key.level == Level::None && self.value.level == Level::None
    }
}

/// A rule: what it matches, then its checks (the fields of [`RuleBody`], inline; serde's
/// `flatten` cannot be combined with `deny_unknown_fields`, hence the repetition).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    #[serde(rename = "match")]
    pub matches: MatchConfig,
    #[serde(default)]
    pub key: PartRule,
    #[serde(default)]
    pub value: PartRule,
    #[serde(default)]
    pub mode: Mode,
}

impl RuleConfig {
    pub fn body(&self) -> RuleBody {
        RuleBody {
            key: self.key.clone(),
            value: self.value.clone(),
            mode: self.mode,
        }
    }
}

/// Whether a rejection fails only its partition (like a broker) or the whole request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectScope {
    #[default]
    Partition,
    Request,
}

/// What to do with an `acks=0` request holding rejected records (no response exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acks0Action {
    /// Forward only the accepted partitions; count the dropped records.
    #[default]
    Drop,
    /// Close the client connection so the producer notices.
    Close,
}

/// What to do when the registry cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryUnavailable {
    /// Answer the partition with a retriable error; nothing passes unchecked.
    #[default]
    FailClosed,
    /// Forward unchecked and count it.
    FailOpen,
}

/// The `policy:` section. Empty: every topic passes untouched.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    pub rules: Vec<RuleConfig>,
    /// Rule for topics no other rule matches.
    pub default: Option<RuleBody>,
    pub reject_scope: RejectScope,
    pub acks0: Acks0Action,
    pub registry_unavailable: RegistryUnavailable,
    /// Cap on the decompressed size of one record batch; a larger batch is rejected.
    pub max_decompressed_bytes: usize,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            default: None,
            reject_scope: RejectScope::default(),
            acks0: Acks0Action::default(),
            registry_unavailable: RegistryUnavailable::default(),
            max_decompressed_bytes: crate::records::DEFAULT_MAX_DECOMPRESSED_BYTES,
        }
    }
}

impl PolicyConfig {
    /// Set `default.key.level` (`--default-key-level`), creating the default rule if needed.
    pub fn set_default_key_level(&mut self, level: Level) {
        self.default.get_or_insert_with(RuleBody::default).key.level = level;
    }

    /// Set `default.value.level` (`--default-value-level`), creating the default rule if needed.
    pub fn set_default_value_level(&mut self, level: Level) {
        self.default
            .get_or_insert_with(RuleBody::default)
            .value
            .level = level;
    }

    /// Every problem in the section, all at once (empty when valid).
    pub fn validate(&self) -> Vec<String> {
        matcher::problems(self)
    }

    /// Compile the matcher. Fails with the same problems [`PolicyConfig::validate`] lists.
    pub fn compile(&self) -> Result<CompiledPolicy, Vec<String>> {
        CompiledPolicy::new(self)
    }
}

#[cfg(test)]
mod tests;
