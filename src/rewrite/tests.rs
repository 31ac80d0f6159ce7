use bytes::BytesMut;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::metadata_response::{MetadataResponseBroker, MetadataResponseTopic};
use kafka_protocol::messages::produce_response::NodeEndpoint;
use kafka_protocol::messages::{BrokerId, TopicName};
use kafka_protocol::protocol::Message;
use uuid::Uuid;

use super::*;

const HOST: &str = "proxy.local";

fn encode_msg<T: Encodable>(m: &T, version: i16) -> Bytes {
    let mut out = BytesMut::new();
    m.encode(&mut out, version).unwrap();
    out.freeze()
}

fn sb(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn ports() -> HashMap<i32, u16> {
    HashMap::from([(1, 30001), (2, 30002), (3, 30003)])
}

/// decode → brokers → rewrite → encode, returning the brokers found and the new bytes.
fn round_trip(api: ApiKey, version: i16, body: Bytes) -> (Vec<BrokerAddr>, Bytes) {
    let mut decoded = Decoded::decode(api, version, &body).unwrap().unwrap();
    let brokers = decoded.brokers();
    decoded.rewrite(&ports(), HOST).unwrap();
    (brokers, decoded.encode(version).unwrap())
}

#[test]
fn metadata_brokers_are_rewritten_in_every_version() {
    for version in MetadataResponse::VERSIONS.min..=MetadataResponse::VERSIONS.max {
        let response = MetadataResponse::default().with_brokers(vec![
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(1))
                .with_host(sb("kafka-1"))
                .with_port(9092),
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(2))
                .with_host(sb("kafka-2"))
                .with_port(9093),
        ]);
        let (brokers, out) = round_trip(ApiKey::Metadata, version, encode_msg(&response, version));
        assert_eq!(brokers.len(), 2);
        assert_eq!(
            (brokers[1].host.as_str(), brokers[1].port),
            ("kafka-2", 9093)
        );
        let back = MetadataResponse::decode(&mut out.clone(), version).unwrap();
        let got: Vec<_> = back
            .brokers
            .iter()
            .map(|b| (b.node_id.0, b.host.to_string(), b.port))
            .collect();
        assert_eq!(
            got,
            vec![(1, HOST.to_owned(), 30001), (2, HOST.to_owned(), 30002)],
            "v{version}"
        );
    }
}

#[test]
fn metadata_topic_ids_are_recorded() {
    let id = Uuid::from_u128(0xfeed);
    let response = MetadataResponse::default().with_topics(vec![
        MetadataResponseTopic::default()
            .with_name(Some(TopicName(sb("orders"))))
            .with_topic_id(id),
    ]);
    let decoded = Decoded::decode(ApiKey::Metadata, 12, &encode_msg(&response, 12))
        .unwrap()
        .unwrap();
    let ids = TopicIds::default();
    decoded.record_topic_ids(&ids);
    assert_eq!(ids.name_of(&id).as_deref(), Some("orders"));
}

#[test]
fn find_coordinator_v0_to_v3_rewrites_the_top_level_address() {
    for version in 0..=3 {
        let response = FindCoordinatorResponse::default()
            .with_node_id(BrokerId(3))
            .with_host(sb("kafka-3"))
            .with_port(9094);
        let (brokers, out) = round_trip(
            ApiKey::FindCoordinator,
            version,
            encode_msg(&response, version),
        );
        assert_eq!(
            brokers,
            vec![BrokerAddr {
                node_id: 3,
                host: "kafka-3".into(),
                port: 9094
            }]
        );
        let back = FindCoordinatorResponse::decode(&mut out.clone(), version).unwrap();
        assert_eq!((back.host.as_str(), back.port), (HOST, 30003), "v{version}");
    }
}

