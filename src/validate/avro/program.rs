//! The flat program an [`super::AvroValidator`] runs: one [`Node`] per distinct schema node,
//! named types shared, references resolved to node indices (so recursive records are cycles in
//! the graph, not infinite trees).
//!
//! Invariants established by [`compile`]:
//! - every `NodeId` stored in a node, field or branch indexes `Program::nodes`;
//! - `Record { start, len }` and `Union { start, len }` index `fields` / `branches` in bounds;
//! - `Array { trivial_items: true }` only when the item node consumes no bytes and cannot fail,
//!   so the walker may count such items without visiting them.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::{
    DecimalSchema, EnumSchema, FixedSchema, InnerDecimalSchema, Name, NamesRef, RecordSchema,
    ResolvedSchema, UuidSchema,
};
use apache_avro::types::Value;

use super::CompileError;

/// Index of a node in [`Program::nodes`].
pub(super) type NodeId = u32;

/// One schema node, reduced to what the binary decoder needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// `bytes` holding a nested (length, bytes, scale) big-decimal encoding.
    BigDecimal,
    /// `string` that must parse as a UUID.
    UuidString,
    /// `bytes` that must be exactly 16 long.
    UuidBytes,
    /// `fixed` of `size`; apache-avro rejects every size but 16 after reading it.
    UuidFixed {
        size: usize,
    },
    Fixed {
        size: usize,
    },
    /// `duration` logical type; apache-avro rejects any size but 12 without reading.
    Duration {
        size: usize,
    },
    Enum {
        symbols: u32,
    },
    Array {
        items: NodeId,
        trivial_items: bool,
    },
    Map {
        values: NodeId,
    },
    Union {
        start: u32,
        len: u32,
    },
    Record {
        start: u32,
        len: u32,
    },
}

/// A record field: its name (for error paths) and its node.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) name: Box<str>,
    pub(super) node: NodeId,
}

/// A union branch: its label (type name or full name, for error paths) and its node.
#[derive(Debug, Clone)]
pub(super) struct Branch {
    pub(super) label: Box<str>,
    pub(super) node: NodeId,
}

/// The compiled schema.
#[derive(Debug, Clone)]
pub(super) struct Program {
    pub(super) nodes: Vec<Node>,
    pub(super) fields: Vec<Field>,
    pub(super) branches: Vec<Branch>,
    pub(super) root: NodeId,
    /// apache-avro's cap on one length (`max_allocation_bytes`), mirrored so we agree with it.
    pub(super) max_len: usize,
    /// apache-avro's cap on the items of one array (allocation cap / size of a `Value`).
    pub(super) max_array_items: usize,
    /// apache-avro's cap on the entries of one map (allocation cap / size of a `(String, Value)`).
    pub(super) max_map_entries: usize,
}

/// Parse `schema` with its references and compile it.
pub(super) fn compile(schema: &str, references: &[String]) -> Result<Program, CompileError> {
    let (root, refs) =
        Schema::parse_str_with_list(schema, references).map_err(|e| CompileError(e.to_string()))?;
    // Resolution is in order and cannot look ahead: dependencies first, the root last.
    let mut all: Vec<&Schema> = refs.iter().collect();
    all.push(&root);
    let resolved =
        ResolvedSchema::new_with_schemata(all).map_err(|e| CompileError(e.to_string()))?;
    let max_len =
        apache_avro::util::max_allocation_bytes(apache_avro::util::DEFAULT_MAX_ALLOCATION_BYTES);
    let mut compiler = Compiler {
        names: resolved.get_names(),
        named: HashMap::new(),
        program: Program {
            nodes: Vec::new(),
            fields: Vec::new(),
            branches: Vec::new(),
            root: 0,
            max_len,
            max_array_items: max_len / size_of::<Value>().max(1),
            max_map_entries: max_len / size_of::<(String, Value)>().max(1),
        },
    };
    let root_id = compiler.node(&root, None)?;
    compiler.program.root = root_id;
    compiler.mark_trivial_arrays();
    Ok(compiler.program)
}

