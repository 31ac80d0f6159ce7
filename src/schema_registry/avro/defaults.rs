//! Default values checked against their type, as the Avro specification's "Default values"
//! table and Java Avro's `Schema.isValidDefault` do.
//!
//! A union's default must match the union's first branch. Floats and doubles also accept the
//! strings `NaN`, `Infinity` and `-Infinity`. A fixed default is a string of exactly `size`
//! characters (each standing for one byte, code points 0–255). A record default is an object in
//! which every field without its own default is present.

use std::collections::HashMap;

use serde_json::Value;

use super::model::{Named, Node, Primitive};

/// Ok when `value` is a valid default for `node`; otherwise the name of the expected type,
/// e.g. `int` or `null (the first type of the union)`.
pub(super) fn check_default(
    named: &HashMap<String, Named>,
    node: &Node,
    value: &Value,
) -> Result<(), String> {
    match node {
        Node::Union(branches) => match branches.first() {
            Some(first) => check_default(named, first, value)
                .map_err(|expected| format!("{expected} (the first type of its union)")),
            None => Err("value of an empty union".to_owned()),
        },
        Node::Primitive { kind, .. } => {
            if primitive_accepts(*kind, value) {
                Ok(())
            } else {
                Err(kind.name().to_owned())
            }
        }
        Node::Array(items) => match value {
            Value::Array(values) => values
                .iter()
                .try_for_each(|v| check_default(named, items, v))
                .map_err(|expected| format!("array of {expected}")),
            _ => Err("array".to_owned()),
        },
        Node::Map(values) => match value {
            Value::Object(entries) => entries
                .values()
                .try_for_each(|v| check_default(named, values, v))
                .map_err(|expected| format!("map of {expected}")),
            _ => Err("map".to_owned()),
        },
        Node::Named(full) => match named.get(full) {
            Some(def) => check_named(named, def, value),
            None => Err(format!("{full} (undefined)")),
        },
    }
}

fn check_named(named: &HashMap<String, Named>, def: &Named, value: &Value) -> Result<(), String> {
    match def {
        Named::Enum(e) => match value {
            Value::String(s) if e.symbols.iter().any(|sym| sym == s) => Ok(()),
            _ => Err(format!("symbol of enum {}", e.name)),
        },
        Named::Fixed(f) => match value {
            Value::String(s) if fixed_text_fits(s, f.size) => Ok(()),
            _ => Err(format!("fixed {} of size {}", f.name, f.size)),
        },
        Named::Record(r) => {
            let Value::Object(object) = value else {
                return Err(format!("record {}", r.name));
            };
            for field in &r.fields {
                let result = match (object.get(&field.name), &field.default) {
                    (Some(v), _) => check_default(named, &field.node, v),
                    (None, Some(_)) => Ok(()),
                    (None, None) => Err(format!("value for field {}", field.name)),
                };
                result.map_err(|expected| format!("record {} ({expected})", r.name))?;
            }
            Ok(())
        }
    }
}

fn primitive_accepts(kind: Primitive, value: &Value) -> bool {
    match kind {
        Primitive::Null => value.is_null(),
        Primitive::Boolean => value.is_boolean(),
        Primitive::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        Primitive::Long => value.as_i64().is_some(),
        Primitive::Float | Primitive::Double => {
            value.is_number() || matches!(value.as_str(), Some("NaN" | "Infinity" | "-Infinity"))
        }
        Primitive::Bytes => value
            .as_str()
            .is_some_and(|s| s.chars().all(|c| u32::from(c) <= 0xFF)),
        Primitive::String => value.is_string(),
    }
}

fn fixed_text_fits(text: &str, size: u64) -> bool {
    let mut count: u64 = 0;
    for c in text.chars() {
        if u32::from(c) > 0xFF {
            return false;
        }
        count += 1;
    }
    count == size
}
