//! JSON → [`AvroModel`] with the validation the registry answers 42201 for.
//!
//! Stricter than apache-avro where the specification is: names must match
//! `[A-Za-z_][A-Za-z0-9_]*`, field names and enum symbols are unique, a fixed needs a size,
//! a name is defined once, a union holds no union and no two branches of the same type, and every
//! default is valid for its type (for a union: for its first branch). Defaults are checked after
//! the whole document is read so that recursive and forward-declared types are complete.
//! apache-avro 0.22 (checked) accepts a union default matching a later branch, a name defined
//! twice, a fixed default of the wrong length and a type named after a primitive; these checks
//! refuse them.
//!
//! Paths in messages name fields rather than positions: `/fields/address/fields/zip`,
//! `/fields/tags/items`, `/fields/m/values`; union branches add nothing.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::defaults::check_default;
use super::model::{EnumDef, FieldDef, FixedDef, Logical, Named, Node, Primitive, RecordDef};

/// A default waiting to be checked once every named type is known.
struct PendingDefault {
    path: String,
    node: Node,
    value: Value,
}

/// Reads one or more schema documents into a shared name table.
#[derive(Default)]
pub(super) struct Parser {
    pub(super) named: HashMap<String, Named>,
    pending: Vec<PendingDefault>,
    /// Skip the default-value checks (schemas read back from the log).
    pub(super) trust_defaults: bool,
}

