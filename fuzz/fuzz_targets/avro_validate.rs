//! Differential: the first byte picks a schema from a fixed set, the rest is the payload.
//! `AvroValidator::validate` must agree with apache-avro's decoder made strict (the datum uses the
//! whole payload, and the decoder never reads past the end), as in `tests/avro_differential.rs`.
#![no_main]
#![allow(deprecated)]

#[path = "../../tests/avro_differential/schemas.rs"]
mod schemas;

use std::io::Read;
use std::sync::OnceLock;

use apache_avro::Schema;
use libfuzzer_sys::fuzz_target;
use schemagate::validate::avro::AvroValidator;

const EXTRA: &[&str] = &[
    r#""boolean""#,
    r#""int""#,
    r#"["null","string","long"]"#,
    r#"{"type":"array","items":"null"}"#,
    r#"{"type":"map","values":{"type":"enum","name":"E","symbols":["A","B","C"]}}"#,
    r#"{"type":"string","logicalType":"uuid"}"#,
    r#"{"type":"bytes","logicalType":"big-decimal"}"#,
    r#"{"type":"fixed","name":"D","size":12,"logicalType":"duration"}"#,
];

fn set() -> &'static [(Schema, AvroValidator)] {
    static SET: OnceLock<Vec<(Schema, AvroValidator)>> = OnceLock::new();
    SET.get_or_init(|| {
        let texts = [
            schemas::USER,
            schemas::ORDER,
            schemas::CUSTOMER,
            schemas::LINKED_LIST,
        ];
        texts
            .iter()
            .chain(EXTRA)
            .map(|t| {
                (
                    Schema::parse_str(t).unwrap(),
                    AvroValidator::compile(t, &[]).unwrap(),
                )
            })
            .collect()
    })
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
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let set = set();
    let (schema, validator) = &set[usize::from(pick) % set.len()];
    // Bounded so the linked list stays under our 256-container depth limit (2 per node, 2+ bytes
    // per node); apache-avro has no limit, so deeper input would be a known, documented difference.
    if payload.len() > 250 {
        return;
    }
    let ours = validator.validate(payload);
    let mut reader = EofTracking {
        rest: payload,
        hit_end: false,
    };
    let theirs = apache_avro::from_avro_datum(schema, &mut reader, None);
    let strict_ok = theirs.is_ok() && !reader.hit_end && reader.rest.is_empty();
    assert_eq!(
        ours.is_ok(),
        strict_ok,
        "ours {ours:?}, apache-avro {theirs:?}"
    );
});
