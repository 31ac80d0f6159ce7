//! Registry operations: register, lookup and compatibility checks here; deletes, config and
//! mode in [`admin`]. Each write is a [`Plan`] computed from the caught-up state.
//!
//! What is checked per schema type: AVRO is parsed, canonicalised and checked for compatibility
//! at the configured level; JSON Schema is only checked to be well-formed JSON (stored compact)
//! and PROTOBUF to be non-empty (stored as sent); neither gets compatibility checks yet, so any
//! JSON/PROTOBUF version is accepted after the previous one as long as the type is the same.

use serde::Deserialize;

use super::EmbeddedRegistry;
use super::api_error::ApiError;
use super::avro::{ParsedAvro, parse_avro};
use super::compat::{CompatibilityLevel, check_compatibility};
use super::records::{LogRecord, Mode, Reference, SchemaValue};
use super::state::{State, StoredSchema, VersionInfo};
use crate::registry::SchemaType;

pub mod admin;

/// A proposed write: records to produce, the answer if they win, and how to tell they won.
pub enum Plan<T> {
    /// Nothing to write (e.g. an idempotent re-registration).
    Done(T),
    Write {
        records: Vec<LogRecord>,
        result: T,
        won: Box<dyn Fn(&State) -> bool + Send>,
    },
}

/// The body of register, lookup and compatibility requests (unknown fields are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SchemaRequest {
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(rename = "schemaType", default)]
    pub schema_type: Option<String>,
    #[serde(default)]
    pub references: Option<Vec<Reference>>,
    #[serde(default)]
    pub id: Option<i32>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// A validated request schema: what would be stored, plus the parsed Avro for checks.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub content: StoredSchema,
    pub avro: Option<ParsedAvro>,
}

/// Where a registered or found schema lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub id: i32,
    pub version: i32,
}

/// The answer of a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compatibility {
    pub is_compatible: bool,
    pub messages: Vec<String>,
}

/// Confluent's invalid subjects: empty, control characters, or the reserved markers.
pub fn check_subject(subject: &str) -> Result<(), ApiError> {
    if subject.is_empty()
        || subject.chars().any(char::is_control)
        || subject == "__GLOBAL"
        || subject == "__EMPTY"
    {
        return Err(ApiError::invalid_subject(subject));
    }
    Ok(())
}

fn parse_schema_type(name: Option<&str>) -> Result<SchemaType, ApiError> {
    match name.map(str::to_ascii_uppercase).as_deref() {
        None | Some("AVRO") => Ok(SchemaType::Avro),
        Some("JSON") => Ok(SchemaType::Json),
        Some("PROTOBUF") => Ok(SchemaType::Protobuf),
        Some(other) => Err(ApiError::invalid_schema(format!(
            "Invalid schema type {other}; valid types are AVRO, JSON and PROTOBUF"
        ))),
    }
}

/// Validate and canonicalise `req` against the references known to `state`.
pub fn prepare(state: &State, req: &SchemaRequest) -> Result<Prepared, ApiError> {
    let schema_type = parse_schema_type(req.schema_type.as_deref())?;
    let text = req
        .schema
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_schema("Empty schema"))?;
    let references = req.references.clone().unwrap_or_default();
    let ref_texts = state.resolve_references(&references).map_err(|r| {
        ApiError::invalid_schema(format!(
            "Invalid schema references: subject '{}' version {} (name '{}') not found",
            r.subject, r.version, r.name
        ))
    })?;
    let (schema, avro) = match schema_type {
        SchemaType::Avro => {
            let parsed = parse_avro(text, &ref_texts).map_err(ApiError::invalid_schema)?;
            (parsed.canonical.clone(), Some(parsed))
        }
        SchemaType::Json => {
            let value: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| ApiError::invalid_schema(format!("Invalid JSON schema: {e}")))?;
            if !(value.is_object() || value.is_boolean()) {
                return Err(ApiError::invalid_schema(
                    "Invalid JSON schema: must be an object or a boolean",
                ));
            }
            (value.to_string(), None)
        }
        SchemaType::Protobuf => (text.to_owned(), None),
    };
    Ok(Prepared {
        content: StoredSchema {
            schema_type,
            schema,
            references,
        },
        avro,
    })
}

/// The level in force for `subject`: its own, else global, else the server default.
pub fn effective_level(
    state: &State,
    subject: &str,
    default: CompatibilityLevel,
) -> CompatibilityLevel {
    state
        .config(Some(subject))
        .or_else(|| state.config(None))
        .unwrap_or(default)
}

