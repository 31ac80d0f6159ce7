//! Registry request bodies, through the code the REST handlers run, against an in-memory state.
//!
//! The router itself needs a broker (`EmbeddedRegistry` owns a partition client), so this drives
//! what the handlers call: `api::schema_body` / `api::level_of` / `api::mode_of` for the body,
//! then `service::plan_register`, `service::lookup_in`, `service::check_in`. Writes are applied
//! the way the tailer applies them: the proposed records are encoded to `_schemas` bytes,
//! decoded again and applied to the state.
//!
//! Input: byte 0 picks the server's default compatibility level; the rest is up to 8 requests
//! separated by 0xFF (never part of a UTF-8 body). A request's first byte picks the operation
//! (bits 0–2), the subject (bits 3–4) and flags (bits 5–7); the rest is the body.
//!
//! Properties besides "no panic": every error is a 4xx with a Confluent error code; a proposed
//! write, once applied, wins (one instance, no race); a registered or found schema is then found
//! by lookup with the same id and version; a stored schema prepares again to the same content
//! (canonical form is a fixed point); a stored AVRO schema compiles in the proxy's validator.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use schemagate::registry::SchemaType;
use schemagate::schema_registry::api::{self, VersionId};
use schemagate::schema_registry::api_error::ApiError;
use schemagate::schema_registry::compat::CompatibilityLevel;
use schemagate::schema_registry::records::LogRecord;
use schemagate::schema_registry::service::{
    self, Plan, Registered, SchemaRequest, check_subject, plan_register,
};
use schemagate::schema_registry::state::{State, StoredSchema};
use schemagate::validate::avro::AvroValidator;

const SUBJECTS: [&str; 4] = ["orders-value", "orders-key", "", "__GLOBAL"];
const LEVELS: [CompatibilityLevel; 7] = [
    CompatibilityLevel::Backward,
    CompatibilityLevel::None,
    CompatibilityLevel::BackwardTransitive,
    CompatibilityLevel::Forward,
    CompatibilityLevel::ForwardTransitive,
    CompatibilityLevel::Full,
    CompatibilityLevel::FullTransitive,
];

/// With `FUZZ_STATS` set, one line per request on stderr (for `-runs=0` over a corpus: which
/// operations succeed, which error codes come back).
fn stat(line: impl FnOnce() -> String) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("FUZZ_STATS").is_some()) {
        eprintln!("STAT {}", line());
    }
}

fn client_error(e: &ApiError, what: &str) {
    stat(|| format!("{what} error {}", e.code));
    assert!(
        e.status().is_client_error() && e.code >= 400,
        "{what}: not a 4xx Confluent error: {e:?} (status {})",
        e.status()
    );
}

/// Encode, decode and apply `records` as the tailer would.
fn apply(state: &mut State, records: &[LogRecord]) {
    for record in records {
        let key = record.key_bytes();
        let value = record.value_bytes();
        let decoded = LogRecord::decode(Some(&key), value.as_deref())
            .unwrap_or_else(|e| panic!("proposed record {record:?} does not decode: {e}"));
        assert_eq!(&decoded, record, "proposed record changes through _schemas");
        state.apply(decoded);
    }
}

fn request_for(content: &StoredSchema) -> SchemaRequest {
    SchemaRequest {
        schema: Some(content.schema.clone()),
        schema_type: Some(
            match content.schema_type {
                SchemaType::Avro => "AVRO",
                SchemaType::Json => "JSON",
                SchemaType::Protobuf => "PROTOBUF",
            }
            .to_owned(),
        ),
        references: Some(content.references.clone()),
        id: None,
        version: None,
    }
}

/// A stored schema is a fixed point of `prepare` and, for AVRO, compiles for enforcement.
fn check_stored(state: &State, id: i32) {
    let stored = state
        .schema(id)
        .expect("registered id has a schema")
        .clone();
    let again = service::prepare(state, &request_for(&stored))
        .unwrap_or_else(|e| panic!("stored schema {stored:?} no longer prepares: {e:?}"));
    assert_eq!(again.content, stored, "canonical form is not a fixed point");
    if stored.schema_type == SchemaType::Avro {
        let refs = state
            .resolve_references(&stored.references)
            .expect("stored references resolve");
        if let Err(e) = AvroValidator::compile(&stored.schema, &refs) {
            panic!("registry stored {stored:?} but the validator cannot compile it: {e}");
        }
    }
}