/// `/`-less root is shown as `/`.
pub(super) fn display_path(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

impl Parser {
    /// Parse one document (a referenced schema or the subject's schema) and check its defaults.
    pub(super) fn parse_document(&mut self, value: &Value) -> Result<Node, String> {
        let node = self.parse_node(value, "", "")?;
        let pending = std::mem::take(&mut self.pending);
        if self.trust_defaults {
            return Ok(node);
        }
        for pending in pending {
            check_default(&self.named, &pending.node, &pending.value)
                .map_err(|expected| bad_default(&pending, &expected))?;
        }
        Ok(node)
    }

    fn parse_node(&mut self, value: &Value, ns: &str, path: &str) -> Result<Node, String> {
        match value {
            Value::String(name) => self.resolve_name(name, ns, path),
            Value::Array(branches) => self.parse_union(branches, ns, path),
            Value::Object(map) => self.parse_object(map, ns, path),
            other => Err(format!(
                "{other} at {} is not a schema (expected a type name, an object or a union array)",
                display_path(path)
            )),
        }
    }

    fn resolve_name(&self, name: &str, ns: &str, path: &str) -> Result<Node, String> {
        if let Some(kind) = Primitive::from_name(name) {
            return Ok(Node::Primitive {
                kind,
                logical: None,
            });
        }
        let qualified = qualify(name, ns);
        if self.named.contains_key(&qualified) {
            return Ok(Node::Named(qualified));
        }
        // An unqualified reference may also name a type in the null namespace.
        if self.named.contains_key(name) {
            return Ok(Node::Named(name.to_owned()));
        }
        Err(format!("unknown type '{name}' at {}", display_path(path)))
    }

    fn parse_union(&mut self, branches: &[Value], ns: &str, path: &str) -> Result<Node, String> {
        let mut nodes = Vec::with_capacity(branches.len());
        let mut seen = HashSet::new();
        for branch in branches {
            let node = self.parse_node(branch, ns, path)?;
            let key = match &node {
                Node::Union(_) => {
                    return Err(format!("union at {} contains a union", display_path(path)));
                }
                Node::Primitive { kind, .. } => kind.name().to_owned(),
                Node::Array(_) => "array".to_owned(),
                Node::Map(_) => "map".to_owned(),
                Node::Named(full) => full.clone(),
            };
            if !seen.insert(key.clone()) {
                return Err(format!(
                    "union at {} contains {key} more than once",
                    display_path(path)
                ));
            }
            nodes.push(node);
        }
        Ok(Node::Union(nodes))
    }

    fn parse_object(
        &mut self,
        map: &Map<String, Value>,
        ns: &str,
        path: &str,
    ) -> Result<Node, String> {
        let type_name = match map.get("type") {
            Some(Value::String(t)) => t.as_str(),
            // apache-avro and some tools accept `{"type": {...}}`; treat it as the inner schema.
            Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                return self.parse_node(inner, ns, path);
            }
            Some(other) => {
                return Err(format!(
                    "\"type\" {other} at {} is not a type name",
                    display_path(path)
                ));
            }
            None => return Err(format!("missing \"type\" at {}", display_path(path))),
        };
        match type_name {
            "record" | "error" => self.parse_record(map, ns, path),
            "enum" => self.parse_enum(map, ns, path),
            "fixed" => self.parse_fixed(map, ns, path),
            "array" => {
                let items = required(map, "items", path)?;
                let sub = format!("{path}/items");
                Ok(Node::Array(Box::new(self.parse_node(items, ns, &sub)?)))
            }
            "map" => {
                let values = required(map, "values", path)?;
                let sub = format!("{path}/values");
                Ok(Node::Map(Box::new(self.parse_node(values, ns, &sub)?)))
            }
            other => match Primitive::from_name(other) {
                Some(kind) => Ok(Node::Primitive {
                    kind,
                    logical: logical_of(map, kind),
                }),
                None => self.resolve_name(other, ns, path),
            },
        }
    }

    /// Full name and aliases of a named type; registers nothing.
    fn names_of(
        &self,
        map: &Map<String, Value>,
        ns: &str,
        kind: &str,
        path: &str,
    ) -> Result<(String, Vec<String>), String> {
        let name = match map.get("name") {
            Some(Value::String(n)) => n.as_str(),
            _ => return Err(format!("{kind} at {} has no \"name\"", display_path(path))),
        };
        let own_ns = match map.get("namespace") {
            Some(Value::String(n)) => n.as_str(),
            Some(Value::Null) | None => ns,
            Some(other) => {
                return Err(format!(
                    "namespace {other} of {kind} {name} is not a string"
                ));
            }
        };
        let full = qualify(name, own_ns);
        check_full_name(&full, &format!("{kind} name"))?;
        if Primitive::from_name(short_name_of(&full)).is_some() {
            return Err(format!(
                "{kind} may not be named after the primitive type {full}"
            ));
        }
        if self.named.contains_key(&full) {
            return Err(format!("type {full} is defined more than once"));
        }
        let type_ns = namespace_of(&full);
        // Aliases need not be valid names (Avro 1.12 specification): an alias may keep an old,
        // invalid name readable.
        let aliases = string_list(map, "aliases", &format!("aliases of {full}"))?
            .into_iter()
            .map(|alias| qualify(&alias, type_ns))
            .collect::<Vec<_>>();
        Ok((full, aliases))
    }

    fn parse_record(
        &mut self,
        map: &Map<String, Value>,
        ns: &str,
        path: &str,
    ) -> Result<Node, String> {
        let (full, aliases) = self.names_of(map, ns, "record", path)?;
        let Some(Value::Array(raw_fields)) = map.get("fields") else {
            return Err(format!("record {full} has no \"fields\" array"));
        };
        // Registered before its fields so that fields may refer to the record itself.
        let placeholder = RecordDef {
            name: full.clone(),
            aliases,
            fields: Vec::new(),
        };
        self.named.insert(full.clone(), Named::Record(placeholder));
        let type_ns = namespace_of(&full).to_owned();
        let mut fields: Vec<FieldDef> = Vec::with_capacity(raw_fields.len());
        for raw in raw_fields {
            let field = self.parse_field(raw, &type_ns, path, &full)?;
            if fields.iter().any(|f| f.name == field.name) {
                return Err(format!(
                    "record {full} has more than one field named {}",
                    field.name
                ));
            }
            fields.push(field);
        }
        if let Some(Named::Record(record)) = self.named.get_mut(&full) {
            record.fields = fields;
        }
        Ok(Node::Named(full))
    }

    fn parse_field(
        &mut self,
        raw: &Value,
        ns: &str,
        path: &str,
        record: &str,
    ) -> Result<FieldDef, String> {
        let Value::Object(map) = raw else {
            return Err(format!("field {raw} of record {record} is not an object"));
        };
        let name = match map.get("name") {
            Some(Value::String(n)) => n.clone(),
            _ => return Err(format!("a field of record {record} has no \"name\"")),
        };
        check_name(&name, &format!("field name in record {record}"))?;
        let field_path = format!("{path}/fields/{name}");
        let ty = map
            .get("type")
            .ok_or_else(|| format!("field {field_path} has no \"type\""))?;
        let node = self.parse_node(ty, ns, &field_path)?;
        let aliases = string_list(map, "aliases", &format!("aliases of field {field_path}"))?;
        let default = map.get("default").cloned();
        if let Some(value) = &default {
            self.pending.push(PendingDefault {
                path: field_path,
                node: node.clone(),
                value: value.clone(),
            });
        }
        Ok(FieldDef {
            name,
            aliases,
            node,
            default,
        })
    }

    fn parse_enum(
        &mut self,
        map: &Map<String, Value>,
        ns: &str,
        path: &str,
    ) -> Result<Node, String> {
        let (full, aliases) = self.names_of(map, ns, "enum", path)?;
        if !matches!(map.get("symbols"), Some(Value::Array(_))) {
            return Err(format!("enum {full} has no \"symbols\" array"));
        }
        let symbols = string_list(map, "symbols", &format!("symbols of enum {full}"))?;
        let mut seen = HashSet::new();
        for symbol in &symbols {
            check_name(symbol, &format!("symbol of enum {full}"))?;
            if !seen.insert(symbol.as_str()) {
                return Err(format!(
                    "enum {full} has the symbol {symbol} more than once"
                ));
            }
        }
        let default = match map.get("default") {
            None => None,
            Some(Value::String(s)) if seen.contains(s.as_str()) => Some(s.clone()),
            Some(other) => {
                return Err(format!(
                    "default {} of enum {full} is not one of its symbols",
                    show(other)
                ));
            }
        };
        let def = EnumDef {
            name: full.clone(),
            aliases,
            symbols,
            default,
        };
        self.named.insert(full.clone(), Named::Enum(def));
        Ok(Node::Named(full))
    }

    fn parse_fixed(
        &mut self,
        map: &Map<String, Value>,
        ns: &str,
        path: &str,
    ) -> Result<Node, String> {
        let (full, aliases) = self.names_of(map, ns, "fixed", path)?;
        let size = map.get("size").and_then(Value::as_u64).ok_or_else(|| {
            format!("fixed {full} has no valid \"size\" (a non-negative integer)")
        })?;
        let logical = match logical_name(map) {
            Some("decimal") => decimal_of(map),
            Some(other) => Some(Logical::Other(other.to_owned())),
            None => None,
        };
        let def = FixedDef {
            name: full.clone(),
            aliases,
            size,
            logical,
        };
        self.named.insert(full.clone(), Named::Fixed(def));
        Ok(Node::Named(full))
    }
}

