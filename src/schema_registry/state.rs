//! The registry state rebuilt from `_schemas`, and the deterministic rules that apply records.
//!
//! Every instance applies the single-partition log in order with these rules, so all instances
//! converge without a leader:
//! - a SCHEMA record whose id is already bound to different content is ignored;
//! - a SCHEMA record for a subject/version that exists with a different id is ignored;
//! - a SCHEMA record for an existing subject/version with the same id only updates `deleted`;
//! - a SCHEMA tombstone removes the version (and the id when no version uses it any more);
//! - DELETE_SUBJECT marks every version ≤ its version deleted;
//! - CLEAR_SUBJECT drops the subject's soft-deleted versions;
//! - CONFIG and MODE are last-write-wins; a tombstone removes the setting.
//!
//! `max_id` never decreases, so an id freed by a permanent delete is never handed out again.

use std::collections::BTreeMap;

use super::compat::CompatibilityLevel;
use super::records::{LogRecord, Mode, Reference, SchemaValue};
use crate::registry::SchemaType;

/// The content an id is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchema {
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<Reference>,
}

/// One version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: i32,
    pub deleted: bool,
}

/// In-memory registry state. `None` keys in `configs`/`modes` are the global settings.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct State {
    schemas: BTreeMap<i32, StoredSchema>,
    subjects: BTreeMap<String, BTreeMap<i32, VersionInfo>>,
    configs: BTreeMap<Option<String>, CompatibilityLevel>,
    modes: BTreeMap<Option<String>, Mode>,
    max_id: i32,
}

/// Deepest reference chain followed when resolving references (guards against cycles).
const MAX_REFERENCE_DEPTH: usize = 32;

impl State {
    /// Apply one record; returns whether it changed the state.
    pub fn apply(&mut self, record: LogRecord) -> bool {
        match record {
            LogRecord::Schema {
                subject,
                version,
                value: Some(value),
            } => self.apply_schema(&subject, version, value),
            LogRecord::Schema {
                subject,
                version,
                value: None,
            } => self.remove_version(&subject, version),
            LogRecord::Config { subject, level } => match level {
                Some(level) => self.configs.insert(subject, level) != Some(level),
                None => self.configs.remove(&subject).is_some(),
            },
            LogRecord::Mode { subject, mode } => match mode {
                Some(mode) => self.modes.insert(subject, mode) != Some(mode),
                None => self.modes.remove(&subject).is_some(),
            },
            LogRecord::DeleteSubject { subject, version } => {
                self.soft_delete_up_to(&subject, version)
            }
            LogRecord::ClearSubject { subject } => self.clear_deleted(&subject),
            LogRecord::Noop => false,
        }
    }

    fn apply_schema(&mut self, key_subject: &str, key_version: i32, value: SchemaValue) -> bool {
        // The key is what compaction and deletes address; a value disagreeing with it is corrupt.
        if value.subject != key_subject || value.version != key_version || value.version < 1 {
            return false;
        }
        let content = StoredSchema {
            schema_type: value.schema_type,
            schema: value.schema,
            references: value.references,
        };
        if self.schemas.get(&value.id).is_some_and(|s| *s != content) {
            return false;
        }
        let versions = self.subjects.entry(value.subject).or_default();
        match versions.get_mut(&value.version) {
            Some(existing) if existing.id != value.id => return false,
            Some(existing) => {
                let changed = existing.deleted != value.deleted;
                existing.deleted = value.deleted;
                return changed;
            }
            None => {
                versions.insert(
                    value.version,
                    VersionInfo {
                        id: value.id,
                        deleted: value.deleted,
                    },
                );
            }
        }
        self.schemas.entry(value.id).or_insert(content);
        self.max_id = self.max_id.max(value.id);
        true
    }

    fn remove_version(&mut self, subject: &str, version: i32) -> bool {
        let Some(versions) = self.subjects.get_mut(subject) else {
            return false;
        };
        let Some(removed) = versions.remove(&version) else {
            return false;
        };
        if versions.is_empty() {
            self.subjects.remove(subject);
        }
        if !self.id_in_use(removed.id) {
            self.schemas.remove(&removed.id);
        }
        true
    }

    fn soft_delete_up_to(&mut self, subject: &str, version: i32) -> bool {
        let Some(versions) = self.subjects.get_mut(subject) else {
            return false;
        };
        let mut changed = false;
        for info in versions.range_mut(..=version).map(|(_, v)| v) {
            changed |= !info.deleted;
            info.deleted = true;
        }
        changed
    }

    fn clear_deleted(&mut self, subject: &str) -> bool {
        let Some(versions) = self.subjects.get(subject) else {
            return false;
        };
        let deleted: Vec<i32> = versions
            .iter()
            .filter(|(_, v)| v.deleted)
            .map(|(version, _)| *version)
            .collect();
        let mut changed = false;
        for version in deleted {
            changed |= self.remove_version(subject, version);
        }
        changed
    }

