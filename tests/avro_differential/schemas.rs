//! Fixed schemas shared by the differential test and the validation bench, with generators of
//! valid values (deterministic from a seed) for apache-avro to encode.
#![allow(dead_code)]

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::types::Value;

/// The seed's `User` (docs: the confluent_kafka producer flow).
pub const USER: &str = r#"{"type":"record","name":"User","namespace":"ssup2.com","fields":[
  {"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"email","type":"string"}]}"#;

/// 15 fields with a nullable union, an enum, an array and a map (about 300 bytes encoded).
pub const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[
  {"name":"order_id","type":"long"},
  {"name":"customer_id","type":"string"},
  {"name":"created_at","type":{"type":"long","logicalType":"timestamp-millis"}},
  {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED","DELIVERED","CANCELLED"]}},
  {"name":"amount","type":"double"},
  {"name":"currency","type":"string"},
  {"name":"coupon","type":["null","string"],"default":null},
  {"name":"items","type":{"type":"array","items":"string"}},
  {"name":"attributes","type":{"type":"map","values":"string"}},
  {"name":"quantity","type":"int"},
  {"name":"gift","type":"boolean"},
  {"name":"weight","type":"float"},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"shipping_address","type":"string"},
  {"name":"request_id","type":{"type":"string","logicalType":"uuid"}}]}"#;

/// 40 fields in nested records (one named type used twice, once in a union), about 1 KB encoded.
pub const CUSTOMER: &str = r#"{"type":"record","name":"Customer","namespace":"com.acme.crm","fields":[
  {"name":"id","type":"long"},
  {"name":"first_name","type":"string"},
  {"name":"last_name","type":"string"},
  {"name":"email","type":"string"},
  {"name":"phone","type":["null","string"]},
  {"name":"age","type":"int"},
  {"name":"score","type":"double"},
  {"name":"active","type":"boolean"},
  {"name":"created","type":{"type":"long","logicalType":"timestamp-micros"}},
  {"name":"birthday","type":{"type":"int","logicalType":"date"}},
  {"name":"tier","type":{"type":"enum","name":"Tier","symbols":["FREE","SILVER","GOLD","PLATINUM"]}},
  {"name":"home","type":{"type":"record","name":"Address","fields":[
    {"name":"street","type":"string"},{"name":"city","type":"string"},
    {"name":"zip","type":"string"},{"name":"country","type":"string"},
    {"name":"lat","type":"double"},{"name":"lon","type":"double"},
    {"name":"verified","type":"boolean"},{"name":"since","type":"long"}]}},
  {"name":"work","type":["null","Address"]},
  {"name":"profile","type":{"type":"record","name":"Profile","fields":[
    {"name":"bio","type":"string"},{"name":"website","type":["null","string"]},
    {"name":"language","type":"string"},{"name":"timezone","type":"string"},
    {"name":"followers","type":"long"},{"name":"following","type":"long"},
    {"name":"interests","type":{"type":"array","items":"string"}},
    {"name":"counters","type":{"type":"map","values":"long"}},
    {"name":"avatar","type":{"type":"fixed","name":"Digest","size":16}},
    {"name":"settings","type":{"type":"record","name":"Settings","fields":[
      {"name":"newsletter","type":"boolean"},{"name":"theme","type":"string"},
      {"name":"font_size","type":"int"},{"name":"ratio","type":"float"}]}}]}},
  {"name":"notes","type":{"type":"array","items":"string"}},
  {"name":"referrer","type":["null","long","string"]}]}"#;

/// A recursive linked list.
pub const LINKED_LIST: &str = r#"{"type":"record","name":"LongList","fields":[
  {"name":"value","type":"long"},{"name":"next","type":["null","LongList"]}]}"#;

/// Tiny deterministic generator (xorshift64*), so values vary by seed without a rand dependency.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn long(&mut self) -> i64 {
        self.next() as i64 >> self.below(60)
    }

    pub fn int(&mut self) -> i32 {
        (self.next() as i32) >> self.below(28)
    }

    pub fn text(&mut self, min: u64, max: u64) -> String {
        const WORDS: [&str; 8] = [
            "alpha", "beta", "gamma", "Straße", "서울", "zeta", "ñu", "x",
        ];
        let target = (min + self.below(max - min + 1)) as usize;
        let mut s = String::new();
        while s.len() < target {
            s.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
            s.push(' ');
        }
        s
    }

    pub fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::Record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn nullable_string(g: &mut Gen, min: u64, max: u64) -> Value {
    if g.bool() {
        Value::Union(1, Box::new(Value::String(g.text(min, max))))
    } else {
        Value::Union(0, Box::new(Value::Null))
    }
}

pub fn user(g: &mut Gen) -> Value {
    record(vec![
        ("id", Value::Int(g.int())),
        ("name", Value::String(g.text(3, 12))),
        ("email", Value::String(g.text(10, 24))),
    ])
}

