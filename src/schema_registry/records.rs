//! The `_schemas` record format, byte-compatible with Confluent Schema Registry.
//!
//! Keys are compact JSON with Confluent's fixed field order (compaction depends on byte-identical
//! keys); values are written the way Confluent < 8.0 and Karapace write them (`schemaType` only for
//! non-AVRO, `references` only when non-empty, `deleted` always). Decoding is lenient: missing
//! `schemaType` means AVRO, missing `deleted` means false, SCHEMA keys with `magic` 0 or 1, null
//! and empty values (Karapace deletes) are tombstones, unknown keytypes are skipped.

use serde::{Deserialize, Serialize};

use super::compat::CompatibilityLevel;
use crate::registry::SchemaType;

/// A schema reference: `name` is what the referring schema calls it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// Registry modes (`mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    Readwrite,
    Readonly,
    Import,
}

/// The value of a SCHEMA record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaValue {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    #[serde(
        rename = "schemaType",
        default = "avro",
        skip_serializing_if = "is_avro"
    )]
    pub schema_type: SchemaType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    pub schema: String,
    #[serde(default)]
    pub deleted: bool,
}

fn avro() -> SchemaType {
    SchemaType::Avro
}

fn is_avro(t: &SchemaType) -> bool {
    *t == SchemaType::Avro
}

/// One decoded `_schemas` record. `None` values are deletions (tombstone or empty bytes).
#[derive(Debug, Clone, PartialEq)]
pub enum LogRecord {
    Schema {
        subject: String,
        version: i32,
        value: Option<SchemaValue>,
    },
    /// `subject: None` is the global config.
    Config {
        subject: Option<String>,
        level: Option<CompatibilityLevel>,
    },
    Mode {
        subject: Option<String>,
        mode: Option<Mode>,
    },
    DeleteSubject {
        subject: String,
        version: i32,
    },
    ClearSubject {
        subject: String,
    },
    Noop,
}

/// Why a record could not be decoded; such records are skipped by the reader.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("record has no key")]
    MissingKey,
    #[error("record key is not valid JSON: {0}")]
    BadKey(serde_json::Error),
    #[error("unknown keytype {0:?}")]
    UnknownKeytype(String),
    #[error("{keytype} record value is not valid: {source}")]
    BadValue {
        keytype: &'static str,
        source: serde_json::Error,
    },
    #[error("{keytype} key lacks {field}")]
    MissingField {
        keytype: &'static str,
        field: &'static str,
    },
}

#[derive(Deserialize)]
struct RawKey {
    keytype: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    version: Option<i32>,
}

#[derive(Serialize, Deserialize)]
struct ConfigValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(rename = "compatibilityLevel", alias = "compatibility")]
    compatibility_level: CompatibilityLevel,
}

#[derive(Serialize, Deserialize)]
struct ModeValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    mode: Mode,
}

#[derive(Serialize, Deserialize)]
struct DeleteSubjectValue {
    subject: String,
    version: i32,
}

#[derive(Serialize)]
struct ClearSubjectValue<'a> {
    subject: &'a str,
}

fn json_str(s: &str) -> String {
    // serde_json escapes exactly what Jackson escapes for the strings we accept (quotes,
    // backslash, control characters); non-ASCII is written as raw UTF-8 by both.
    serde_json::Value::String(s.to_owned()).to_string()
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_str)
}

impl LogRecord {
    /// The record key, byte-identical to Confluent's.
    pub fn key_bytes(&self) -> Vec<u8> {
        let key = match self {
            LogRecord::Schema {
                subject, version, ..
            } => format!(
                r#"{{"keytype":"SCHEMA","subject":{},"version":{version},"magic":1}}"#,
                json_str(subject)
            ),
            LogRecord::Config { subject, .. } => format!(
                r#"{{"keytype":"CONFIG","subject":{},"magic":0}}"#,
                json_opt(subject.as_deref())
            ),
            LogRecord::Mode { subject, .. } => format!(
                r#"{{"keytype":"MODE","subject":{},"magic":0}}"#,
                json_opt(subject.as_deref())
            ),
            LogRecord::DeleteSubject { subject, .. } => format!(
                r#"{{"keytype":"DELETE_SUBJECT","subject":{},"magic":0}}"#,
                json_str(subject)
            ),
            LogRecord::ClearSubject { subject } => format!(
                r#"{{"keytype":"CLEAR_SUBJECT","subject":{},"magic":0}}"#,
                json_str(subject)
            ),
            LogRecord::Noop => r#"{"keytype":"NOOP","magic":0}"#.to_owned(),
        };
        key.into_bytes()
    }