    fn id_in_use(&self, id: i32) -> bool {
        self.subjects
            .values()
            .any(|versions| versions.values().any(|v| v.id == id))
    }

    /// The content bound to `id` (soft-deleted versions keep their id resolvable).
    pub fn schema(&self, id: i32) -> Option<&StoredSchema> {
        self.schemas.get(&id)
    }

    /// Every version of `subject`, including soft-deleted ones.
    pub fn versions(&self, subject: &str) -> Option<&BTreeMap<i32, VersionInfo>> {
        self.subjects.get(subject)
    }

    /// The subject's versions, live only unless `deleted`.
    pub fn visible_versions(&self, subject: &str, deleted: bool) -> Vec<(i32, VersionInfo)> {
        self.subjects
            .get(subject)
            .map(|versions| {
                versions
                    .iter()
                    .filter(|(_, v)| deleted || !v.deleted)
                    .map(|(n, v)| (*n, *v))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Subject names (sorted); a subject counts as deleted only when all its versions are.
    pub fn subject_names(&self, deleted: bool) -> Vec<String> {
        self.subjects
            .iter()
            .filter(|(_, versions)| deleted || versions.values().any(|v| !v.deleted))
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// The lowest id bound to exactly this content, if any.
    pub fn id_of(&self, content: &StoredSchema) -> Option<i32> {
        self.schemas
            .iter()
            .find(|(_, s)| *s == content)
            .map(|(id, _)| *id)
    }

    /// The id a new schema would get: one above every id ever seen.
    pub fn next_id(&self) -> i32 {
        self.max_id.saturating_add(1)
    }

    /// The version a new registration under `subject` gets (soft-deleted versions count).
    pub fn next_version(&self, subject: &str) -> i32 {
        self.subjects
            .get(subject)
            .and_then(|v| v.keys().next_back())
            .map_or(1, |v| v.saturating_add(1))
    }

    /// `(subject, version)` pairs whose schema id is `id`.
    pub fn subject_versions_of(&self, id: i32, deleted: bool) -> Vec<(String, i32)> {
        let mut out = Vec::new();
        for (subject, versions) in &self.subjects {
            for (version, info) in versions {
                if info.id == id && (deleted || !info.deleted) {
                    out.push((subject.clone(), *version));
                }
            }
        }
        out
    }

    /// Ids of schemas (bound to a version that is live, or any version if `deleted`) that
    /// reference `subject`/`version`.
    pub fn referenced_by(&self, subject: &str, version: i32, deleted: bool) -> Vec<i32> {
        let mut ids: Vec<i32> = self
            .subjects
            .values()
            .flat_map(|versions| versions.values())
            .filter(|v| deleted || !v.deleted)
            .filter(|v| {
                self.schemas.get(&v.id).is_some_and(|s| {
                    s.references
                        .iter()
                        .any(|r| r.subject == subject && r.version == version)
                })
            })
            .map(|v| v.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The compatibility level set for `subject` (`None` = global), if any.
    pub fn config(&self, subject: Option<&str>) -> Option<CompatibilityLevel> {
        self.configs.get(&subject.map(str::to_owned)).copied()
    }

    /// The mode set for `subject` (`None` = global), if any.
    pub fn mode(&self, subject: Option<&str>) -> Option<Mode> {
        self.modes.get(&subject.map(str::to_owned)).copied()
    }

    /// The effective mode of `subject`: its own, else global, else READWRITE.
    pub fn effective_mode(&self, subject: &str) -> Mode {
        self.mode(Some(subject))
            .or_else(|| self.mode(None))
            .unwrap_or(Mode::Readwrite)
    }

    /// Texts of every schema `references` needs, transitively, dependencies first, each once.
    /// `Err` names the first reference that does not resolve.
    pub fn resolve_references(&self, references: &[Reference]) -> Result<Vec<String>, Reference> {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        self.resolve_into(references, 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn resolve_into(
        &self,
        references: &[Reference],
        depth: usize,
        seen: &mut Vec<i32>,
        out: &mut Vec<String>,
    ) -> Result<(), Reference> {
        for reference in references {
            let schema = self
                .version_id(&reference.subject, reference.version)
                .and_then(|id| self.schemas.get(&id).map(|s| (id, s)));
            let Some((id, schema)) = schema else {
                return Err(reference.clone());
            };
            if depth >= MAX_REFERENCE_DEPTH || seen.contains(&id) {
                continue;
            }
            seen.push(id);
            self.resolve_into(&schema.references, depth + 1, seen, out)?;
            out.push(schema.schema.clone());
        }
        Ok(())
    }

    /// The id of `subject`/`version` (soft-deleted included); `-1` means the latest live one.
    pub fn version_id(&self, subject: &str, version: i32) -> Option<i32> {
        let versions = self.subjects.get(subject)?;
        if version == -1 {
            return versions.values().rev().find(|v| !v.deleted).map(|v| v.id);
        }
        versions.get(&version).map(|v| v.id)
    }
}

#[cfg(test)]
mod tests;
