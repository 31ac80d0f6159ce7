//! Avro schema parsing, validation (→ 42201) and canonical form for the registry.
//!
//! [`parse_avro`] reads the document twice: once into the registry's own [`AvroModel`]
//! (validation the registry owns, and the input of the compatibility checks in
//! [`super::compat`]), and once with `apache_avro::Schema::parse_str_with_list`, whose result the
//! payload validators use. A schema is accepted only when both accept it.
//!
//! Canonical form: see [`canonical`]: compact JSON in submitted attribute order, so the same
//! schema sent with other whitespace or escapes maps to the same stored text and id.

mod canonical;
mod defaults;
pub mod model;
mod parser;

#[cfg(test)]
mod tests;

pub use model::AvroModel;

/// A parsed, validated Avro schema as the registry stores it.
#[derive(Debug, Clone)]
pub struct ParsedAvro {
    /// Canonical text stored in `_schemas` and returned by the API (compact JSON).
    pub canonical: String,
    /// The subject's schema as apache-avro reads it (named types from references appear as
    /// `Schema::Ref`; resolve them with [`ParsedAvro::referenced`]).
    pub schema: apache_avro::Schema,
    /// apache-avro schemas of the references, in the order given to [`parse_avro`] (repeated
    /// texts once).
    pub referenced: Vec<apache_avro::Schema>,
    /// The registry's model of the schema (references' named types included).
    pub model: AvroModel,
}

/// Why a schema is not valid Avro (answered as 422 / 42201 with this message).
#[derive(Debug, thiserror::Error)]
#[error("Invalid schema: {0}")]
pub struct InvalidSchema(pub String);

/// Parse `schema` (with the texts of the schemas it references, dependencies first).
///
/// Errors name the reason and, where there is one, the path: e.g.
/// `default 'abc' for field /fields/age is not a valid int`.
pub fn parse_avro(schema: &str, references: &[String]) -> Result<ParsedAvro, InvalidSchema> {
    parse_with(parser::Parser::default(), schema, references)
}

/// [`parse_avro`] for a schema read back from `_schemas`: the log is authoritative, and another
/// registry may have stored it under looser default-value rules, so defaults are not checked
/// (everything else is, and apache-avro still checks defaults its own way).
pub fn parse_avro_stored(schema: &str, references: &[String]) -> Result<ParsedAvro, InvalidSchema> {
    let mut parser = parser::Parser::default();
    parser.trust_defaults = true;
    parse_with(parser, schema, references)
}

fn parse_with(
    mut parser: parser::Parser,
    schema: &str,
    references: &[String],
) -> Result<ParsedAvro, InvalidSchema> {
    // A dependency shared by several references may be listed more than once; one copy
    // defines its names.
    let mut unique: Vec<&String> = Vec::with_capacity(references.len());
    for text in references {
        if !unique.contains(&text) {
            unique.push(text);
        }
    }
    for (index, text) in unique.iter().enumerate() {
        let value =
            parse_json(text).map_err(|e| InvalidSchema(format!("reference {index}: {e}")))?;
        parser
            .parse_document(&value)
            .map_err(|e| InvalidSchema(format!("reference {index}: {e}")))?;
    }
    let document = parse_json(schema).map_err(InvalidSchema)?;
    let root = parser.parse_document(&document).map_err(InvalidSchema)?;

    // `parse_list` takes named schemas only; this also accepts a primitive, array, map or
    // union as the subject's schema.
    let (schema, referenced) = apache_avro::Schema::parse_str_with_list(schema, &unique)
        .map_err(|e| InvalidSchema(format!("rejected by the Avro parser: {e}")))?;

    Ok(ParsedAvro {
        canonical: canonical::canonical_text(&document),
        schema,
        referenced,
        model: AvroModel {
            root,
            named: parser.named,
        },
    })
}

fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))
}
