//! Differential test: `AvroValidator` against apache-avro's decoder.
//!
//! The oracle is apache-avro 0.22 `from_avro_datum` made strict in the two ways a Confluent
//! payload demands (see `src/validate/avro/walk.rs`):
//! 1. the datum must use the whole payload: apache-avro ignores trailing bytes, we reject them;
//! 2. the decoder must not run past the end of input: apache-avro decodes a boolean, a string
//!    body or a union index cut off by the end of input as `null` instead of failing.
//!
//! So `oracle(payload)` = apache-avro decodes it, never asked its reader for bytes after the
//! end, and consumed every byte. The validator must agree with it on every payload: valid
//! values encoded by apache-avro, every truncation, appended bytes, flipped bytes, random
//! schemas with random bytes and with mutated valid encodings.
#![allow(deprecated)]

#[path = "avro_differential/schemas.rs"]
mod schemas;

use std::collections::HashMap;
use std::io::Read;

use apache_avro::Schema;
use apache_avro::types::Value;
use proptest::prelude::*;
use schemagate::validate::avro::AvroValidator;
use schemas::Gen;

/// A reader that remembers whether the decoder asked for bytes past the end.
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

/// What apache-avro says, made strict: one complete datum and nothing else.
fn oracle(schema: &Schema, payload: &[u8]) -> Result<(), String> {
    strict(payload, |reader| {
        apache_avro::from_avro_datum(schema, reader, None)
    })
}

/// Run an apache-avro decode over `payload` and apply the two strictness rules.
fn strict(
    payload: &[u8],
    decode: impl FnOnce(&mut EofTracking<'_>) -> apache_avro::AvroResult<Value>,
) -> Result<(), String> {
    let mut reader = EofTracking {
        rest: payload,
        hit_end: false,
    };
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode(&mut reader).map(drop)
    }));
    match decoded {
        Err(_) => Err("apache-avro panicked".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(())) if reader.hit_end => Err("apache-avro read past the end of input".into()),
        Ok(Ok(())) if !reader.rest.is_empty() => {
            Err(format!("{} trailing bytes", reader.rest.len()))
        }
        Ok(Ok(())) => Ok(()),
    }
}

/// Returns whether the payload was accepted (by both).
fn assert_agrees(schema_text: &str, schema: &Schema, v: &AvroValidator, payload: &[u8]) -> bool {
    let ours = v.validate(payload);
    let theirs = oracle(schema, payload);
    assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "disagreement on {payload:02x?}\nschema: {schema_text}\nours: {ours:?}\napache-avro: {theirs:?}"
    );
    ours.is_ok()
}

struct Fixture {
    text: &'static str,
    schema: Schema,
    validator: AvroValidator,
    generate: schemas::Generator,
}

fn fixtures() -> Vec<Fixture> {
    schemas::fixtures()
        .into_iter()
        .map(|(_, text, generate)| Fixture {
            text,
            schema: Schema::parse_str(text).unwrap(),
            validator: AvroValidator::compile(text, &[]).unwrap(),
            generate,
        })
        .collect()
}

#[test]
fn values_encoded_by_apache_avro_are_accepted() {
    for f in fixtures() {
        let mut g = Gen::new(1);
        for _ in 0..300 {
            let payload = schemas::encode(&f.schema, (f.generate)(&mut g));
            assert_eq!(f.validator.validate(&payload), Ok(()), "{}", f.text);
            assert_eq!(oracle(&f.schema, &payload), Ok(()));
        }
    }
}

#[test]
fn fixture_sizes_match_the_bench_descriptions() {
    let fx = fixtures();
    let mean = |f: &Fixture| {
        let mut g = Gen::new(3);
        (0..100)
            .map(|_| schemas::encode(&f.schema, (f.generate)(&mut g)).len())
            .sum::<usize>()
            / 100
    };
    let order = mean(&fx[1]);
    let customer = mean(&fx[2]);
    assert!((200..450).contains(&order), "order is {order} bytes");
    assert!(
        (700..1400).contains(&customer),
        "customer is {customer} bytes"
    );
}

