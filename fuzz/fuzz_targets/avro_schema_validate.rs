//! Differential over arbitrary schemas: `AvroValidator::validate` must agree with apache-avro's
//! decoder made strict (whole payload used, no read past the end), as in `avro_validate`.
//!
//! Input: byte 0 = `e n n n n n n n`: the next `n` bytes (0–127) drive a schema generator, the
//! rest is the payload; with `e` set, the payload bytes instead drive a value generator whose
//! Avro encoding (written here, independently of both decoders) becomes the payload, so valid
//! encodings of deep schemas are reached too.
//!
//! Schemas: primitives, a few logical types, records (0–3 fields), enums, fixed, arrays, maps,
//! unions of non-unions, and references to named types defined earlier (recursion), at most 5
//! levels deep. A reference appears only as a union branch, array items or map values, so every
//! level of recursion costs at least one payload byte. Inputs where either side refuses the
//! schema are skipped, as are payloads our validator refuses only for nesting deeper than its
//! 256-container limit (apache-avro has none; a documented difference).
#![no_main]
#![allow(deprecated)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;

use apache_avro::Schema;
use libfuzzer_sys::fuzz_target;
use schemagate::validate::avro::AvroValidator;

const MAX_PAYLOAD: usize = 250;
const MAX_DEPTH: u32 = 5;

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// Logical types on a primitive: (JSON, primitive index in `PRIMITIVES`).
const LOGICAL: [(&str, usize); 7] = [
    (r#"{"type":"int","logicalType":"date"}"#, 2),
    (r#"{"type":"int","logicalType":"time-millis"}"#, 2),
    (r#"{"type":"long","logicalType":"timestamp-micros"}"#, 3),
    (
        r#"{"type":"long","logicalType":"local-timestamp-millis"}"#,
        3,
    ),
    (r#"{"type":"string","logicalType":"uuid"}"#, 7),
    (
        r#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#,
        6,
    ),
    (r#"{"type":"bytes","logicalType":"big-decimal"}"#, 6),
];

#[derive(Debug)]
enum Node {
    Primitive(usize),
    Logical(usize),
    Record { name: u32, fields: Vec<Node> },
    Enum { name: u32, symbols: u8 },
    Fixed { name: u32, size: u8, duration: bool },
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Vec<Node>),
    Ref(u32),
}

/// Reads bytes from a slice; zeros once it is exhausted.
struct Bytes<'a> {
    rest: &'a [u8],
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    fn below(&mut self, n: u8) -> u8 {
        self.byte() % n
    }
}

struct SchemaGen<'a> {
    bytes: Bytes<'a>,
    names: u32,
}

impl SchemaGen<'_> {
    fn name(&mut self) -> u32 {
        self.names += 1;
        self.names - 1
    }

    /// Any node but a union; `may_ref` where a reference costs a payload byte per level.
    fn node(&mut self, depth: u32, may_ref: bool) -> Node {
        let leaf_only = depth >= MAX_DEPTH;
        let pick = self.bytes.byte();
        match pick % 16 {
            k @ 0..=7 => Node::Primitive(usize::from(k)),
            8 => Node::Logical(usize::from(self.bytes.below(7))),
            9 => Node::Enum {
                name: self.name(),
                symbols: 1 + self.bytes.below(4),
            },
            10 => Node::Fixed {
                name: self.name(),
                size: self.bytes.below(17),
                duration: false,
            },
            11 => Node::Fixed {
                name: self.name(),
                size: 12,
                duration: true,
            },
            12 if may_ref && self.names > 0 => Node::Ref(u32::from(pick >> 4) % self.names),
            _ if leaf_only => Node::Primitive(usize::from(pick >> 4) % 8),
            12 | 13 => self.record(depth),
            14 => Node::Array(Box::new(self.node(depth + 1, true))),
            _ => Node::Map(Box::new(self.node(depth + 1, true))),
        }
    }

    fn record(&mut self, depth: u32) -> Node {
        let name = self.name();
        let count = self.bytes.below(4);
        let fields = (0..count).map(|_| self.field(depth + 1)).collect();
        Node::Record { name, fields }
    }

    /// A field: sometimes a union of 2–3 non-union branches.
    fn field(&mut self, depth: u32) -> Node {
        if self.bytes.below(3) == 0 {
            let count = 2 + self.bytes.below(2);
            Node::Union((0..count).map(|_| self.node(depth + 1, true)).collect())
        } else {
            self.node(depth, false)
        }
    }

    /// The top level: a union sometimes, else any node.
    fn top(&mut self) -> Node {
        if self.bytes.below(4) == 0 {
            let count = 2 + self.bytes.below(2);
            Node::Union((0..count).map(|_| self.node(1, true)).collect())
        } else {
            self.node(0, false)
        }
    }
}

fn json(node: &Node, out: &mut String) {
    let _ = match node {
        Node::Primitive(k) => write!(out, r#""{}""#, PRIMITIVES[*k]),
        Node::Logical(k) => write!(out, "{}", LOGICAL[*k].0),
        Node::Record { name, fields } => {
            let _ = write!(out, r#"{{"type":"record","name":"N{name}","fields":["#);
            for (i, field) in fields.iter().enumerate() {
                let comma = if i == 0 { "" } else { "," };
                let _ = write!(out, r#"{comma}{{"name":"f{i}","type":"#);
                json(field, out);
                out.push('}');
            }
            write!(out, "]}}")
        }
        Node::Enum { name, symbols } => {
            let list: Vec<String> = (0..*symbols).map(|i| format!(r#""S{i}""#)).collect();
            write!(
                out,
                r#"{{"type":"enum","name":"N{name}","symbols":[{}]}}"#,
                list.join(",")
            )
        }
        Node::Fixed {
            name,
            size,
            duration,
        } => {
            let logical = if *duration {
                r#","logicalType":"duration""#
            } else {
                ""
            };
            write!(
                out,
                r#"{{"type":"fixed","name":"N{name}","size":{size}{logical}}}"#
            )
        }
        Node::Array(items) => {
            out.push_str(r#"{"type":"array","items":"#);
            json(items, out);
            write!(out, "}}")
        }
        Node::Map(values) => {
            out.push_str(r#"{"type":"map","values":"#);
            json(values, out);
            write!(out, "}}")
        }
        Node::Union(branches) => {
            out.push('[');
            for (i, branch) in branches.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(branch, out);
            }
            write!(out, "]")
        }
        Node::Ref(name) => write!(out, r#""N{name}""#),
    };
}

fn named<'a>(node: &'a Node, defs: &mut HashMap<u32, &'a Node>) {
    match node {
        Node::Record { name, fields } => {
            defs.insert(*name, node);
            fields.iter().for_each(|f| named(f, defs));
        }
        Node::Enum { name, .. } | Node::Fixed { name, .. } => {
            defs.insert(*name, node);
        }
        Node::Array(inner) | Node::Map(inner) => named(inner, defs),
        Node::Union(branches) => branches.iter().for_each(|b| named(b, defs)),
        Node::Primitive(_) | Node::Logical(_) | Node::Ref(_) => {}
    }
}

/// Avro binary encoding of a value chosen by `bytes` (written here, not by either decoder).
struct Encoder<'a, 'b> {
    bytes: Bytes<'a>,
    defs: &'b HashMap<u32, &'b Node>,
    out: Vec<u8>,
}

impl Encoder<'_, '_> {
    fn long(&mut self, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            self.out.push((z as u8) | 0x80);
            z >>= 7;
        }
        self.out.push(z as u8);
    }

    fn raw(&mut self, n: usize) {
        for _ in 0..n {
            let b = self.bytes.byte();
            self.out.push(b);
        }
    }

    fn primitive(&mut self, k: usize) {
        match k {
            0 => {}
            1 => {
                let b = self.bytes.below(2);
                self.out.push(b);
            }
            2 => {
                let v = i32::from(self.bytes.byte() as i8) * 0x0101_01;
                self.long(i64::from(v));
            }
            3 => {
                let v = i64::from(self.bytes.byte() as i8) * 0x0101_0101_0101;
                self.long(v);
            }
            4 => self.raw(4),
            5 => self.raw(8),
            6 => {
                let len = self.bytes.below(6);
                self.long(i64::from(len));
                self.raw(usize::from(len));
            }
            _ => {
                let len = self.bytes.below(6);
                self.long(i64::from(len));
                for _ in 0..len {
                    let c = b'a' + self.bytes.below(26);
                    self.out.push(c);
                }
            }
        }
    }

    /// `false` when the value would nest too deep (recursive schemas).
    fn value(&mut self, node: &Node, depth: u32) -> bool {
        if depth > 40 || self.out.len() > MAX_PAYLOAD {
            return false;
        }
        match node {
            Node::Primitive(k) => self.primitive(*k),
            Node::Logical(4) => {
                self.long(36);
                self.out
                    .extend_from_slice(b"123e4567-e89b-12d3-a456-426614174000");
            }
            Node::Logical(k) => self.primitive(LOGICAL[*k].1),
            Node::Record { fields, .. } => {
                return fields.iter().all(|f| self.value(f, depth + 1));
            }
            Node::Enum { symbols, .. } => {
                let i = self.bytes.below(*symbols);
                self.long(i64::from(i));
            }
            Node::Fixed { size, .. } => self.raw(usize::from(*size)),
            Node::Array(items) | Node::Map(items) => {
                let is_map = matches!(node, Node::Map(_));
                let count = self.bytes.below(3);
                if count > 0 {
                    self.long(i64::from(count));
                    for _ in 0..count {
                        if is_map {
                            self.primitive(7);
                        }
                        if !self.value(items, depth + 1) {
                            return false;
                        }
                    }
                }
                self.long(0);
            }
            Node::Union(branches) => {
                let len = u8::try_from(branches.len()).unwrap_or(u8::MAX);
                let i = self.bytes.below(len);
                self.long(i64::from(i));
                return self.value(&branches[usize::from(i)], depth + 1);
            }
            Node::Ref(name) => {
                let defs = self.defs;
                return match defs.get(name) {
                    Some(def) => self.value(def, depth + 1),
                    None => false,
                };
            }
        }
        true
    }
}

/// With `FUZZ_STATS` set, one line per input on stderr (for `-runs=0` over a corpus: how many
/// schemas each side accepts, how many payloads are valid).
fn stat(line: impl FnOnce() -> String) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("FUZZ_STATS").is_some()) {
        eprintln!("STAT {}", line());
    }
}

struct EofTracking<'a> {
    rest: &'a [u8],
    hit_end: bool,
}

impl Read for EofTracking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !buf.is_empty() && self.rest.len() < buf.len() {
            self.hit_end = true;
        }
        self.rest.read(buf)
    }
}

/// apache-avro's per-allocation cap, which `AvroValidator` also derives its item limits from,
/// lowered from 512 MiB to 1 MiB before anything reads it (the first call wins). Both decoders
/// then refuse at the same counts, and the oracle's memory per input stays bounded: with the
/// default, apache-avro filled a `Vec` of up to 512 MiB for every array of `null` items a
/// 250-byte payload declared, and a run hit libFuzzer's 2 GiB RSS limit (our validator counts
/// such items without storing them).
fn bound_decoder_memory() {
    apache_avro::util::max_allocation_bytes(1 << 20);
}

fuzz_target!(|data: &[u8]| {
    bound_decoder_memory();
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let schema_len = usize::from(head & 0x7f).min(rest.len());
    let (schema_bytes, payload) = rest.split_at(schema_len);
    let mut generator = SchemaGen {
        bytes: Bytes { rest: schema_bytes },
        names: 0,
    };
    let tree = generator.top();
    let mut text = String::new();
    json(&tree, &mut text);
    let (parsed, compiled) = (Schema::parse_str(&text), AvroValidator::compile(&text, &[]));
    stat(|| format!("schema apache {} ours {}", parsed.is_ok(), compiled.is_ok()));
    let (Ok(schema), Ok(validator)) = (parsed, compiled) else {
        return;
    };
    let encoded;
    let payload = if head & 0x80 != 0 {
        let mut defs = HashMap::new();
        named(&tree, &mut defs);
        let mut encoder = Encoder {
            bytes: Bytes { rest: payload },
            defs: &defs,
            out: Vec::new(),
        };
        if !encoder.value(&tree, 0) {
            return;
        }
        encoded = encoder.out;
        &encoded[..]
    } else {
        payload
    };
    if payload.len() > MAX_PAYLOAD {
        return;
    }
    let ours = validator.validate(payload);
    if ours
        .as_ref()
        .is_err_and(|e| e.to_string().contains("nesting deeper than"))
    {
        return;
    }
    let mut reader = EofTracking {
        rest: payload,
        hit_end: false,
    };
    let theirs = apache_avro::from_avro_datum(&schema, &mut reader, None);
    let strict_ok = theirs.is_ok() && !reader.hit_end && reader.rest.is_empty();
    stat(|| format!("payload encoded {} valid {strict_ok}", head & 0x80 != 0));
    assert_eq!(
        ours.is_ok(),
        strict_ok,
        "schema {text}\npayload {payload:02x?}\nours {ours:?}\napache-avro {theirs:?} (hit_end {}, {} bytes left)",
        reader.hit_end,
        reader.rest.len()
    );
});