fn found_by_lookup(state: &State, subject: &str, req: &SchemaRequest, at: &Registered) {
    let (found, _) = service::lookup_in(state, subject, req, false)
        .unwrap_or_else(|e| panic!("registered schema not found by lookup: {e:?}"));
    assert_eq!(
        &found, at,
        "lookup finds another version than register gave"
    );
}

fn register(state: &mut State, subject: &str, body: &Bytes, default: CompatibilityLevel) {
    let req = match api::schema_body(body) {
        Ok(req) => req,
        Err(e) => return client_error(&e, "register body"),
    };
    if let Err(e) = check_subject(subject) {
        return client_error(&e, "register subject");
    }
    match plan_register(state, subject, &req, default) {
        Err(e) => client_error(&e, "register"),
        Ok(Plan::Done(at)) => {
            stat(|| "register existing".to_owned());
            found_by_lookup(state, subject, &req, &at);
        }
        Ok(Plan::Write {
            records,
            result,
            won,
        }) => {
            stat(|| "register new".to_owned());
            apply(state, &records);
            assert!(won(state), "a write with no competitor lost: {records:?}");
            check_stored(state, result.id);
            found_by_lookup(state, subject, &req, &result);
        }
    }
}

fn lookup(state: &State, subject: &str, body: &Bytes, deleted: bool) {
    let req = match api::schema_body(body) {
        Ok(req) => req,
        Err(e) => return client_error(&e, "lookup body"),
    };
    match service::lookup_in(state, subject, &req, deleted) {
        Ok((found, content)) => {
            stat(|| "lookup found".to_owned());
            assert_eq!(state.version_id(subject, found.version), Some(found.id));
            assert_eq!(state.schema(found.id), Some(&content));
        }
        Err(e) => client_error(&e, "lookup"),
    }
}

fn check(state: &State, subject: &str, body: &Bytes, flags: u8, default: CompatibilityLevel) {
    let req = match api::schema_body(body) {
        Ok(req) => req,
        Err(e) => return client_error(&e, "compatibility body"),
    };
    let version = match flags & 3 {
        0 => None,
        1 => Some(VersionId::Latest),
        n => Some(VersionId::Exact(i32::from(n) - 1)),
    };
    let verbose = flags & 4 != 0;
    match service::check_in(state, default, subject, version, &req, verbose) {
        Ok(answer) => {
            stat(|| format!("compatibility answer {}", answer.is_compatible));
            assert_eq!(answer.is_compatible, answer.messages.is_empty());
        }
        Err(e) => client_error(&e, "compatibility"),
    }
}

fn settings(state: &mut State, subject: Option<&str>, body: &Bytes, mode: bool) {
    if let Some(Err(e)) = subject.map(check_subject) {
        return client_error(&e, "settings subject");
    }
    let subject = subject.map(str::to_owned);
    let record = if mode {
        match api::mode_of(body) {
            Ok(mode) => LogRecord::Mode {
                subject,
                mode: Some(mode),
            },
            Err(e) => return client_error(&e, "mode body"),
        }
    } else {
        match api::level_of(body) {
            Ok(level) => LogRecord::Config {
                subject,
                level: Some(level),
            },
            Err(e) => return client_error(&e, "config body"),
        }
    };
    stat(|| format!("settings applied mode={mode}"));
    apply(state, &[record]);
}

fuzz_target!(|data: &[u8]| {
    let Some((&level, rest)) = data.split_first() else {
        return;
    };
    let default = LEVELS[usize::from(level) % LEVELS.len()];
    let mut state = State::default();
    for request in rest.split(|&b| b == 0xFF).take(8) {
        let Some((&op, body)) = request.split_first() else {
            continue;
        };
        let subject = SUBJECTS[usize::from(op >> 3) & 3];
        let flags = op >> 5;
        let body = Bytes::copy_from_slice(body);
        match op & 7 {
            0 | 1 => register(&mut state, subject, &body, default),
            2 => lookup(&state, subject, &body, flags & 1 != 0),
            3 => check(&state, subject, &body, flags, default),
            4 => settings(&mut state, None, &body, false),
            5 => settings(&mut state, Some(subject), &body, false),
            6 => settings(&mut state, None, &body, true),
            _ => settings(&mut state, Some(subject), &body, true),
        }
    }
});
