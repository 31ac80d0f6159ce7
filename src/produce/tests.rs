#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceResponse, ResponseHeader, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

fn topic_name(i: usize) -> String {
    format!("t{i}")
}

fn topic_id(i: usize) -> Uuid {
    Uuid::from_u128(0x1000 + i as u128)
}

/// A request layout: per topic, its partition numbers (in client order).
fn order(layout: &[Vec<i32>]) -> Vec<TopicOrder> {
    layout
        .iter()
        .enumerate()
        .map(|(i, parts)| TopicOrder {
            name: topic_name(i),
            topic_id: topic_id(i),
            partitions: parts.clone(),
        })
        .collect()
}

fn refusal(topic: usize, partition: i32) -> RejectedPartition {
    RejectedPartition {
        topic: topic_name(topic),
        topic_id: Some(topic_id(topic)),
        partition,
        error_code: INVALID_RECORD,
        error_message: format!("bad t{topic}/{partition}"),
        record_errors: vec![(0, "record 0 value: bad".into())],
    }
}

fn broker(version: i16, entries: &[(usize, i32)]) -> Bytes {
    let mut body = ProduceResponse::default();
    for &(t, p) in entries {
        let mut topic = TopicProduceResponse::default();
        if version >= 13 {
            topic.topic_id = topic_id(t);
        } else {
            topic.name = TopicName(StrBytes::from_string(topic_name(t)));
        }
        let mut r = PartitionProduceResponse::default();
        r.index = p;
        r.base_offset = 1_000 + i64::from(p);
        topic.partition_responses.push(r);
        body.responses.push(topic);
    }
    response::encode_response(9, version, &body).unwrap()
}

/// (topic index, partition, error code) rows of a response, in order.
fn decoded(version: i16, frame: Bytes) -> Vec<(usize, i32, i16)> {
    let mut buf = frame;
    let header =
        ResponseHeader::decode(&mut buf, ProduceResponse::header_version(version)).unwrap();
    assert_eq!(header.correlation_id, 9);
    let body = ProduceResponse::decode(&mut buf, version).unwrap();
    let mut out = Vec::new();
    for t in &body.responses {
        let i = if version >= 13 {
            (t.topic_id.as_u128() - 0x1000) as usize
        } else {
            t.name.0.as_str()[1..].parse().unwrap()
        };
        for p in &t.partition_responses {
            if version >= 8 && p.error_code == INVALID_RECORD {
                assert_eq!(p.record_errors.len(), 1);
                assert!(p.error_message.is_some());
            }
            out.push((i, p.index, p.error_code));
        }
    }
    out
}

#[test]
fn broker_partitions_the_request_did_not_name_are_kept_at_the_end() {
    let rejected = Rejected {
        partitions: vec![refusal(0, 1)],
        order: order(&[vec![0, 1]]),
        api_version: 9,
    };
    let merged = rejected
        .merge_into(broker(9, &[(5, 7), (0, 0)]), 9)
        .unwrap();
    assert_eq!(decoded(9, merged), vec![(0, 0, 0), (0, 1, 87), (5, 7, 0)]);
}

#[test]
fn merge_refuses_a_response_of_another_version() {
    let rejected = Rejected {
        partitions: vec![refusal(0, 1)],
        order: order(&[vec![1]]),
        api_version: 9,
    };
    assert!(rejected.merge_into(broker(8, &[]), 8).is_err());
    assert!(
        rejected
            .merge_into(Bytes::from_static(b"\x00\x00"), 9)
            .is_err()
    );
}

proptest! {
    /// For any layout and any refused subset, at every version: the merged response lists
    /// every partition exactly once in the client's order, refused ones with our error.
    #[test]
    fn merged_responses_follow_the_client_order(
        layout in proptest::collection::vec(proptest::collection::btree_set(0i32..20, 1..5), 1..5),
        refused_mask in proptest::collection::vec(any::<bool>(), 20),
        version in 3i16..=13,
        rotate in 0usize..20,
    ) {
        let layout: Vec<Vec<i32>> = layout.into_iter().map(|s| s.into_iter().collect()).collect();
        let all: Vec<(usize, i32)> =
            layout.iter().enumerate().flat_map(|(t, ps)| ps.iter().map(move |p| (t, *p))).collect();
        let is_refused = |k: usize| refused_mask[k % refused_mask.len()];
        let partitions: Vec<RejectedPartition> =
            all.iter().enumerate().filter(|(k, _)| is_refused(*k)).map(|(_, (t, p))| refusal(*t, *p)).collect();
        let mut accepted: Vec<(usize, i32)> =
            all.iter().enumerate().filter(|(k, _)| !is_refused(*k)).map(|(_, e)| *e).collect();
        let n = accepted.len().max(1);
        accepted.rotate_left(rotate % n); // the broker may answer in another order
        let rejected = Rejected { partitions, order: order(&layout), api_version: version };
        let expected: Vec<(usize, i32, i16)> = all
            .iter()
            .enumerate()
            .map(|(k, (t, p))| (*t, *p, if is_refused(k) { INVALID_RECORD } else { 0 }))
            .collect();
        let frame = if rejected.partitions.is_empty() {
            broker(version, &accepted)
        } else if accepted.is_empty() {
            response::full_response(&rejected, 9).unwrap()
        } else {
            rejected.merge_into(broker(version, &accepted), version).unwrap()
        };
        let mut got = decoded(version, frame);
        if rejected.partitions.is_empty() {
            got.sort();
            let mut e = expected.clone();
            e.sort();
            prop_assert_eq!(got, e);
        } else {
            prop_assert_eq!(got, expected);
        }
    }
}

#[test]
fn partition_responses_carry_record_errors_only_from_v8() {
    let r = refusal(0, 3);
    let v7 = response::partition_response(&r, 7);
    assert!(v7.record_errors.is_empty() && v7.error_message.is_none());
    let v8 = response::partition_response(&r, 8);
    assert_eq!(v8.record_errors[0].batch_index, 0);
    assert_eq!(
        v8.error_message.as_ref().map(|m| m.as_str()),
        Some("bad t0/3")
    );
    let mut buf = BytesMut::new();
    let mut body = ProduceResponse::default();
    let mut t = TopicProduceResponse::default();
    t.name = TopicName(StrBytes::from_static_str("t0"));
    t.partition_responses.push(v7);
    body.responses.push(t);
    body.encode(&mut buf, 3).unwrap();
}
