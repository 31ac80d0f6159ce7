//! Avro payload validation vs apache-avro decoding on the same bytes (issue 6).
//!
//! For each schema: `schemagate` (our validator), `apache_avro_from_avro_datum` (what a consumer
//! calls; it resolves the schema's names on every call) and `apache_avro_prebuilt_reader`
//! (a `GenericDatumReader` built once; the fairer baseline). Each batch holds many distinct
//! records, so the throughput figures are per record and per byte.
//!
//! Run: `cargo bench --bench validate` (short: `-- --warm-up-time 1 --measurement-time 3`).
#![allow(deprecated)]

#[path = "../tests/avro_differential/schemas.rs"]
mod schemas;

use std::hint::black_box;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use schemagate::validate::avro::AvroValidator;

const RECORDS: u64 = 256;

fn bench_schema(c: &mut Criterion, name: &str, text: &str, generate: schemas::Generator) {
    let schema = Schema::parse_str(text).expect("fixture schema parses");
    let validator = AvroValidator::compile(text, &[]).expect("fixture schema compiles");
    let mut g = schemas::Gen::new(7);
    let payloads: Vec<Vec<u8>> = (0..RECORDS)
        .map(|_| schemas::encode(&schema, generate(&mut g)))
        .collect();
    let total_bytes: usize = payloads.iter().map(Vec::len).sum();
    for payload in &payloads {
        validator
            .validate(payload)
            .expect("generated payload is valid");
    }
    let reader = GenericDatumReader::builder(&schema)
        .build()
        .expect("reader builds");

    {
        let mut group = c.benchmark_group(format!("avro_{name}"));
        group.throughput(Throughput::ElementsAndBytes {
            elements: RECORDS,
            bytes: total_bytes as u64,
        });
        group.bench_function("schemagate", |b| {
            b.iter(|| {
                for payload in &payloads {
                    black_box(validator.validate(black_box(payload))).expect("valid");
                }
            })
        });
        group.bench_function("apache_avro_from_avro_datum", |b| {
            b.iter(|| {
                for payload in &payloads {
                    let mut slice = black_box(payload.as_slice());
                    black_box(apache_avro::from_avro_datum(&schema, &mut slice, None))
                        .expect("valid");
                }
            })
        });
        group.bench_function("apache_avro_prebuilt_reader", |b| {
            b.iter(|| {
                for payload in &payloads {
                    let mut slice = black_box(payload.as_slice());
                    black_box(reader.read_value(&mut slice)).expect("valid");
                }
            })
        });
        group.finish();
    }
    eprintln!(
        "{name}: {RECORDS} records, {total_bytes} bytes, {} bytes/record",
        total_bytes as u64 / RECORDS
    );
}

fn validate(c: &mut Criterion) {
    bench_schema(c, "user", schemas::USER, schemas::user);
    bench_schema(c, "order", schemas::ORDER, schemas::order);
    bench_schema(c, "customer", schemas::CUSTOMER, schemas::customer);
}

criterion_group!(benches, validate);
criterion_main!(benches);
