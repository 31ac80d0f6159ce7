//! The Confluent wire format ("envelope") of a record key or value.
//!
//! ```text
//! byte 0      magic byte, always 0x00
//! bytes 1..5  schema id, big-endian (Confluent ids are positive Java ints; any u32 is accepted)
//! bytes 5..   payload, encoded with the schema
//! ```
//!
//! For Avro and JSON Schema the payload follows the id directly. For Protobuf, Confluent
//! serializers put the message indexes (a zig-zag varint count, then that many varints; a single
//! `0x00` for the first message) between the id and the message. Parsing them is out of scope
//! here: a Protobuf validator must read them from the start of [`Envelope::payload`].
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

/// The only magic byte Confluent serializers write.
pub const MAGIC_BYTE: u8 = 0x00;

/// Bytes before the payload: magic byte + 4-byte schema id.
pub const HEADER_LEN: usize = 5;

/// A parsed envelope, borrowing the record's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub schema_id: u32,
    pub payload: &'a [u8],
}

/// Why a key or value is not in the Confluent wire format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    #[error("value is empty (no Confluent wire-format header)")]
    Empty,
    #[error(
        "magic byte {0:#04x} is not 0x00 (value does not start with the Confluent wire format)"
    )]
    BadMagic(u8),
    #[error("value of {0} bytes is shorter than the 5-byte Confluent wire-format header")]
    TooShort(usize),
}

/// Split `value` into schema id and payload. An empty payload is allowed here (it is the
/// schema's decoder that decides whether zero bytes are a datum, e.g. Avro `null`).
pub fn parse_envelope(value: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    let Some((&magic, rest)) = value.split_first() else {
        return Err(EnvelopeError::Empty);
    };
    if magic != MAGIC_BYTE {
        return Err(EnvelopeError::BadMagic(magic));
    }
    let Some((id, payload)) = rest.split_first_chunk::<4>() else {
        return Err(EnvelopeError::TooShort(value.len()));
    };
    Ok(Envelope {
        schema_id: u32::from_be_bytes(*id),
        payload,
    })
}

/// Append the envelope header for `schema_id` and then `payload` to `out`.
pub fn encode_envelope(schema_id: u32, payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(HEADER_LEN + payload.len());
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn envelope_splits_schema_id_and_payload() {
        let value = [0x00, 0x00, 0x00, 0x01, 0x2a, 0x02, 0x04];
        let envelope = parse_envelope(&value);
        assert_eq!(
            envelope,
            Ok(Envelope {
                schema_id: 298,
                payload: &[0x02, 0x04]
            })
        );
    }

    #[test]
    fn header_only_value_has_an_empty_payload() {
        let envelope = parse_envelope(&[0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            envelope,
            Ok(Envelope {
                schema_id: u32::MAX,
                payload: &[]
            })
        );
    }

    #[test]
    fn empty_value_is_rejected() {
        assert_eq!(parse_envelope(&[]), Err(EnvelopeError::Empty));
    }

    #[test]
    fn json_value_is_rejected_with_its_magic_byte_shown() {
        let err = parse_envelope(br#"{"id":1}"#).unwrap_err();
        assert_eq!(err, EnvelopeError::BadMagic(0x7b));
        assert_eq!(
            err.to_string(),
            "magic byte 0x7b is not 0x00 (value does not start with the Confluent wire format)"
        );
    }

    #[test]
    fn value_shorter_than_the_header_is_rejected() {
        for len in 1..HEADER_LEN {
            let value = vec![0u8; len];
            assert_eq!(parse_envelope(&value), Err(EnvelopeError::TooShort(len)));
        }
        assert_eq!(
            EnvelopeError::TooShort(3).to_string(),
            "value of 3 bytes is shorter than the 5-byte Confluent wire-format header"
        );
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(id in any::<u32>(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut value = Vec::new();
            encode_envelope(id, &payload, &mut value);
            prop_assert_eq!(value.len(), HEADER_LEN + payload.len());
            let envelope = parse_envelope(&value).unwrap();
            prop_assert_eq!(envelope.schema_id, id);
            prop_assert_eq!(envelope.payload, &payload[..]);
        }

        #[test]
        fn parse_never_panics_and_only_accepts_magic_zero(value in proptest::collection::vec(any::<u8>(), 0..16)) {
            match parse_envelope(&value) {
                Ok(envelope) => {
                    prop_assert_eq!(value.first(), Some(&MAGIC_BYTE));
                    prop_assert_eq!(envelope.payload.len() + HEADER_LEN, value.len());
                }
                Err(EnvelopeError::Empty) => prop_assert!(value.is_empty()),
                Err(EnvelopeError::BadMagic(b)) => prop_assert_eq!(value.first(), Some(&b)),
                Err(EnvelopeError::TooShort(n)) => prop_assert!(n < HEADER_LEN && n == value.len()),
            }
        }
    }
}
