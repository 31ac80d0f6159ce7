//! `_schemas` records: byte 0 says whether key and value are present, byte 1 where the key ends;
//! the rest is key then value. `LogRecord::decode` never panics, and a record it accepts
//! re-encodes (`key_bytes`, `value_bytes`) to bytes that decode to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemagate::schema_registry::records::LogRecord;

fuzz_target!(|data: &[u8]| {
    let [flags, cut, rest @ ..] = data else {
        return;
    };
    let cut = usize::from(*cut).min(rest.len());
    let (key, value) = rest.split_at(cut);
    let key = (flags & 1 == 0).then_some(key);
    let value = (flags & 2 == 0).then_some(value);
    let Ok(record) = LogRecord::decode(key, value) else {
        return;
    };
    let key_again = record.key_bytes();
    let value_again = record.value_bytes();
    let again = LogRecord::decode(Some(&key_again), value_again.as_deref());
    match again {
        Ok(again) => assert_eq!(again, record, "re-encoded record decodes differently"),
        Err(e) => panic!("re-encoded {record:?} does not decode: {e}"),
    }
});