    /// The record value; `None` is a tombstone.
    pub fn value_bytes(&self) -> Option<Vec<u8>> {
        let json = match self {
            LogRecord::Schema { value, .. } => serde_json::to_vec(value.as_ref()?),
            LogRecord::Config { subject, level } => serde_json::to_vec(&ConfigValue {
                subject: subject.clone(),
                compatibility_level: (*level)?,
            }),
            LogRecord::Mode { subject, mode } => serde_json::to_vec(&ModeValue {
                subject: subject.clone(),
                mode: (*mode)?,
            }),
            LogRecord::DeleteSubject { subject, version } => {
                serde_json::to_vec(&DeleteSubjectValue {
                    subject: subject.clone(),
                    version: *version,
                })
            }
            LogRecord::ClearSubject { subject } => {
                serde_json::to_vec(&ClearSubjectValue { subject })
            }
            LogRecord::Noop => return None,
        };
        // Serializing these plain structs cannot fail; an empty value would read as a delete.
        json.ok()
    }

    /// Decode a record read from `_schemas`.
    pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<LogRecord, RecordError> {
        let key: RawKey = serde_json::from_slice(key.ok_or(RecordError::MissingKey)?)
            .map_err(RecordError::BadKey)?;
        // Karapace writes an empty byte string where Confluent writes a null tombstone.
        let value = value.filter(|v| !v.is_empty());
        match key.keytype.as_str() {
            "SCHEMA" => {
                let subject = need(key.subject, "SCHEMA", "subject")?;
                let version = need(key.version, "SCHEMA", "version")?;
                let value = parse_opt(value, "SCHEMA")?;
                Ok(LogRecord::Schema {
                    subject,
                    version,
                    value,
                })
            }
            "CONFIG" => {
                let v: Option<ConfigValue> = parse_opt(value, "CONFIG")?;
                Ok(LogRecord::Config {
                    subject: key.subject,
                    level: v.map(|v| v.compatibility_level),
                })
            }
            "MODE" => {
                let v: Option<ModeValue> = parse_opt(value, "MODE")?;
                Ok(LogRecord::Mode {
                    subject: key.subject,
                    mode: v.map(|v| v.mode),
                })
            }
            "DELETE_SUBJECT" => decode_delete_subject(key.subject, value),
            "CLEAR_SUBJECT" => Ok(LogRecord::ClearSubject {
                subject: need(key.subject, "CLEAR_SUBJECT", "subject")?,
            }),
            "NOOP" => Ok(LogRecord::Noop),
            other => Err(RecordError::UnknownKeytype(other.to_owned())),
        }
    }
}

fn decode_delete_subject(
    subject: Option<String>,
    value: Option<&[u8]>,
) -> Result<LogRecord, RecordError> {
    let subject = need(subject, "DELETE_SUBJECT", "subject")?;
    match parse_opt::<DeleteSubjectValue>(value, "DELETE_SUBJECT")? {
        Some(v) => Ok(LogRecord::DeleteSubject {
            subject,
            version: v.version,
        }),
        // A tombstone on a DELETE_SUBJECT key only compacts the marker away.
        None => Ok(LogRecord::Noop),
    }
}

fn need<T>(v: Option<T>, keytype: &'static str, field: &'static str) -> Result<T, RecordError> {
    v.ok_or(RecordError::MissingField { keytype, field })
}

