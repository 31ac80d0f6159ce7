//! Reader-vs-writer resolution over two [`AvroModel`]s, collecting every incompatibility.

use std::collections::HashSet;

use super::Incompatibility;
use crate::schema_registry::avro::model::{
    AvroModel, EnumDef, FixedDef, Logical, Named, Node, Primitive, RecordDef, short_name,
};

/// Walks a reader and a writer schema side by side. Each (reader record, writer record) pair
/// is checked once: a pair met again (recursion, or the same type in two places) counts as
/// compatible there, which terminates recursive schemas and reports each problem once.
pub(super) struct Resolver<'a> {
    reader: &'a AvroModel,
    writer: &'a AvroModel,
    checked_records: HashSet<(&'a str, &'a str)>,
    found: Vec<Incompatibility>,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(reader: &'a AvroModel, writer: &'a AvroModel) -> Self {
        Resolver {
            reader,
            writer,
            checked_records: HashSet::new(),
            found: Vec::new(),
        }
    }

    pub(super) fn run(mut self) -> Vec<Incompatibility> {
        let (reader, writer) = (self.reader, self.writer);
        self.resolve(&reader.root, &writer.root, "");
        self.found
    }

    fn push(&mut self, path: String, message: String) {
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        self.found.push(Incompatibility { path, message });
    }

    fn resolve(&mut self, reader: &'a Node, writer: &'a Node, path: &str) {
        match (reader, writer) {
            (_, Node::Union(branches)) => self.resolve_writer_union(reader, branches, path),
            (Node::Union(branches), _) => match self.pick_branch(branches, writer) {
                Some(branch) => self.resolve(branch, writer, path),
                None => {
                    let message = format!(
                        "writer type {} does not match any type in reader {}",
                        describe(self.writer, writer),
                        describe(self.reader, reader)
                    );
                    self.push(format!("{path}/type"), message);
                }
            },
            _ => self.resolve_plain(reader, writer, path),
        }
    }

    /// Every branch the writer may have written must be readable.
    fn resolve_writer_union(&mut self, reader: &'a Node, branches: &'a [Node], path: &str) {
        for branch in branches {
            let target = match reader {
                Node::Union(reader_branches) => self.pick_branch(reader_branches, branch),
                _ => self.matches(reader, branch).then_some(reader),
            };
            match target {
                Some(target) => self.resolve(target, branch, path),
                None => {
                    let relation = if matches!(reader, Node::Union(_)) {
                        "has no matching type in reader"
                    } else {
                        "does not match reader type"
                    };
                    let message = format!(
                        "writer union branch {} {relation} {}",
                        describe(self.writer, branch),
                        describe(self.reader, reader)
                    );
                    self.push(format!("{path}/type"), message);
                }
            }
        }
    }

    fn resolve_plain(&mut self, reader: &'a Node, writer: &'a Node, path: &str) {
        match (reader, writer) {
            (
                Node::Primitive {
                    kind: r,
                    logical: r_logical,
                },
                Node::Primitive {
                    kind: w,
                    logical: w_logical,
                },
            ) => {
                if r == w || promotable(*w, *r) {
                    self.check_decimal(r_logical.as_ref(), w_logical.as_ref(), path);
                } else {
                    let message = format!("writer type {w} cannot be promoted to reader type {r}");
                    self.push(format!("{path}/type"), message);
                }
            }
            (Node::Array(r), Node::Array(w)) => self.resolve(r, w, &format!("{path}/items")),
            (Node::Map(r), Node::Map(w)) => self.resolve(r, w, &format!("{path}/values")),
            (Node::Named(r), Node::Named(w)) => self.resolve_named(r, w, path),
            _ => {
                let message = format!(
                    "writer type {} does not match reader type {}",
                    describe(self.writer, writer),
                    describe(self.reader, reader)
                );
                self.push(format!("{path}/type"), message);
            }
        }
    }

    fn resolve_named(&mut self, reader_name: &'a str, writer_name: &'a str, path: &str) {
        let (Some(reader), Some(writer)) = (
            self.reader.lookup(reader_name),
            self.writer.lookup(writer_name),
        ) else {
            let message = format!("named type {reader_name} or {writer_name} is not defined");
            self.push(format!("{path}/type"), message);
            return;
        };
        if reader.kind_name() != writer.kind_name() {
            let message = format!(
                "writer type {} {writer_name} does not match reader type {} {reader_name}",
                writer.kind_name(),
                reader.kind_name()
            );
            self.push(format!("{path}/type"), message);
            return;
        }
        if !names_match(reader, writer) {
            let kind = reader.kind_name();
            let message = format!(
                "writer {kind} {writer_name} does not match reader {kind} {reader_name} \
                 (names differ and no reader alias names {writer_name})"
            );
            self.push(format!("{path}/name"), message);
            return;
        }
        match (reader, writer) {
            (Named::Record(r), Named::Record(w)) => {
                let first_visit = self.checked_records.insert((reader_name, writer_name));
                if first_visit {
                    self.resolve_record(r, w, path);
                }
            }
            (Named::Enum(r), Named::Enum(w)) => self.resolve_enum(r, w, path),
            (Named::Fixed(r), Named::Fixed(w)) => self.resolve_fixed(r, w, path),
            _ => {}
        }
    }

    fn resolve_record(&mut self, reader: &'a RecordDef, writer: &'a RecordDef, path: &str) {
        for field in &reader.fields {
            let field_path = format!("{path}/fields/{}", field.name);
            let in_writer = writer
                .fields
                .iter()
                .find(|w| w.name == field.name)
                .or_else(|| {
                    writer
                        .fields
                        .iter()
                        .find(|w| field.aliases.contains(&w.name))
                });
            match in_writer {
                Some(w) => self.resolve(&field.node, &w.node, &field_path),
                None if field.default.is_none() => {
                    let message = "reader field without default is missing in writer".to_owned();
                    self.push(field_path, message);
                }
                None => {}
            }
        }
    }

    fn resolve_enum(&mut self, reader: &EnumDef, writer: &EnumDef, path: &str) {
        if reader.default.is_some() {
            return;
        }
        for symbol in &writer.symbols {
            if !reader.symbols.contains(symbol) {
                let message = format!(
                    "writer symbol {symbol} is missing in reader enum {} without default",
                    reader.name
                );
                self.push(format!("{path}/symbols"), message);
            }
        }
    }

    fn resolve_fixed(&mut self, reader: &FixedDef, writer: &FixedDef, path: &str) {
        if reader.size != writer.size {
            let message = format!(
                "fixed size {} in writer differs from {} in reader",
                writer.size, reader.size
            );
            self.push(format!("{path}/size"), message);
            return;
        }
        self.check_decimal(reader.logical.as_ref(), writer.logical.as_ref(), path);
    }

    /// The specification: two decimals match only with equal precision and scale.
    fn check_decimal(&mut self, reader: Option<&Logical>, writer: Option<&Logical>, path: &str) {
        if let (
            Some(Logical::Decimal {
                precision: rp,
                scale: rs,
            }),
            Some(Logical::Decimal {
                precision: wp,
                scale: ws,
            }),
        ) = (reader, writer)
            && (rp, rs) != (wp, ws)
        {
            let message = format!(
                "writer decimal({wp},{ws}) does not match reader decimal({rp},{rs}): \
                 precision and scale must be equal"
            );
            self.push(format!("{path}/type"), message);
        }
    }

    /// The reader branch a writer value resolves to: the first of the same type or name,
    /// else the first the writer's type promotes to.
    fn pick_branch(&self, branches: &'a [Node], writer: &Node) -> Option<&'a Node> {
        branches
            .iter()
            .find(|branch| self.same_type(branch, writer))
            .or_else(|| branches.iter().find(|branch| self.matches(branch, writer)))
    }

    fn same_type(&self, reader: &Node, writer: &Node) -> bool {
        match (reader, writer) {
            (Node::Primitive { kind: r, .. }, Node::Primitive { kind: w, .. }) => r == w,
            (Node::Array(_), Node::Array(_)) | (Node::Map(_), Node::Map(_)) => true,
            (Node::Named(r), Node::Named(w)) => {
                match (self.reader.lookup(r), self.writer.lookup(w)) {
                    (Some(r), Some(w)) => r.kind_name() == w.kind_name() && names_match(r, w),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// The specification's "match" (before recursing): same type, or promotable primitive.
    fn matches(&self, reader: &Node, writer: &Node) -> bool {
        match (reader, writer) {
            (Node::Primitive { kind: r, .. }, Node::Primitive { kind: w, .. }) => {
                r == w || promotable(*w, *r)
            }
            _ => self.same_type(reader, writer),
        }
    }
}

/// Names match when the unqualified names are equal (namespaces are ignored, as Java Avro's
/// `SchemaCompatibility` does) or a reader alias names the writer.
fn names_match(reader: &Named, writer: &Named) -> bool {
    let writer_full = writer.full_name();
    short_name(reader.full_name()) == short_name(writer_full)
        || reader
            .aliases()
            .iter()
            .any(|alias| alias == writer_full || short_name(alias) == short_name(writer_full))
}

/// Writer `from` data can be read as reader `to` (the specification's promotions).
fn promotable(from: Primitive, to: Primitive) -> bool {
    use Primitive::{Bytes, Double, Float, Int, Long, String};
    matches!(
        (from, to),
        (Int, Long | Float | Double)
            | (Long, Float | Double)
            | (Float, Double)
            | (String, Bytes)
            | (Bytes, String)
    )
}

/// A short description of a node for messages: `int`, `array`, `union [null, string]`,
/// `record com.example.User`.
fn describe(model: &AvroModel, node: &Node) -> String {
    match node {
        Node::Primitive { kind, .. } => kind.name().to_owned(),
        Node::Array(_) => "array".to_owned(),
        Node::Map(_) => "map".to_owned(),
        Node::Union(branches) => {
            let names: Vec<String> = branches.iter().map(|b| describe(model, b)).collect();
            format!("union [{}]", names.join(", "))
        }
        Node::Named(name) => match model.lookup(name) {
            Some(def) => format!("{} {name}", def.kind_name()),
            None => name.clone(),
        },
    }
}