#[test]
fn find_coordinator_v4_plus_rewrites_every_coordinator() {
    for version in 4..=FindCoordinatorResponse::VERSIONS.max {
        let response = FindCoordinatorResponse::default().with_coordinators(vec![
            Coordinator::default()
                .with_key(sb("group-a"))
                .with_node_id(BrokerId(1))
                .with_host(sb("kafka-1"))
                .with_port(9092),
            Coordinator::default()
                .with_key(sb("group-b"))
                .with_node_id(BrokerId(-1))
                .with_error_code(15)
                .with_port(-1),
        ]);
        let (brokers, out) = round_trip(
            ApiKey::FindCoordinator,
            version,
            encode_msg(&response, version),
        );
        assert_eq!(
            brokers.len(),
            1,
            "the errored coordinator carries no address"
        );
        let back = FindCoordinatorResponse::decode(&mut out.clone(), version).unwrap();
        assert_eq!(
            (
                back.coordinators[0].host.as_str(),
                back.coordinators[0].port
            ),
            (HOST, 30001)
        );
        assert_eq!(
            (
                back.coordinators[1].host.as_str(),
                back.coordinators[1].port
            ),
            ("", -1)
        );
    }
}

#[test]
fn find_coordinator_error_is_left_alone() {
    let response = FindCoordinatorResponse::default()
        .with_error_code(15)
        .with_node_id(BrokerId(-1))
        .with_port(-1);
    let (brokers, out) = round_trip(ApiKey::FindCoordinator, 1, encode_msg(&response, 1));
    assert!(brokers.is_empty());
    let back = FindCoordinatorResponse::decode(&mut out.clone(), 1).unwrap();
    assert_eq!((back.error_code, back.port), (15, -1));
}

#[test]
fn describe_cluster_brokers_are_rewritten_in_every_version() {
    for version in DescribeClusterResponse::VERSIONS.min..=DescribeClusterResponse::VERSIONS.max {
        let response = DescribeClusterResponse::default().with_brokers(vec![
            DescribeClusterBroker::default()
                .with_broker_id(BrokerId(2))
                .with_host(sb("kafka-2"))
                .with_port(9093),
        ]);
        let (_, out) = round_trip(
            ApiKey::DescribeCluster,
            version,
            encode_msg(&response, version),
        );
        let back = DescribeClusterResponse::decode(&mut out.clone(), version).unwrap();
        assert_eq!(
            (back.brokers[0].host.as_str(), back.brokers[0].port),
            (HOST, 30002),
            "v{version}"
        );
    }
}

#[test]
fn produce_node_endpoints_are_rewritten_from_v10() {
    for version in 10..=ProduceResponse::VERSIONS.max {
        let response = ProduceResponse::default().with_node_endpoints(vec![
            NodeEndpoint::default()
                .with_node_id(BrokerId(1))
                .with_host(sb("kafka-1"))
                .with_port(9092),
        ]);
        let body = encode_msg(&response, version);
        let decoded = Decoded::decode(ApiKey::Produce, version, &body)
            .unwrap()
            .unwrap();
        assert!(decoded.changed());
        let (_, out) = round_trip(ApiKey::Produce, version, body);
        let back = ProduceResponse::decode(&mut out.clone(), version).unwrap();
        assert_eq!(
            (
                back.node_endpoints[0].host.as_str(),
                back.node_endpoints[0].port
            ),
            (HOST, 30001)
        );
    }
    let plain = encode_msg(&ProduceResponse::default(), 11);
    assert!(
        !Decoded::decode(ApiKey::Produce, 11, &plain)
            .unwrap()
            .unwrap()
            .changed()
    );
    assert!(
        Decoded::decode(ApiKey::Produce, 9, &plain)
            .unwrap()
            .is_none()
    );
}