fn bad_default(pending: &PendingDefault, expected: &str) -> String {
    format!(
        "default {} for field {} is not a valid {expected}",
        show(&pending.value),
        display_path(&pending.path)
    )
}

/// A JSON value as shown in messages: strings in single quotes, the rest as compact JSON.
pub(super) fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn required<'m>(map: &'m Map<String, Value>, key: &str, path: &str) -> Result<&'m Value, String> {
    map.get(key)
        .ok_or_else(|| format!("{key:?} missing at {}", display_path(path)))
}

fn string_list(map: &Map<String, Value>, key: &str, what: &str) -> Result<Vec<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("{what}: {other} is not a string")),
            })
            .collect(),
        Some(other) => Err(format!("{what}: {other} is not an array of strings")),
    }
}

fn logical_name(map: &Map<String, Value>) -> Option<&str> {
    map.get("logicalType").and_then(Value::as_str)
}

/// Logical type of a primitive. Like Java Avro, an invalid annotation (e.g. `decimal` on an
/// `int`, or a decimal without a valid precision) is ignored rather than rejected.
fn logical_of(map: &Map<String, Value>, kind: Primitive) -> Option<Logical> {
    match logical_name(map)? {
        "decimal" if kind == Primitive::Bytes => decimal_of(map),
        "decimal" => None,
        other => Some(Logical::Other(other.to_owned())),
    }
}

fn decimal_of(map: &Map<String, Value>) -> Option<Logical> {
    let precision = map.get("precision").and_then(Value::as_u64)?;
    let scale = match map.get("scale") {
        None => 0,
        Some(v) => v.as_u64()?,
    };
    (precision > 0 && scale <= precision).then_some(Logical::Decimal { precision, scale })
}

fn qualify(name: &str, ns: &str) -> String {
    if name.contains('.') || ns.is_empty() {
        name.to_owned()
    } else {
        format!("{ns}.{name}")
    }
}

fn namespace_of(full: &str) -> &str {
    full.rsplit_once('.').map_or("", |(ns, _)| ns)
}

fn short_name_of(full: &str) -> &str {
    full.rsplit_once('.').map_or(full, |(_, name)| name)
}

/// A simple name per the specification: `[A-Za-z_][A-Za-z0-9_]*`.
pub(super) fn check_name(name: &str, what: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if valid_start && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} '{name}' (must match [A-Za-z_][A-Za-z0-9_]*)"
        ))
    }
}

fn check_full_name(full: &str, what: &str) -> Result<(), String> {
    full.split('.').try_for_each(|part| check_name(part, what)).map_err(|_| {
        format!("invalid {what} '{full}' (each dot-separated part must match [A-Za-z_][A-Za-z0-9_]*)")
    })
}
