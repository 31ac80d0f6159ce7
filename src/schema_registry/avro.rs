//! Avro schema parsing, validation (→ 42201) and canonical form for the registry.
//! (Compatibility slice. Contract: see `parse_avro`.)

/// A parsed, validated Avro schema as the registry stores it.
#[derive(Debug, Clone)]
pub struct ParsedAvro {
    /// Canonical text stored in `_schemas` and returned by the API (compact JSON).
    pub canonical: String,
    pub schema: apache_avro::Schema,
}

/// Why a schema is not valid Avro (answered as 422 / 42201 with this message).
#[derive(Debug, thiserror::Error)]
#[error("Invalid schema: {0}")]
pub struct InvalidSchema(pub String);

/// Parse `schema` (with the texts of the schemas it references, dependencies first).
pub fn parse_avro(schema: &str, references: &[String]) -> Result<ParsedAvro, InvalidSchema> {
    let mut all: Vec<&str> = references.iter().map(String::as_str).collect();
    all.push(schema);
    let parsed = apache_avro::Schema::parse_list(all).map_err(|e| InvalidSchema(e.to_string()))?;
    let schema_value: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| InvalidSchema(e.to_string()))?;
    let last = parsed.into_iter().last().ok_or_else(|| InvalidSchema("empty".into()))?;
    Ok(ParsedAvro { canonical: schema_value.to_string(), schema: last })
}
