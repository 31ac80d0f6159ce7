//! Avro binary-encoding validator compiled from a schema.
//!
//! [`AvroValidator::compile`] parses the schema once (with apache-avro, so it accepts exactly the
//! schemas the registry accepts) and flattens it into a program of nodes whose named-type
//! references are node indices. [`AvroValidator::validate`] walks a payload with that program,
//! checking everything apache-avro's decoder (`from_avro_datum`) would fail on, without building
//! any value: varint length and overflow, `int` range, boolean bytes, float/double/fixed widths,
//! non-negative lengths within the buffer, UTF-8 strings, enum and union indices, array/map blocks
//! (a negative count is followed by a byte size), logical types on their underlying types (uuid
//! strings must parse, uuid bytes/fixed must be 16 long, duration fixed must be 12).
//!
//! A Confluent payload is exactly one datum, so on top of the decoder's checks the validator
//! rejects trailing bytes, input that ends early where apache-avro would silently decode a
//! `null`, and nesting deeper than 256 containers (see `walk.rs`). The differential test
//! (`tests/avro_differential.rs`) checks this agreement.

mod program;
mod walk;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::sync::Arc;

use program::Program;
use walk::{Failure, Seg};

/// Why a payload does not decode, with the path of the offending value.
///
/// `path` is JSON-pointer-like: `/email`, `/items/3/name`, map entries by key (`/tags/colour`),
/// and the union branch taken in brackets after the value that holds it
/// (`/address[com.acme.Address]/city`). The root is `/`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field {path}: {message}")]
pub struct AvroError {
    pub path: String,
    pub message: String,
}

/// A schema could not be compiled into a validator.
#[derive(Debug, thiserror::Error)]
#[error("cannot compile Avro schema: {0}")]
pub struct CompileError(pub String);

/// A validator compiled once per schema id; `validate` walks bytes without allocating.
///
/// Cloning is cheap (the program is shared).
#[derive(Debug, Clone)]
pub struct AvroValidator {
    program: Arc<Program>,
}

impl AvroValidator {
    /// Compile `schema` (with the texts of referenced schemas, dependencies first).
    pub fn compile(schema: &str, references: &[String]) -> Result<Self, CompileError> {
        let program = program::compile(schema, references)?;
        Ok(AvroValidator {
            program: Arc::new(program),
        })
    }

    /// Accept iff `payload` is exactly one complete datum of the schema.
    pub fn validate(&self, payload: &[u8]) -> Result<(), AvroError> {
        self.program
            .run(payload)
            .map_err(|failure| self.render(&failure, payload))
    }

    fn render(&self, failure: &Failure, payload: &[u8]) -> AvroError {
        let mut path = String::new();
        for seg in failure.rev_path.iter().rev() {
            match *seg {
                Seg::Field(index) => {
                    let name = self
                        .program
                        .fields
                        .get(index as usize)
                        .map_or("?", |f| &f.name);
                    push_token(&mut path, name);
                }
                Seg::Item(index) => {
                    let _ = write!(path, "/{index}");
                }
                Seg::Key(start, end) => {
                    let key = payload.get(start..end).unwrap_or_default();
                    push_token(&mut path, &String::from_utf8_lossy(key));
                }
                Seg::Branch(index) => {
                    let label = self
                        .program
                        .branches
                        .get(index as usize)
                        .map_or("?", |b| &b.label);
                    let _ = write!(path, "[{label}]");
                }
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        AvroError {
            path,
            message: failure.message.clone(),
        }
    }
}

/// Append `/token`, escaped as in a JSON pointer (`~` → `~0`, `/` → `~1`).
fn push_token(path: &mut String, token: &str) {
    path.push('/');
    for c in token.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}