#[test]
fn every_truncation_agrees_with_apache_avro() {
    for f in fixtures() {
        let mut g = Gen::new(2);
        for _ in 0..8 {
            let payload = schemas::encode(&f.schema, (f.generate)(&mut g));
            for len in 0..payload.len() {
                assert_agrees(f.text, &f.schema, &f.validator, &payload[..len]);
                assert!(
                    f.validator.validate(&payload[..len]).is_err(),
                    "prefix {len} accepted"
                );
            }
        }
    }
}

#[test]
fn appended_bytes_are_rejected_as_trailing() {
    for f in fixtures() {
        let mut g = Gen::new(4);
        let payload = schemas::encode(&f.schema, (f.generate)(&mut g));
        for extra in [0x00u8, 0x02, 0xff] {
            let mut longer = payload.clone();
            longer.push(extra);
            let err = f.validator.validate(&longer).unwrap_err();
            assert_eq!(err.to_string(), "field /: 1 trailing byte after the datum");
            assert_agrees(f.text, &f.schema, &f.validator, &longer);
        }
    }
}

#[test]
fn flipped_bytes_agree_with_apache_avro() {
    let (mut accepted, mut rejected) = (0, 0);
    for f in fixtures() {
        let mut g = Gen::new(5);
        for _ in 0..4 {
            let payload = schemas::encode(&f.schema, (f.generate)(&mut g));
            for pos in 0..payload.len() {
                let flips = [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff];
                let sets = [0x00u8, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xff, g.next() as u8];
                let mutants = flips.iter().map(|&m| payload[pos] ^ m).chain(sets);
                for byte in mutants {
                    let mut mutated = payload.clone();
                    mutated[pos] = byte;
                    if assert_agrees(f.text, &f.schema, &f.validator, &mutated) {
                        accepted += 1;
                    } else {
                        rejected += 1;
                    }
                }
            }
        }
    }
    // Both outcomes must occur, or the comparison says nothing.
    assert!(
        accepted > 1000 && rejected > 1000,
        "accepted {accepted}, rejected {rejected}"
    );
}

#[test]
fn big_decimal_agrees_with_apache_avro_on_random_bytes() {
    let text = r#"{"type":"bytes","logicalType":"big-decimal"}"#;
    let schema = Schema::parse_str(text).unwrap();
    let v = AvroValidator::compile(text, &[]).unwrap();
    // bytes(len 4) = [unscaled len 2, 0x01, 0x02, scale 3]
    assert_eq!(v.validate(&[8, 4, 1, 2, 6]), Ok(()));
    assert_agrees(text, &schema, &v, &[8, 4, 1, 2, 6]);
    let mut g = Gen::new(6);
    for _ in 0..5_000 {
        let len = g.below(8) as usize;
        let payload: Vec<u8> = (0..len).map(|_| g.next() as u8 & 0x8f).collect();
        assert_agrees(text, &schema, &v, &payload);
    }
}

#[test]
fn schemas_with_references_agree_with_apache_avro() {
    let address = r#"{"type":"record","name":"Address","namespace":"acme","fields":[
        {"name":"city","type":"string"},{"name":"zip","type":["null","int"]}]}"#;
    let person = r#"{"type":"record","name":"Person","namespace":"acme","fields":[
        {"name":"home","type":"Address"},{"name":"work","type":["null","Address"]},
        {"name":"tags","type":{"type":"array","items":"string"}}]}"#;
    let (root, refs) = Schema::parse_str_with_list(person, [address]).unwrap();
    let v = AvroValidator::compile(person, &[address.to_owned()]).unwrap();
    let datum_reader = apache_avro::reader::datum::GenericDatumReader::builder(&root)
        .writer_schemata(refs.iter().collect())
        .unwrap()
        .build()
        .unwrap();
    let addr = |city: &str, zip: Option<i32>| {
        let zip = match zip {
            Some(z) => Value::Union(1, Box::new(Value::Int(z))),
            None => Value::Union(0, Box::new(Value::Null)),
        };
        Value::Record(vec![
            ("city".into(), Value::String(city.into())),
            ("zip".into(), zip),
        ])
    };
    let value = Value::Record(vec![
        ("home".into(), addr("Seoul", Some(4321))),
        (
            "work".into(),
            Value::Union(1, Box::new(addr("Busan", None))),
        ),
        (
            "tags".into(),
            Value::Array(vec![Value::String("a".into()), Value::String("bc".into())]),
        ),
    ]);
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(&root)
        .schemata(refs.iter().collect())
        .unwrap()
        .build()
        .unwrap();
    let payload = writer.write_value_to_vec(value).unwrap();
    assert_eq!(v.validate(&payload), Ok(()));
    let check = |bytes: &[u8]| {
        let theirs = strict(bytes, |r| datum_reader.read_value(r));
        assert_eq!(
            v.validate(bytes).is_ok(),
            theirs.is_ok(),
            "{bytes:02x?}: {theirs:?}"
        );
    };
    check(&payload);
    for len in 0..payload.len() {
        check(&payload[..len]);
    }
    for pos in 0..payload.len() {
        for mask in [0x01u8, 0x02, 0x80, 0xff] {
            let mut mutated = payload.clone();
            mutated[pos] ^= mask;
            check(&mutated);
        }
    }
}