fn parse_opt<T: serde::de::DeserializeOwned>(
    value: Option<&[u8]>,
    keytype: &'static str,
) -> Result<Option<T>, RecordError> {
    value
        .map(|v| {
            serde_json::from_slice(v).map_err(|source| RecordError::BadValue { keytype, source })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_value(deleted: bool) -> SchemaValue {
        SchemaValue {
            subject: "user-events-value".into(),
            version: 1,
            id: 3,
            schema_type: SchemaType::Avro,
            references: vec![],
            schema: r#"{"type":"string"}"#.into(),
            deleted,
        }
    }

    #[test]
    fn keys_are_byte_identical_to_confluent() {
        let cases = [
            (
                LogRecord::Schema {
                    subject: "user-events-value".into(),
                    version: 1,
                    value: None,
                },
                r#"{"keytype":"SCHEMA","subject":"user-events-value","version":1,"magic":1}"#,
            ),
            (
                LogRecord::Config {
                    subject: None,
                    level: None,
                },
                r#"{"keytype":"CONFIG","subject":null,"magic":0}"#,
            ),
            (
                LogRecord::Config {
                    subject: Some("s".into()),
                    level: None,
                },
                r#"{"keytype":"CONFIG","subject":"s","magic":0}"#,
            ),
            (
                LogRecord::Mode {
                    subject: Some("s".into()),
                    mode: None,
                },
                r#"{"keytype":"MODE","subject":"s","magic":0}"#,
            ),
            (
                LogRecord::DeleteSubject {
                    subject: "s".into(),
                    version: 3,
                },
                r#"{"keytype":"DELETE_SUBJECT","subject":"s","magic":0}"#,
            ),
            (
                LogRecord::ClearSubject {
                    subject: "s".into(),
                },
                r#"{"keytype":"CLEAR_SUBJECT","subject":"s","magic":0}"#,
            ),
            (LogRecord::Noop, r#"{"keytype":"NOOP","magic":0}"#),
        ];
        for (record, key) in cases {
            assert_eq!(String::from_utf8(record.key_bytes()).unwrap(), key);
        }
    }

    #[test]
    fn subject_with_quote_is_escaped_like_jackson() {
        let r = LogRecord::DeleteSubject {
            subject: "a\"b\\c\nd".into(),
            version: 1,
        };
        assert_eq!(
            String::from_utf8(r.key_bytes()).unwrap(),
            r#"{"keytype":"DELETE_SUBJECT","subject":"a\"b\\c\nd","magic":0}"#
        );
    }

    #[test]
    fn values_match_confluent_format() {
        let r = LogRecord::Schema {
            subject: "user-events-value".into(),
            version: 1,
            value: Some(schema_value(false)),
        };
        assert_eq!(
            String::from_utf8(r.value_bytes().unwrap()).unwrap(),
            r#"{"subject":"user-events-value","version":1,"id":3,"schema":"{\"type\":\"string\"}","deleted":false}"#
        );
        let mut json = schema_value(true);
        json.schema_type = SchemaType::Json;
        json.references = vec![Reference {
            name: "n".into(),
            subject: "r".into(),
            version: 2,
        }];
        let r = LogRecord::Schema {
            subject: "user-events-value".into(),
            version: 1,
            value: Some(json),
        };
        assert_eq!(
            String::from_utf8(r.value_bytes().unwrap()).unwrap(),
            r#"{"subject":"user-events-value","version":1,"id":3,"schemaType":"JSON","references":[{"name":"n","subject":"r","version":2}],"schema":"{\"type\":\"string\"}","deleted":true}"#
        );
        let c = LogRecord::Config {
            subject: Some("s".into()),
            level: Some(CompatibilityLevel::FullTransitive),
        };
        assert_eq!(
            c.value_bytes().unwrap(),
            br#"{"subject":"s","compatibilityLevel":"FULL_TRANSITIVE"}"#
        );
        let g = LogRecord::Config {
            subject: None,
            level: Some(CompatibilityLevel::None),
        };
        assert_eq!(
            g.value_bytes().unwrap(),
            br#"{"compatibilityLevel":"NONE"}"#
        );
        let m = LogRecord::Mode {
            subject: Some("s".into()),
            mode: Some(Mode::Readonly),
        };
        assert_eq!(
            m.value_bytes().unwrap(),
            br#"{"subject":"s","mode":"READONLY"}"#
        );
        let d = LogRecord::DeleteSubject {
            subject: "s".into(),
            version: 3,
        };
        assert_eq!(d.value_bytes().unwrap(), br#"{"subject":"s","version":3}"#);
        assert_eq!(LogRecord::Noop.value_bytes(), None);
    }

    #[test]
    fn encode_decode_round_trip() {
        let records = [
            LogRecord::Schema {
                subject: "s".into(),
                version: 1,
                value: Some(schema_value(false)),
            },
            LogRecord::Schema {
                subject: "s".into(),
                version: 1,
                value: None,
            },
            LogRecord::Config {
                subject: None,
                level: Some(CompatibilityLevel::Forward),
            },
            LogRecord::Mode {
                subject: Some("x".into()),
                mode: Some(Mode::Import),
            },
            LogRecord::DeleteSubject {
                subject: "s".into(),
                version: 4,
            },
            LogRecord::ClearSubject {
                subject: "s".into(),
            },
            LogRecord::Noop,
        ];
        for r in records {
            let key = r.key_bytes();
            let value = r.value_bytes();
            assert_eq!(LogRecord::decode(Some(&key), value.as_deref()).unwrap(), r);
        }
    }

    #[test]
    fn lenient_decoding() {
        // Old Confluent: magic 0 on a SCHEMA key, no schemaType, no deleted.
        let key = br#"{"keytype":"SCHEMA","subject":"s","version":2,"magic":0}"#;
        let value = br#"{"subject":"s","version":2,"id":7,"schema":"\"int\""}"#;
        let LogRecord::Schema { value: Some(v), .. } =
            LogRecord::decode(Some(key), Some(value)).unwrap()
        else {
            panic!("not a schema record");
        };
        assert_eq!(
            (v.id, v.schema_type, v.deleted),
            (7, SchemaType::Avro, false)
        );
        // Karapace delete: empty bytes.
        let r = LogRecord::decode(Some(key), Some(b"")).unwrap();
        assert_eq!(
            r,
            LogRecord::Schema {
                subject: "s".into(),
                version: 2,
                value: None
            }
        );
        // Other field orders and extra fields are accepted.
        let key = br#"{"magic":1,"subject":"s","keytype":"SCHEMA","version":2}"#;
        let value = br#"{"schema":"\"int\"","id":7,"md5":"x","ruleSet":null,"version":2,"subject":"s","schemaType":"AVRO"}"#;
        assert!(matches!(
            LogRecord::decode(Some(key), Some(value)).unwrap(),
            LogRecord::Schema { value: Some(_), .. }
        ));
        // Legacy config value without subject.
        let key = br#"{"keytype":"CONFIG","subject":"s","magic":0}"#;
        let r = LogRecord::decode(Some(key), Some(br#"{"compatibilityLevel":"FULL"}"#)).unwrap();
        assert_eq!(
            r,
            LogRecord::Config {
                subject: Some("s".into()),
                level: Some(CompatibilityLevel::Full)
            }
        );
    }

    #[test]
    fn unknown_and_broken_records_are_errors_not_panics() {
        let ctx = br#"{"keytype":"CONTEXT","tenant":"default","context":".ctx","magic":0}"#;
        assert!(matches!(
            LogRecord::decode(Some(ctx), Some(b"{}")),
            Err(RecordError::UnknownKeytype(_))
        ));
        assert!(LogRecord::decode(None, Some(b"{}")).is_err());
        assert!(LogRecord::decode(Some(b"\xff\x00"), None).is_err());
        let key = br#"{"keytype":"SCHEMA","subject":"s","magic":1}"#;
        assert!(LogRecord::decode(Some(key), None).is_err());
        let key = br#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#;
        assert!(LogRecord::decode(Some(key), Some(b"[1,2")).is_err());
    }
}
