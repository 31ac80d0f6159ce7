//! Regression found by `cargo +nightly fuzz run response_frame` (fuzz/RELIABILITY.md): a
//! broker's Produce v10+ response whose partition-level tagged field 0 (`current_leader`)
//! declares a size that differs from the struct's real length.
//!
//! The guard (`src/rewrite/guard.rs`) skips a tagged field by its declared size; kafka-protocol
//! 0.18 decodes `current_leader` (and the top-level `node_endpoints`) straight from the buffer
//! and ignores the size. The two walks then read different bytes, so the guard approves a
//! response in which kafka-protocol reads a forged `node_endpoints` count and reserves
//! `count × size_of::<NodeEndpoint>()` bytes up front: about 340 GB here, and the allocation
//! failure aborts the whole proxy. Expected: `Decoded::decode` returns an error (or decodes)
//! without a huge allocation. The decode runs in a child process so that the abort fails this
//! test instead of killing the test binary.

use std::process::Command;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use schemagate::rewrite::Decoded;

const CHILD: &str = "SCHEMAGATE_REGRESSION_CHILD";

/// Produce v10 response body (after the response header), one topic, one partition.
fn forged_body() -> Vec<u8> {
    let mut b = vec![0x02, 0x02, b't', 0x02]; // 1 topic "t", 1 partition
    b.extend_from_slice(&0i32.to_be_bytes()); // index
    b.extend_from_slice(&0i16.to_be_bytes()); // error_code
    b.extend_from_slice(&[0; 24]); // base_offset, log_append_time_ms, log_start_offset
    b.extend_from_slice(&[0x01, 0x00]); // record_errors: empty; error_message: null
    // Partition tagged fields: one, tag 0 (current_leader), declared size 0. The guard skips
    // nothing; kafka-protocol reads leader_id, leader_epoch and tagged fields (9 bytes).
    b.extend_from_slice(&[0x01, 0x00, 0x00]);
    // The guard: topic tagged 0, throttle 0, top-level tagged 0, done (6 bytes).
    // kafka-protocol: those 6 bytes and 3 more are current_leader.
    b.extend_from_slice(&[0; 9]);
    // kafka-protocol only: topic tagged 0, throttle 0, one top-level tagged field, tag 0
    // (node_endpoints), size 5, compact array count 2^32 - 1.
    b.extend_from_slice(&[0x00, 0, 0, 0, 0, 0x01, 0x00, 0x05]);
    b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    b
}

#[test]
fn produce_response_with_a_short_tagged_field_size_is_refused_without_a_huge_allocation() {
    if std::env::var_os(CHILD).is_some() {
        let body = Bytes::from(forged_body());
        let result = Decoded::decode(ApiKey::Produce, 10, &body);
        assert!(result.is_err(), "decoded a forged response: {result:?}");
        return;
    }
    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args([
            "--exact",
            "produce_response_with_a_short_tagged_field_size_is_refused_without_a_huge_allocation",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run the child test");
    assert!(
        output.status.success(),
        "decoding the forged response failed the child ({:?}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Second finding of the same run (`fuzz/artifacts/response_frame/crash-e447204e…`, ApiVersions
/// v3, response header v0 stripped): an entry's tagged fields repeat tags and use a tag beyond
/// i32::MAX. kafka-protocol keeps unknown tags in a map keyed by i32, so the rewritten response
/// lost fields and came out malformed ("frame of 24 bytes is too short"). KIP-482 requires
/// unique ascending tags; the guard now refuses such a response before it is decoded, so the
/// client is never sent a malformed rewrite.
#[test]
fn api_versions_response_with_repeated_or_oversized_tags_is_refused() {
    let body = Bytes::from_static(&[
        0x00, 0x00, 0x03, 0x00, 0x03, 0xff, 0xff, 0x00, 0x00, 0x05, 0x00, 0x00, 0xfe, 0xfd, 0xff,
        0xec, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x28, 0x00, 0x13, 0x00, 0x0a, 0x00,
        0xfd, 0xd1, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x00,
    ]);
    let result = Decoded::decode(ApiKey::ApiVersions, 3, &body);
    let error = result
        .expect_err("the guard refuses out-of-order tags")
        .to_string();
    assert!(error.contains("tagged field order"), "{error}");
}

/// A well-formed ApiVersions v3 response with ascending unknown tags still decodes, and its
/// rewrite decodes again.
#[test]
fn api_versions_response_with_ascending_unknown_tags_round_trips() {
    use kafka_protocol::messages::api_versions_response::{ApiVersion, ApiVersionsResponse};
    use kafka_protocol::protocol::Encodable;
    let mut entry = ApiVersion::default()
        .with_api_key(0)
        .with_min_version(3)
        .with_max_version(13);
    entry
        .unknown_tagged_fields
        .insert(5, Bytes::from_static(b"x"));
    entry
        .unknown_tagged_fields
        .insert(9, Bytes::from_static(b"yz"));
    let response = ApiVersionsResponse::default().with_api_keys(vec![entry]);
    let mut buf = bytes::BytesMut::new();
    response.encode(&mut buf, 3).expect("encode");
    let body = buf.freeze();
    let mut decoded = Decoded::decode(ApiKey::ApiVersions, 3, &body)
        .expect("well-formed response passes the guard")
        .expect("ApiVersions is decoded");
    decoded
        .rewrite(&std::collections::HashMap::new(), "proxy.example")
        .expect("ApiVersions needs no ports");
    let encoded = decoded.encode(3).expect("re-encodes");
    assert!(matches!(
        Decoded::decode(ApiKey::ApiVersions, 3, &encoded),
        Ok(Some(_))
    ));
}