/// A schema tree for random schemas (names are assigned when rendering to JSON).
#[derive(Debug, Clone)]
enum T {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    Str,
    Enum(u8),
    Fixed(u8),
    Uuid,
    Date,
    TimestampMillis,
    DecimalBytes,
    Duration,
    Array(Box<T>),
    Map(Box<T>),
    Union(Vec<T>),
    Record(Vec<T>),
}

fn tree() -> impl Strategy<Value = T> {
    let leaf = prop_oneof![
        Just(T::Null),
        Just(T::Boolean),
        Just(T::Int),
        Just(T::Long),
        Just(T::Float),
        Just(T::Double),
        Just(T::Bytes),
        Just(T::Str),
        (1u8..5).prop_map(T::Enum),
        (0u8..5).prop_map(T::Fixed),
        Just(T::Uuid),
        Just(T::Date),
        Just(T::TimestampMillis),
        Just(T::DecimalBytes),
        Just(T::Duration),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| T::Array(Box::new(t))),
            inner.clone().prop_map(|t| T::Map(Box::new(t))),
            prop::collection::vec(inner.clone(), 1..4).prop_map(union_of),
            prop::collection::vec(inner, 0..5).prop_map(T::Record),
        ]
    })
}

/// Avro forbids unions inside unions and two branches of the same unnamed type.
fn union_of(branches: Vec<T>) -> T {
    let mut seen = Vec::new();
    let mut kept = Vec::new();
    for b in branches {
        let key = match &b {
            T::Union(_) => continue,
            T::Int | T::Date => "int",
            T::Long | T::TimestampMillis => "long",
            T::Bytes | T::DecimalBytes => "bytes",
            T::Str | T::Uuid => "string",
            T::Array(_) => "array",
            T::Map(_) => "map",
            T::Enum(_) | T::Fixed(_) | T::Record(_) | T::Duration => "",
            other => leaf_name(other),
        };
        if !key.is_empty() && seen.contains(&key) {
            continue;
        }
        seen.push(key);
        kept.push(b);
    }
    if kept.is_empty() {
        T::Union(vec![T::Null])
    } else {
        T::Union(kept)
    }
}

fn leaf_name(t: &T) -> &'static str {
    match t {
        T::Null => "null",
        T::Boolean => "boolean",
        T::Float => "float",
        T::Double => "double",
        _ => "other",
    }
}

fn to_json(t: &T, next_name: &mut u32) -> serde_json::Value {
    use serde_json::json;
    let mut name = || {
        *next_name += 1;
        format!("N{next_name}")
    };
    match t {
        T::Null | T::Boolean | T::Float | T::Double => json!(leaf_name(t)),
        T::Int => json!("int"),
        T::Long => json!("long"),
        T::Bytes => json!("bytes"),
        T::Str => json!("string"),
        T::Enum(n) => {
            let symbols: Vec<String> = (0..*n).map(|i| format!("S{i}")).collect();
            json!({"type":"enum","name":name(),"symbols":symbols})
        }
        T::Fixed(size) => json!({"type":"fixed","name":name(),"size":size}),
        T::Uuid => json!({"type":"string","logicalType":"uuid"}),
        T::Date => json!({"type":"int","logicalType":"date"}),
        T::TimestampMillis => json!({"type":"long","logicalType":"timestamp-millis"}),
        T::DecimalBytes => json!({"type":"bytes","logicalType":"decimal","precision":10,"scale":2}),
        T::Duration => json!({"type":"fixed","name":name(),"size":12,"logicalType":"duration"}),
        T::Array(items) => json!({"type":"array","items":to_json(items, next_name)}),
        T::Map(values) => json!({"type":"map","values":to_json(values, next_name)}),
        T::Union(branches) => {
            serde_json::Value::Array(branches.iter().map(|b| to_json(b, next_name)).collect())
        }
        T::Record(fields) => {
            let record_name = name();
            let fields: Vec<serde_json::Value> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| json!({"name":format!("f{i}"),"type":to_json(f, next_name)}))
                .collect();
            json!({"type":"record","name":record_name,"fields":fields})
        }
    }
}