struct Compiler<'r, 's> {
    names: &'r NamesRef<'s>,
    named: HashMap<Name, NodeId>,
    program: Program,
}

impl Compiler<'_, '_> {
    fn push(&mut self, node: Node) -> Result<NodeId, CompileError> {
        let id = NodeId::try_from(self.program.nodes.len())
            .map_err(|_| CompileError("schema has too many nodes".into()))?;
        self.program.nodes.push(node);
        Ok(id)
    }

    /// Compile `schema` seen inside namespace `ns` (the same namespace rules as apache-avro's
    /// decoder, so a reference resolves to the same definition it would).
    fn node(&mut self, schema: &Schema, ns: Option<&str>) -> Result<NodeId, CompileError> {
        let simple = match schema {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int | Schema::Date | Schema::TimeMillis => Node::Int,
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes
            | Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Bytes,
                ..
            }) => Node::Bytes,
            Schema::String => Node::String,
            Schema::BigDecimal => Node::BigDecimal,
            Schema::Uuid(UuidSchema::String) => Node::UuidString,
            Schema::Uuid(UuidSchema::Bytes) => Node::UuidBytes,
            Schema::Uuid(UuidSchema::Fixed(fixed)) => {
                return self.named_leaf(&fixed.name, ns, Node::UuidFixed { size: fixed.size });
            }
            Schema::Decimal(DecimalSchema {
                inner: InnerDecimalSchema::Fixed(fixed),
                ..
            })
            | Schema::Fixed(fixed) => {
                return self.named_leaf(&fixed.name, ns, Node::Fixed { size: fixed.size });
            }
            Schema::Duration(FixedSchema { name, size, .. }) => {
                return self.named_leaf(name, ns, Node::Duration { size: *size });
            }
            Schema::Enum(EnumSchema { name, symbols, .. }) => {
                let symbols = u32::try_from(symbols.len())
                    .map_err(|_| CompileError("enum has too many symbols".into()))?;
                return self.named_leaf(name, ns, Node::Enum { symbols });
            }
            Schema::Array(array) => {
                let id = self.push(Node::Null)?;
                let items = self.node(&array.items, ns)?;
                self.set(
                    id,
                    Node::Array {
                        items,
                        trivial_items: false,
                    },
                );
                return Ok(id);
            }
            Schema::Map(map) => {
                let id = self.push(Node::Null)?;
                let values = self.node(&map.types, ns)?;
                self.set(id, Node::Map { values });
                return Ok(id);
            }
            Schema::Union(union) => return self.union(union.variants(), ns),
            Schema::Record(record) => return self.record(record, ns),
            Schema::Ref { name } => return self.reference(name, ns),
        };
        self.push(simple)
    }

    fn set(&mut self, id: NodeId, node: Node) {
        if let Some(slot) = self.program.nodes.get_mut(id as usize) {
            *slot = node;
        }
    }

    fn named_leaf(
        &mut self,
        name: &Name,
        ns: Option<&str>,
        node: Node,
    ) -> Result<NodeId, CompileError> {
        let full = name.fully_qualified_name(ns).into_owned();
        if let Some(&id) = self.named.get(&full) {
            return Ok(id);
        }
        let id = self.push(node)?;
        self.named.insert(full, id);
        Ok(id)
    }

    fn reference(&mut self, name: &Name, ns: Option<&str>) -> Result<NodeId, CompileError> {
        let full = name.fully_qualified_name(ns).into_owned();
        if let Some(&id) = self.named.get(&full) {
            return Ok(id);
        }
        let target = *self
            .names
            .get(&full)
            .ok_or_else(|| CompileError(format!("unknown type {}", full.fullname(None))))?;
        let id = self.node(target, full.namespace())?;
        self.named.insert(full, id);
        Ok(id)
    }

    fn record(&mut self, record: &RecordSchema, ns: Option<&str>) -> Result<NodeId, CompileError> {
        let full = record.name.fully_qualified_name(ns).into_owned();
        if let Some(&id) = self.named.get(&full) {
            return Ok(id);
        }
        // Registered before its fields so a field referring back to this record closes a cycle.
        let id = self.push(Node::Null)?;
        self.named.insert(full.clone(), id);
        let mut fields = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            let node = self.node(&field.schema, full.namespace())?;
            fields.push(Field {
                name: field.name.as_str().into(),
                node,
            });
        }
        let (start, len) = append(&mut self.program.fields, fields)?;
        self.set(id, Node::Record { start, len });
        Ok(id)
    }

    fn union(&mut self, variants: &[Schema], ns: Option<&str>) -> Result<NodeId, CompileError> {
        let id = self.push(Node::Null)?;
        let mut branches = Vec::with_capacity(variants.len());
        for variant in variants {
            let node = self.node(variant, ns)?;
            branches.push(Branch {
                label: branch_label(variant, ns).into(),
                node,
            });
        }
        let (start, len) = append(&mut self.program.branches, branches)?;
        self.set(id, Node::Union { start, len });
        Ok(id)
    }

    /// Least fixpoint of "consumes no bytes and cannot fail": null, empty fixed, and records
    /// made only of such fields. Starting from "not trivial" keeps self-recursive records
    /// non-trivial, so they are walked (and stopped by the depth limit).
    fn mark_trivial_arrays(&mut self) {
        let program = &self.program;
        let mut trivial = vec![false; program.nodes.len()];
        let mut changed = true;
        while changed {
            changed = false;
            for (index, node) in program.nodes.iter().enumerate() {
                let now = match node {
                    Node::Null => true,
                    Node::Fixed { size } => *size == 0,
                    Node::Record { start, len } => program
                        .fields
                        .iter()
                        .skip(*start as usize)
                        .take(*len as usize)
                        .all(|f| trivial.get(f.node as usize).copied().unwrap_or(false)),
                    _ => false,
                };
                if let Some(slot) = trivial.get_mut(index)
                    && now != *slot
                {
                    *slot = now;
                    changed = true;
                }
            }
        }
        for node in &mut self.program.nodes {
            if let Node::Array {
                items,
                trivial_items,
            } = node
            {
                *trivial_items = trivial.get(*items as usize).copied().unwrap_or(false);
            }
        }
    }
}