fn is_transitive(level: CompatibilityLevel) -> bool {
    matches!(
        level,
        CompatibilityLevel::BackwardTransitive
            | CompatibilityLevel::ForwardTransitive
            | CompatibilityLevel::FullTransitive
    )
}

/// Check `new` against `against` (oldest first) under `level`; messages name every problem.
pub fn check_against(
    state: &State,
    level: CompatibilityLevel,
    new: &Prepared,
    against: &[VersionInfo],
) -> Vec<String> {
    if level == CompatibilityLevel::None {
        return Vec::new();
    }
    let mut existing = Vec::new();
    for info in against {
        let Some(old) = state.schema(info.id) else {
            continue;
        };
        if old.schema_type != new.content.schema_type {
            return vec![format!(
                "Incompatible schema type: {:?} cannot follow {:?}",
                new.content.schema_type, old.schema_type
            )];
        }
        if old.schema_type != SchemaType::Avro {
            continue;
        }
        let refs = state
            .resolve_references(&old.references)
            .unwrap_or_default();
        match parse_avro(&old.schema, &refs) {
            Ok(parsed) => existing.push(parsed),
            Err(e) => tracing::warn!(id = info.id, error = %e, "stored schema does not parse"),
        }
    }
    match &new.avro {
        Some(avro) if !existing.is_empty() => check_compatibility(level, avro, &existing),
        _ => Vec::new(),
    }
}

/// The versions a new schema is checked against under `level`: all live ones for transitive
/// levels, else the latest live one.
fn versions_to_check(state: &State, subject: &str, level: CompatibilityLevel) -> Vec<VersionInfo> {
    let live: Vec<VersionInfo> = state
        .visible_versions(subject, false)
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    if is_transitive(level) {
        live
    } else {
        live.last().copied().into_iter().collect()
    }
}

fn live_version_with(
    state: &State,
    subject: &str,
    content: &StoredSchema,
    deleted: bool,
) -> Option<Registered> {
    state
        .visible_versions(subject, deleted)
        .into_iter()
        .rev()
        .find(|(_, v)| state.schema(v.id) == Some(content))
        .map(|(version, v)| Registered { id: v.id, version })
}

impl EmbeddedRegistry {
    /// `POST /subjects/{s}/versions`.
    pub async fn register(
        &self,
        subject: &str,
        req: SchemaRequest,
    ) -> Result<Registered, ApiError> {
        check_subject(subject)?;
        let default = self.default_level();
        self.write(|state| plan_register(state, subject, &req, default))
            .await
    }

