//! The canonical text the registry stores, returns and compares.
//!
//! Choice: compact JSON (`serde_json` with `preserve_order`) of the submitted document, keeping
//! every attribute (docs, defaults, aliases, logical types, custom properties) in submitted
//! order. This is what Karapace stores and close to Confluent's `Schema.toString()`, which is
//! also compact but reorders attributes. Whitespace and JSON escapes therefore never change the
//! canonical text. One normalisation more, as Java Avro does: a schema object that holds only
//! `"type"` naming a primitive (`{"type":"string"}`) is written as the bare name (`"string"`).
//! Only schema positions are rewritten (root, union branches, field types, `items`, `values`),
//! never default values or custom properties.

use serde_json::{Map, Value};

use super::model::Primitive;

/// The canonical compact text of a parsed schema document.
pub(super) fn canonical_text(document: &Value) -> String {
    normalise_schema(document).to_string()
}

fn normalise_schema(value: &Value) -> Value {
    match value {
        Value::Array(branches) => Value::Array(branches.iter().map(normalise_schema).collect()),
        Value::Object(map) => normalise_object(map),
        other => other.clone(),
    }
}

fn normalise_object(map: &Map<String, Value>) -> Value {
    if map.len() == 1
        && let Some(Value::String(name)) = map.get("type")
        && Primitive::from_name(name).is_some()
    {
        return Value::String(name.clone());
    }
    let type_name = map.get("type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        let rewritten = match (type_name, key.as_str()) {
            (_, "type") if !value.is_string() => normalise_schema(value),
            ("record" | "error", "fields") => normalise_fields(value),
            ("array", "items") | ("map", "values") => normalise_schema(value),
            _ => value.clone(),
        };
        out.insert(key.clone(), rewritten);
    }
    Value::Object(out)
}

fn normalise_fields(fields: &Value) -> Value {
    let Value::Array(fields) = fields else {
        return fields.clone();
    };
    let rewritten = fields.iter().map(|field| match field {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if key == "type" {
                        normalise_schema(value)
                    } else {
                        value.clone()
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        other => other.clone(),
    });
    Value::Array(rewritten.collect())
}
