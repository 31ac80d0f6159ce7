use bytes::BufMut;
use kafka_protocol::messages::{ProduceRequest, RequestHeader as KpHeader};
use kafka_protocol::protocol::{Encodable, StrBytes};

use super::*;

/// A request frame encoded by kafka-protocol: header of the right version, then `body`.
fn request_frame(
    key: ApiKey,
    version: i16,
    corr: i32,
    client: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let header = KpHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(corr)
        .with_client_id(client.map(|c| StrBytes::from_string(c.to_owned())));
    let mut out = bytes::BytesMut::new();
    header
        .encode(&mut out, key.request_header_version(version))
        .unwrap();
    out.extend_from_slice(body);
    out.to_vec()
}

#[test]
fn peeks_header_v1_fields_and_body_offset() {
    // Metadata v4 uses request header v1.
    let frame = request_frame(ApiKey::Metadata, 4, 77, Some("rdkafka"), b"BODY");
    let h = peek_request_header(&frame).unwrap();
    assert_eq!((h.api_key, h.api_version, h.correlation_id), (3, 4, 77));
    assert_eq!(h.client_id.as_deref(), Some("rdkafka"));
    assert_eq!(&frame[h.body_offset.unwrap()..], b"BODY");
}

#[test]
fn peeks_flexible_header_v2_with_tagged_fields() {
    // Metadata v12 uses header v2: client id stays a non-compact string, then tagged fields.
    let mut frame = Vec::new();
    frame.put_i16(3);
    frame.put_i16(12);
    frame.put_i32(5);
    frame.put_i16(3);
    frame.extend_from_slice(b"abc");
    frame.extend_from_slice(&[2, 0, 1, 0xAA, 7, 2, 0xBB, 0xCC]); // two tagged fields
    frame.extend_from_slice(b"REST");
    let h = peek_request_header(&frame).unwrap();
    assert_eq!(h.client_id.as_deref(), Some("abc"));
    assert_eq!(&frame[h.body_offset.unwrap()..], b"REST");
    // The same bytes through kafka-protocol's encoder agree.
    let encoded = request_frame(ApiKey::Metadata, 12, 5, Some("abc"), b"REST");
    let h2 = peek_request_header(&encoded).unwrap();
    assert_eq!(&encoded[h2.body_offset.unwrap()..], b"REST");
}

#[test]
fn null_client_id_is_none() {
    let frame = request_frame(ApiKey::Metadata, 1, 1, None, b"");
    assert_eq!(peek_request_header(&frame).unwrap().client_id, None);
}

#[test]
fn unknown_api_key_is_peeked_without_a_body_offset() {
    let mut frame = Vec::new();
    frame.put_i16(9999);
    frame.put_i16(3);
    frame.put_i32(42);
    frame.put_i16(2);
    frame.extend_from_slice(b"id");
    let h = peek_request_header(&frame).unwrap();
    assert_eq!((h.api_key, h.correlation_id), (9999, 42));
    assert!(h.known_key().is_none());
    assert_eq!(h.client_id.as_deref(), Some("id"));
    assert_eq!(h.body_offset, None);
}

#[test]
fn truncated_and_garbage_headers_are_errors_not_panics() {
    for len in 0..8 {
        assert!(peek_request_header(&[0u8; 8][..len]).is_err(), "len {len}");
    }
    // Client id length larger than the frame.
    let mut frame = vec![0, 3, 0, 4, 0, 0, 0, 1];
    frame.put_i16(100);
    assert!(matches!(
        peek_request_header(&frame),
        Err(FrameError::TooShort { .. })
    ));
    // Negative (non -1) client id length.
    let mut frame = vec![0, 3, 0, 4, 0, 0, 0, 1];
    frame.put_i16(-5);
    assert!(matches!(
        peek_request_header(&frame),
        Err(FrameError::Malformed { .. })
    ));
    // Overlong varint in the tagged fields of a v2 header.
    let mut frame = vec![0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff];
    frame.extend_from_slice(&[0xff; 6]);
    assert!(peek_request_header(&frame).is_err());
    // Tagged field whose size runs past the end.
    let mut frame = vec![0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff];
    frame.extend_from_slice(&[1, 0, 100, 1]);
    assert!(peek_request_header(&frame).is_err());
}

fn produce_frame(version: i16, acks: i16, txn: Option<&str>) -> Vec<u8> {
    let body = ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(1000)
        .with_transactional_id(txn.map(|t| StrBytes::from_string(t.to_owned()).into()));
    let mut buf = bytes::BytesMut::new();
    body.encode(&mut buf, version).unwrap();
    request_frame(ApiKey::Produce, version, 3, Some("p"), &buf)
}

#[test]
fn peeks_produce_acks_for_every_supported_version() {
    for version in 3..=13 {
        for (acks, txn) in [(0, None), (1, Some("tx-1")), (-1, Some("")), (-1, None)] {
            let txn = txn.filter(|_| version >= 3);
            let frame = produce_frame(version, acks, txn);
            let header = peek_request_header(&frame).unwrap();
            assert_eq!(
                peek_produce_acks(&frame, &header),
                Ok(acks),
                "v{version} {txn:?}"
            );
        }
    }
}

#[test]
fn produce_acks_of_a_truncated_body_is_an_error() {
    let frame = produce_frame(9, 1, Some("transaction"));
    let header = peek_request_header(&frame).unwrap();
    let offset = header.body_offset.unwrap();
    for cut in offset..offset + 14 {
        assert!(
            peek_produce_acks(&frame[..cut], &header).is_err(),
            "cut {cut}"
        );
    }
}

#[test]
fn response_header_v0_and_v1() {
    let mut frame = Vec::new();
    frame.put_i32(11);
    frame.extend_from_slice(b"body");
    assert_eq!(peek_response_header(&frame, 0), Ok((11, 4)));
    let mut flexible = Vec::new();
    flexible.put_i32(12);
    flexible.extend_from_slice(&[1, 3, 1, 9]); // one tagged field
    flexible.extend_from_slice(b"body");
    let (corr, header, body) = split_response(&Bytes::from(flexible), 1).unwrap();
    assert_eq!((corr, header.len(), &body[..]), (12, 8, &b"body"[..]));
    assert!(peek_response_header(&[0, 0, 0], 0).is_err());
    assert!(peek_response_header(&[0, 0, 0, 1], 1).is_err());
}

#[test]
fn produce_v0_to_v2_start_with_acks() {
    let mut body = Vec::new();
    body.put_i16(-1);
    body.put_i32(1000);
    let frame = request_frame(ApiKey::Produce, 2, 1, Some("old"), &body);
    let header = peek_request_header(&frame).unwrap();
    assert_eq!(peek_produce_acks(&frame, &header), Ok(-1));
}

proptest::proptest! {
    /// Client bytes never panic the header or acks peek.
    #[test]
    fn arbitrary_request_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..96)) {
        if let Ok(header) = peek_request_header(&bytes) {
            let _ = peek_produce_acks(&bytes, &header);
        }
        let _ = peek_response_header(&bytes, 1);
    }

    /// Produce frames of every version with arbitrary (non-null) transactional ids peek
    /// their acks back.
    #[test]
    fn produce_acks_round_trip(version in 3i16..=13, acks in -1i16..=1, txn in "[a-z]{0,40}") {
        let frame = produce_frame(version, acks, Some(&txn));
        let header = peek_request_header(&frame).unwrap();
        proptest::prop_assert_eq!(peek_produce_acks(&frame, &header), Ok(acks));
    }
}