pub fn order(g: &mut Gen) -> Value {
    let symbols = ["NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"];
    let status = g.below(5) as u32;
    let items = (0..3 + g.below(4))
        .map(|_| Value::String(g.text(12, 24)))
        .collect();
    let attributes: HashMap<String, Value> = (0..2 + g.below(4))
        .map(|i| (format!("attr{i}"), Value::String(g.text(6, 16))))
        .collect();
    record(vec![
        ("order_id", Value::Long(g.long())),
        ("customer_id", Value::String(g.text(8, 16))),
        ("created_at", Value::TimestampMillis(g.long())),
        (
            "status",
            Value::Enum(status, symbols[status as usize].to_owned()),
        ),
        ("amount", Value::Double(g.next() as f64 / 7.0)),
        ("currency", Value::String("EUR".into())),
        ("coupon", nullable_string(g, 4, 10)),
        ("items", Value::Array(items)),
        ("attributes", Value::Map(attributes)),
        ("quantity", Value::Int(g.int())),
        ("gift", Value::Boolean(g.bool())),
        ("weight", Value::Float(g.int() as f32 / 3.0)),
        ("note", nullable_string(g, 10, 40)),
        ("shipping_address", Value::String(g.text(30, 50))),
        (
            "request_id",
            Value::Uuid(apache_avro::Uuid::from_u64_pair(g.next(), g.next())),
        ),
    ])
}

fn address(g: &mut Gen) -> Value {
    record(vec![
        ("street", Value::String(g.text(15, 30))),
        ("city", Value::String(g.text(5, 15))),
        ("zip", Value::String(g.text(5, 8))),
        ("country", Value::String(g.text(2, 10))),
        ("lat", Value::Double(g.next() as f64)),
        ("lon", Value::Double(g.next() as f64)),
        ("verified", Value::Boolean(g.bool())),
        ("since", Value::Long(g.long())),
    ])
}

fn profile(g: &mut Gen) -> Value {
    let interests = (0..3 + g.below(5))
        .map(|_| Value::String(g.text(8, 20)))
        .collect();
    let counters: HashMap<String, Value> = (0..3 + g.below(4))
        .map(|i| (format!("counter{i}"), Value::Long(g.long())))
        .collect();
    let mut digest = vec![0u8; 16];
    digest.iter_mut().for_each(|b| *b = g.next() as u8);
    record(vec![
        ("bio", Value::String(g.text(80, 160))),
        ("website", nullable_string(g, 15, 30)),
        ("language", Value::String(g.text(2, 5))),
        ("timezone", Value::String(g.text(10, 20))),
        ("followers", Value::Long(g.long())),
        ("following", Value::Long(g.long())),
        ("interests", Value::Array(interests)),
        ("counters", Value::Map(counters)),
        ("avatar", Value::Fixed(16, digest)),
        (
            "settings",
            record(vec![
                ("newsletter", Value::Boolean(g.bool())),
                ("theme", Value::String(g.text(4, 10))),
                ("font_size", Value::Int(g.int())),
                ("ratio", Value::Float(g.next() as f32)),
            ]),
        ),
    ])
}

pub fn customer(g: &mut Gen) -> Value {
    let tiers = ["FREE", "SILVER", "GOLD", "PLATINUM"];
    let tier = g.below(4) as u32;
    let work = if g.bool() {
        Value::Union(1, Box::new(address(g)))
    } else {
        Value::Union(0, Box::new(Value::Null))
    };
    let notes = (0..2 + g.below(4))
        .map(|_| Value::String(g.text(30, 80)))
        .collect();
    let referrer = match g.below(3) {
        0 => Value::Union(0, Box::new(Value::Null)),
        1 => Value::Union(1, Box::new(Value::Long(g.long()))),
        _ => Value::Union(2, Box::new(Value::String(g.text(5, 20)))),
    };
    record(vec![
        ("id", Value::Long(g.long())),
        ("first_name", Value::String(g.text(3, 12))),
        ("last_name", Value::String(g.text(3, 16))),
        ("email", Value::String(g.text(12, 30))),
        ("phone", nullable_string(g, 8, 14)),
        ("age", Value::Int(g.int())),
        ("score", Value::Double(g.next() as f64)),
        ("active", Value::Boolean(g.bool())),
        ("created", Value::TimestampMicros(g.long())),
        ("birthday", Value::Date(g.int())),
        ("tier", Value::Enum(tier, tiers[tier as usize].to_owned())),
        ("home", address(g)),
        ("work", work),
        ("profile", profile(g)),
        ("notes", Value::Array(notes)),
        ("referrer", referrer),
    ])
}

pub fn linked_list(g: &mut Gen, len: usize) -> Value {
    let mut tail = Value::Union(0, Box::new(Value::Null));
    for _ in 0..len {
        let node = record(vec![("value", Value::Long(g.long())), ("next", tail)]);
        tail = Value::Union(1, Box::new(node));
    }
    match tail {
        Value::Union(1, node) => *node,
        _ => record(vec![("value", Value::Long(0)), ("next", tail)]),
    }
}

/// The named fixtures: (name, schema text, value generator).
pub type Generator = fn(&mut Gen) -> Value;

pub fn fixtures() -> Vec<(&'static str, &'static str, Generator)> {
    vec![
        ("user", USER, user as Generator),
        ("order", ORDER, order as Generator),
        ("customer", CUSTOMER, customer as Generator),
        ("linked_list", LINKED_LIST, |g| {
            let len = g.below(20) as usize;
            linked_list(g, len)
        }),
    ]
}

/// Encode `value` with apache-avro (the bytes a Confluent serializer would put after the header).
#[allow(deprecated)]
pub fn encode(schema: &Schema, value: Value) -> Vec<u8> {
    match apache_avro::to_avro_datum(schema, value) {
        Ok(bytes) => bytes,
        Err(e) => panic!("apache-avro refused a generated value: {e}"),
    }
}