    /// `POST /subjects/{s}`: the version of `subject` holding exactly this schema.
    pub fn lookup(
        &self,
        subject: &str,
        req: &SchemaRequest,
        deleted: bool,
    ) -> Result<(Registered, StoredSchema), ApiError> {
        lookup_in(&self.state(), subject, req, deleted)
    }

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`; `version` `None` checks per level.
    pub fn check(
        &self,
        subject: &str,
        version: Option<super::api::VersionId>,
        req: &SchemaRequest,
        verbose: bool,
    ) -> Result<Compatibility, ApiError> {
        check_in(
            &self.state(),
            self.default_level(),
            subject,
            version,
            req,
            verbose,
        )
    }
}

/// [`EmbeddedRegistry::lookup`] against `state` (public so the fuzz target can drive it
/// without a broker).
pub fn lookup_in(
    state: &State,
    subject: &str,
    req: &SchemaRequest,
    deleted: bool,
) -> Result<(Registered, StoredSchema), ApiError> {
    if state.visible_versions(subject, deleted).is_empty() {
        return Err(ApiError::subject_not_found(subject));
    }
    let prepared = prepare(state, req)?;
    let found = live_version_with(state, subject, &prepared.content, deleted)
        .ok_or_else(ApiError::schema_not_found)?;
    Ok((found, prepared.content))
}

/// [`EmbeddedRegistry::check`] against `state`, `default` being the server's default level
/// (public so the fuzz target can drive it without a broker).
pub fn check_in(
    state: &State,
    default: CompatibilityLevel,
    subject: &str,
    version: Option<super::api::VersionId>,
    req: &SchemaRequest,
    verbose: bool,
) -> Result<Compatibility, ApiError> {
    use super::api::VersionId;
    let level = effective_level(state, subject, default);
    let against = match version {
        None => versions_to_check(state, subject, level),
        Some(VersionId::Latest) => versions_to_check(state, subject, level)
            .last()
            .copied()
            .into_iter()
            .collect(),
        Some(VersionId::Exact(v)) => {
            let versions = state.visible_versions(subject, false);
            if versions.is_empty() {
                return Err(ApiError::subject_not_found(subject));
            }
            let info = versions
                .iter()
                .find(|(n, _)| *n == v)
                .map(|(_, info)| *info)
                .ok_or_else(|| ApiError::version_not_found(&v.to_string()))?;
            vec![info]
        }
    };
    let prepared = match prepare(state, req) {
        Ok(p) => p,
        Err(e) if verbose && e.code == 42201 => {
            return Ok(Compatibility {
                is_compatible: false,
                messages: vec![e.message],
            });
        }
        Err(e) => return Err(e),
    };
    let messages = check_against(state, level, &prepared, &against);
    Ok(Compatibility {
        is_compatible: messages.is_empty(),
        messages,
    })
}

/// The write [`EmbeddedRegistry::register`] proposes against `state` (public, hidden, so the
/// fuzz target can drive registration without a broker).
#[doc(hidden)]
pub fn plan_register(
    state: &State,
    subject: &str,
    req: &SchemaRequest,
    default: CompatibilityLevel,
) -> Result<Plan<Registered>, ApiError> {
    let mode = state.effective_mode(subject);
    if mode == Mode::Readonly {
        return Err(ApiError::operation_not_permitted(format!(
            "Subject '{subject}' is in read-only mode"
        )));
    }
    let prepared = prepare(state, req)?;
    if let Some(found) = live_version_with(state, subject, &prepared.content, false) {
        return Ok(Plan::Done(found));
    }
    let (id, version) = if mode == Mode::Import {
        import_target(state, subject, req, &prepared.content)?
    } else {
        let level = effective_level(state, subject, default);
        let messages = check_against(
            state,
            level,
            &prepared,
            &versions_to_check(state, subject, level),
        );
        if !messages.is_empty() {
            return Err(ApiError::incompatible(subject, &messages));
        }
        let next = state.next_version(subject);
        if req.version.is_some_and(|v| v != next) {
            return Err(ApiError::invalid_schema(format!(
                "Version {} is not the next version {next} of subject '{subject}'",
                req.version.unwrap_or_default()
            )));
        }
        let id = state
            .id_of(&prepared.content)
            .unwrap_or_else(|| state.next_id());
        (id, next)
    };
    Ok(schema_write(subject, version, id, prepared.content, false))
}

/// IMPORT mode: the body's id (required) and version (default next) are used as given.
fn import_target(
    state: &State,
    subject: &str,
    req: &SchemaRequest,
    content: &StoredSchema,
) -> Result<(i32, i32), ApiError> {
    let id = req
        .id
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid_schema("IMPORT mode requires a positive schema id"))?;
    if state.schema(id).is_some_and(|s| s != content) {
        return Err(ApiError::id_mismatch(format!(
            "Overwrite new schema with id {id} is not permitted."
        )));
    }
    let version = req.version.unwrap_or_else(|| state.next_version(subject));
    if version < 1 || state.version_id(subject, version).is_some() {
        return Err(ApiError::invalid_schema(format!(
            "Version {version} of subject '{subject}' already exists or is not valid"
        )));
    }
    Ok((id, version))
}

/// Write one SCHEMA record; it won when the subject/version holds that id with that flag.
pub fn schema_write(
    subject: &str,
    version: i32,
    id: i32,
    content: StoredSchema,
    deleted: bool,
) -> Plan<Registered> {
    let record = LogRecord::Schema {
        subject: subject.to_owned(),
        version,
        value: Some(SchemaValue {
            subject: subject.to_owned(),
            version,
            id,
            schema_type: content.schema_type,
            references: content.references,
            schema: content.schema,
            deleted,
        }),
    };
    let owned = subject.to_owned();
    Plan::Write {
        records: vec![record],
        result: Registered { id, version },
        won: Box::new(move |state: &State| {
            state
                .versions(&owned)
                .and_then(|v| v.get(&version))
                .is_some_and(|v| v.id == id && v.deleted == deleted)
        }),
    }
}

#[cfg(test)]
mod tests;