fn append<T>(table: &mut Vec<T>, items: Vec<T>) -> Result<(u32, u32), CompileError> {
    let too_big = || CompileError("schema is too large".into());
    let start = u32::try_from(table.len()).map_err(|_| too_big())?;
    let len = u32::try_from(items.len()).map_err(|_| too_big())?;
    table.extend(items);
    Ok((start, len))
}

/// How a union branch is named in error paths: the full name of a named type, else the type.
fn branch_label(schema: &Schema, ns: Option<&str>) -> String {
    let name = match schema {
        Schema::Record(RecordSchema { name, .. })
        | Schema::Enum(EnumSchema { name, .. })
        | Schema::Fixed(FixedSchema { name, .. })
        | Schema::Duration(FixedSchema { name, .. })
        | Schema::Uuid(UuidSchema::Fixed(FixedSchema { name, .. }))
        | Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Fixed(FixedSchema { name, .. }),
            ..
        })
        | Schema::Ref { name } => Some(name),
        _ => None,
    };
    match name {
        Some(name) => name.fullname(ns),
        None => match schema {
            Schema::Null => "null",
            Schema::Boolean => "boolean",
            Schema::Int | Schema::Date | Schema::TimeMillis => "int",
            Schema::Float => "float",
            Schema::Double => "double",
            Schema::Bytes
            | Schema::BigDecimal
            | Schema::Uuid(UuidSchema::Bytes)
            | Schema::Decimal(_) => "bytes",
            Schema::String | Schema::Uuid(UuidSchema::String) => "string",
            Schema::Array(_) => "array",
            Schema::Map(_) => "map",
            Schema::Union(_) => "union",
            _ => "long",
        }
        .to_owned(),
    }
}
