//! Any bytes: `parse_envelope` never panics, and what it accepts re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schemagate::wire_format::{EnvelopeError, MAGIC_BYTE, encode_envelope, parse_envelope};

fuzz_target!(|data: &[u8]| {
    match parse_envelope(data) {
        Ok(envelope) => {
            let mut again = Vec::new();
            encode_envelope(envelope.schema_id, envelope.payload, &mut again);
            assert_eq!(again, data);
        }
        Err(EnvelopeError::Empty) => assert!(data.is_empty()),
        Err(EnvelopeError::BadMagic(b)) => assert!(b != MAGIC_BYTE && data.first() == Some(&b)),
        Err(EnvelopeError::TooShort(n)) => assert!(n == data.len() && n < 5),
        Err(other) => panic!("unexpected error {other}"),
    }
});
