//! The registry's own view of an Avro schema: just what validation and schema resolution need.
//!
//! Named types are kept once, by full name, in [`AvroModel::named`]; every use of a named type
//! (including the definition site) is a [`Node::Named`] holding that full name. This keeps
//! recursive schemas finite and lets the resolver track visited (reader, writer) name pairs.

use std::collections::HashMap;
use std::fmt;

/// A parsed schema: its root node plus every named type it can reach (references included).
#[derive(Debug, Clone, Default)]
pub struct AvroModel {
    pub root: Node,
    /// Named types by full name (`namespace.name`, or `name` in the null namespace).
    pub named: HashMap<String, Named>,
}

impl AvroModel {
    /// The named type `full_name`; every `Node::Named` of a parsed model has one.
    pub fn lookup(&self, full_name: &str) -> Option<&Named> {
        self.named.get(full_name)
    }
}

/// One position in a schema.
#[derive(Debug, Clone)]
pub enum Node {
    Primitive {
        kind: Primitive,
        logical: Option<Logical>,
    },
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Vec<Node>),
    /// A record, enum or fixed, by full name.
    Named(String),
}

impl Default for Node {
    fn default() -> Self {
        Node::Primitive {
            kind: Primitive::Null,
            logical: None,
        }
    }
}

/// The eight Avro primitive types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
}

impl Primitive {
    /// The primitive named `name`, if `name` is one of the eight primitive type names.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Primitive::Null,
            "boolean" => Primitive::Boolean,
            "int" => Primitive::Int,
            "long" => Primitive::Long,
            "float" => Primitive::Float,
            "double" => Primitive::Double,
            "bytes" => Primitive::Bytes,
            "string" => Primitive::String,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Primitive::Null => "null",
            Primitive::Boolean => "boolean",
            Primitive::Int => "int",
            Primitive::Long => "long",
            Primitive::Float => "float",
            Primitive::Double => "double",
            Primitive::Bytes => "bytes",
            Primitive::String => "string",
        }
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A logical type annotation. Only `decimal` takes part in resolution (its precision and
/// scale must match, per the specification); the others resolve by their underlying type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logical {
    Decimal { precision: u64, scale: u64 },
    Other(String),
}

/// A named type definition.
#[derive(Debug, Clone)]
pub enum Named {
    Record(RecordDef),
    Enum(EnumDef),
    Fixed(FixedDef),
}

impl Named {
    pub fn full_name(&self) -> &str {
        match self {
            Named::Record(r) => &r.name,
            Named::Enum(e) => &e.name,
            Named::Fixed(f) => &f.name,
        }
    }

    /// Full names of the aliases (relative aliases already qualified with the namespace).
    pub fn aliases(&self) -> &[String] {
        match self {
            Named::Record(r) => &r.aliases,
            Named::Enum(e) => &e.aliases,
            Named::Fixed(f) => &f.aliases,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Named::Record(_) => "record",
            Named::Enum(_) => "enum",
            Named::Fixed(_) => "fixed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RecordDef {
    pub name: String,
    pub aliases: Vec<String>,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub aliases: Vec<String>,
    pub node: Node,
    pub default: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub aliases: Vec<String>,
    pub symbols: Vec<String>,
    pub default: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FixedDef {
    pub name: String,
    pub aliases: Vec<String>,
    pub size: u64,
    pub logical: Option<Logical>,
}

/// The last dot-separated component of a full name.
pub fn short_name(full_name: &str) -> &str {
    full_name.rsplit('.').next().unwrap_or(full_name)
}
