//! Broker responses for every API whose responses are rewritten. Byte 0 picks the API
//! (Metadata, FindCoordinator, DescribeCluster, ApiVersions, Produce v10+), bytes 1–2 the
//! version (reduced into the API's range), byte 3 which node ids have a proxy port; the rest is
//! the response frame (header + body). Split, guard, decode, rewrite and re-encode must never
//! panic, and what is re-encoded must decode again at the same version.
#![no_main]

use std::collections::HashMap;

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, DescribeClusterResponse, FindCoordinatorResponse,
    MetadataResponse, ProduceResponse,
};
use kafka_protocol::protocol::Message;
use libfuzzer_sys::fuzz_target;
use schemagate::frame::{response_header_version, split_response};
use schemagate::rewrite::Decoded;
use schemagate::topology::TopicIds;

fn pick(selector: u8, raw_version: u16) -> (ApiKey, i16) {
    let (api, min, max) = match selector % 5 {
        0 => (
            ApiKey::Metadata,
            MetadataResponse::VERSIONS.min,
            MetadataResponse::VERSIONS.max,
        ),
        1 => (
            ApiKey::FindCoordinator,
            FindCoordinatorResponse::VERSIONS.min,
            FindCoordinatorResponse::VERSIONS.max,
        ),
        2 => (
            ApiKey::DescribeCluster,
            DescribeClusterResponse::VERSIONS.min,
            DescribeClusterResponse::VERSIONS.max,
        ),
        3 => (
            ApiKey::ApiVersions,
            ApiVersionsResponse::VERSIONS.min,
            ApiVersionsResponse::VERSIONS.max,
        ),
        _ => (ApiKey::Produce, 10, ProduceResponse::VERSIONS.max),
    };
    let span = u16::try_from(max - min + 1).unwrap_or(1);
    (api, min + i16::try_from(raw_version % span).unwrap_or(0))
}

fuzz_target!(|data: &[u8]| {
    let [selector, v_hi, v_lo, port_mask, rest @ ..] = data else {
        return;
    };
    let (api, version) = pick(*selector, u16::from_be_bytes([*v_hi, *v_lo]));
    let frame = Bytes::copy_from_slice(rest);
    let Ok((_, _header, body)) = split_response(&frame, response_header_version(api, version))
    else {
        return;
    };
    let Ok(Some(mut decoded)) = Decoded::decode(api, version, &body) else {
        return;
    };
    let brokers = decoded.brokers();
    // Node ids whose bit is set in `port_mask` (mod 8) get a port; the others must be reported
    // as a missing port, never panic.
    let ports: HashMap<i32, u16> = brokers
        .iter()
        .filter(|b| port_mask & (1 << b.node_id.rem_euclid(8)) != 0)
        .map(|b| (b.node_id, 9092))
        .collect();
    decoded.record_topic_ids(&TopicIds::default());
    if decoded.rewrite(&ports, "proxy.example").is_err() || !decoded.changed() {
        return;
    }
    if let Ok(encoded) = decoded.encode(version) {
        let again = Decoded::decode(api, version, &encoded);
        assert!(
            matches!(again, Ok(Some(_))),
            "{api:?} v{version}: re-encoded response does not decode: {again:?}"
        );
    }
});