#[test]
fn api_versions_are_clamped_in_every_version() {
    for version in ApiVersionsResponse::VERSIONS.min..=ApiVersionsResponse::VERSIONS.max {
        let response = ApiVersionsResponse::default().with_api_keys(vec![
            ApiVersion::default()
                .with_api_key(0)
                .with_min_version(0)
                .with_max_version(20),
            ApiVersion::default()
                .with_api_key(36)
                .with_min_version(0)
                .with_max_version(2),
        ]);
        let (_, out) = round_trip(ApiKey::ApiVersions, version, encode_msg(&response, version));
        let back = ApiVersionsResponse::decode(&mut out.clone(), version).unwrap();
        let got: Vec<_> = back
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        assert_eq!(got, vec![(0, 0, 13), (36, 0, 2)], "v{version}");
    }
}

#[test]
fn api_versions_error_response_passes_through() {
    // A broker answers an unsupported ApiVersions version with a v0 body and error 35.
    let response = ApiVersionsResponse::default()
        .with_error_code(35)
        .with_api_keys(vec![
            ApiVersion::default()
                .with_api_key(18)
                .with_min_version(0)
                .with_max_version(3),
        ]);
    let body = encode_msg(&response, 0);
    assert!(
        Decoded::decode(ApiKey::ApiVersions, 4, &body)
            .unwrap()
            .is_none()
    );
}