/// A valid value of `t`, for apache-avro to encode.
fn value_of(t: &T, g: &mut Gen) -> Value {
    match t {
        T::Null => Value::Null,
        T::Boolean => Value::Boolean(g.bool()),
        T::Int => Value::Int(g.int()),
        T::Long => Value::Long(g.long()),
        T::Float => Value::Float(g.next() as f32),
        T::Double => Value::Double(g.next() as f64),
        T::Bytes => Value::Bytes((0..g.below(6)).map(|_| g.next() as u8).collect()),
        T::Str => Value::String(g.text(0, 12)),
        T::Enum(n) => {
            let i = g.below(u64::from(*n)) as u32;
            Value::Enum(i, format!("S{i}"))
        }
        T::Fixed(size) => Value::Fixed(
            usize::from(*size),
            (0..*size).map(|_| g.next() as u8).collect(),
        ),
        T::Uuid => Value::Uuid(apache_avro::Uuid::from_u64_pair(g.next(), g.next())),
        T::Date => Value::Date(g.int()),
        T::TimestampMillis => Value::TimestampMillis(g.long()),
        T::DecimalBytes => Value::Decimal(apache_avro::Decimal::from(vec![g.next() as u8, 1])),
        T::Duration => {
            let mut raw = [0u8; 12];
            raw.iter_mut().for_each(|b| *b = g.next() as u8);
            Value::Duration(apache_avro::Duration::from(raw))
        }
        T::Array(items) => Value::Array((0..g.below(4)).map(|_| value_of(items, g)).collect()),
        T::Map(values) => {
            let map: HashMap<String, Value> = (0..g.below(4))
                .map(|i| (format!("k{i}"), value_of(values, g)))
                .collect();
            Value::Map(map)
        }
        T::Union(branches) => {
            let i = g.below(branches.len() as u64) as usize;
            Value::Union(i as u32, Box::new(value_of(&branches[i], g)))
        }
        T::Record(fields) => Value::Record(
            fields
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("f{i}"), value_of(f, g)))
                .collect(),
        ),
    }
}

/// Bytes biased towards the small values that are valid booleans, indices and lengths.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![0u8..4, any::<u8>()]
}

fn compile_both(t: &T) -> (String, Schema, AvroValidator) {
    let text = to_json(t, &mut 0).to_string();
    let schema = Schema::parse_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let validator = AvroValidator::compile(&text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"));
    (text, schema, validator)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_schemas_agree_with_apache_avro_on_random_bytes(
        t in tree(),
        payloads in prop::collection::vec(prop::collection::vec(byte(), 0..40), 1..16),
    ) {
        let (text, schema, v) = compile_both(&t);
        for payload in &payloads {
            assert_agrees(&text, &schema, &v, payload);
        }
    }

    #[test]
    fn random_valid_values_are_accepted_and_their_mutations_agree(
        t in tree(),
        seed in any::<u64>(),
        mutations in prop::collection::vec((any::<usize>(), byte(), 0u8..4), 1..12),
    ) {
        let (text, schema, v) = compile_both(&t);
        let mut g = Gen::new(seed);
        let payload = schemas::encode(&schema, value_of(&t, &mut g));
        prop_assert_eq!(v.validate(&payload), Ok(()), "{}", text);
        prop_assert_eq!(oracle(&schema, &payload), Ok(()));
        for (pos, byte, kind) in mutations {
            let mut mutated = payload.clone();
            let at = if mutated.is_empty() { 0 } else { pos % mutated.len() };
            match kind {
                0 if !mutated.is_empty() => mutated[at] ^= byte,
                1 if !mutated.is_empty() => mutated[at] = byte,
                2 => mutated.insert(at, byte),
                _ => mutated.truncate(at),
            }
            assert_agrees(&text, &schema, &v, &mutated);
        }
    }
}