#[test]
fn other_apis_are_not_decoded() {
    for api in [
        ApiKey::Fetch,
        ApiKey::SaslAuthenticate,
        ApiKey::SaslHandshake,
        ApiKey::JoinGroup,
    ] {
        assert!(
            Decoded::decode(api, 3, &Bytes::from_static(b"garbage"))
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn garbage_in_a_rewritten_api_is_a_decode_error() {
    for (api, version) in [
        (ApiKey::Metadata, 12),
        (ApiKey::Metadata, 1),
        (ApiKey::FindCoordinator, 4),
        (ApiKey::DescribeCluster, 0),
        (ApiKey::ApiVersions, 3),
    ] {
        let err = Decoded::decode(api, version, &Bytes::from_static(&[0, 0, 0xff, 0xff, 0xff]))
            .unwrap_err();
        assert!(matches!(err, RewriteError::Decode { .. }), "{api:?}: {err}");
    }
}

#[test]
fn missing_port_is_an_error_not_a_leak() {
    let response = MetadataResponse::default().with_brokers(vec![
        MetadataResponseBroker::default()
            .with_node_id(BrokerId(9))
            .with_host(sb("kafka-9"))
            .with_port(9092),
    ]);
    let mut decoded = Decoded::decode(ApiKey::Metadata, 9, &encode_msg(&response, 9))
        .unwrap()
        .unwrap();
    assert!(matches!(
        decoded.rewrite(&ports(), HOST),
        Err(RewriteError::MissingPort { node_id: 9, .. })
    ));
}

#[test]
fn forged_array_counts_are_refused_before_decoding() {
    // Metadata v1 claiming 2^31-1 brokers: kafka-protocol would reserve ~200 GB and abort.
    let body = Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    assert!(matches!(
        Decoded::decode(ApiKey::Metadata, 1, &body),
        Err(RewriteError::Decode { .. })
    ));
    // Flexible Metadata v12: compact count 0xffffffff in the brokers array.
    let body = Bytes::from_static(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(Decoded::decode(ApiKey::Metadata, 12, &body).is_err());
    // ApiVersions v3 with a forged supported_features count inside tagged field 0.
    let mut v3 = BytesMut::new();
    v3.extend_from_slice(&[0, 0, 1, 0, 0, 0, 0]); // error, empty api_keys, throttle
    v3.extend_from_slice(&[1, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f]); // tag 0, size 5
    assert!(Decoded::decode(ApiKey::ApiVersions, 3, &v3.freeze()).is_err());
}

#[test]
fn fully_populated_responses_pass_the_guard_in_every_version() {
    use kafka_protocol::messages::api_versions_response::SupportedFeatureKey;
    use kafka_protocol::messages::metadata_response::MetadataResponsePartition;
    use kafka_protocol::messages::produce_response::{
        BatchIndexAndErrorMessage, PartitionProduceResponse, TopicProduceResponse,
    };
    let partition = MetadataResponsePartition::default()
        .with_replica_nodes(vec![BrokerId(1), BrokerId(2)])
        .with_isr_nodes(vec![BrokerId(1)])
        .with_offline_replicas(vec![BrokerId(2)]);
    let metadata = MetadataResponse::default()
        .with_brokers(vec![
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(1))
                .with_host(sb("k"))
                .with_rack(Some(sb("r"))),
        ])
        .with_cluster_id(Some(sb("c")))
        .with_topics(vec![
            MetadataResponseTopic::default()
                .with_name(Some(TopicName(sb("t"))))
                .with_partitions(vec![partition.clone(), partition]),
        ]);
    for v in 0..=13 {
        let body = encode_msg(&metadata, v);
        assert!(
            guard::check(ApiKey::Metadata, v, &body).is_ok(),
            "metadata v{v}"
        );
    }
    let produce = ProduceResponse::default()
        .with_responses(vec![
            TopicProduceResponse::default()
                .with_name(TopicName(sb("t")))
                .with_partition_responses(vec![
                    PartitionProduceResponse::default()
                        .with_record_errors(vec![
                            BatchIndexAndErrorMessage::default()
                                .with_batch_index(3)
                                .with_batch_index_error_message(Some(sb("bad"))),
                        ])
                        .with_error_message(Some(sb("bad"))),
                ]),
        ])
        .with_node_endpoints(vec![
            NodeEndpoint::default()
                .with_node_id(BrokerId(1))
                .with_host(sb("k")),
        ]);
    for v in 3..=13 {
        let body = encode_msg(&produce, v);
        assert!(
            guard::check(ApiKey::Produce, v, &body).is_ok(),
            "produce v{v}"
        );
    }
    let api_versions = ApiVersionsResponse::default()
        .with_api_keys(vec![
            ApiVersion::default().with_api_key(3).with_max_version(12),
        ])
        .with_supported_features(vec![
            SupportedFeatureKey::default()
                .with_name(sb("f"))
                .with_max_version(1),
        ]);
    for v in 0..=4 {
        let body = encode_msg(&api_versions, v);
        assert!(
            guard::check(ApiKey::ApiVersions, v, &body).is_ok(),
            "api_versions v{v}"
        );
    }
    for v in 0..=6 {
        let coordinator = if v < 4 {
            FindCoordinatorResponse::default()
                .with_error_message((v >= 1).then(|| sb("m")))
                .with_host(sb("k"))
        } else {
            FindCoordinatorResponse::default().with_coordinators(vec![
                Coordinator::default().with_key(sb("g")).with_host(sb("k")),
            ])
        };
        let body = encode_msg(&coordinator, v);
        assert!(
            guard::check(ApiKey::FindCoordinator, v, &body).is_ok(),
            "find_coordinator v{v}"
        );
    }
    let cluster = DescribeClusterResponse::default()
        .with_cluster_id(sb("c"))
        .with_brokers(vec![
            DescribeClusterBroker::default()
                .with_host(sb("k"))
                .with_rack(Some(sb("r"))),
        ]);
    for v in 0..=2 {
        let body = encode_msg(&cluster, v);
        assert!(
            guard::check(ApiKey::DescribeCluster, v, &body).is_ok(),
            "describe_cluster v{v}"
        );
    }
}

proptest::proptest! {
    /// Arbitrary broker bytes for any decoded API and version are an error or a response,
    /// never a panic or an abort.
    #[test]
    fn arbitrary_response_bytes_never_crash(
        api in proptest::sample::select(vec![
            ApiKey::Metadata, ApiKey::FindCoordinator, ApiKey::DescribeCluster,
            ApiKey::ApiVersions, ApiKey::Produce,
        ]),
        version in 0i16..=13,
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..96),
    ) {
        let _ = Decoded::decode(api, version, &Bytes::from(bytes));
    }
}
