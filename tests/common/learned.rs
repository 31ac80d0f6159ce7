//! The broker addresses a client learns, asked for directly with raw requests so every
//! version range of every address-carrying response can be checked, whatever clients pick.

use std::net::SocketAddr;

use kafka_protocol::messages::{
    DescribeClusterRequest, FindCoordinatorRequest, MetadataRequest, MetadataResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::wire::KafkaConnection;

/// A broker address as a response states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedBroker {
    pub node_id: i32,
    pub address: String,
}

fn learned(node_id: i32, host: &str, port: i32) -> LearnedBroker {
    LearnedBroker {
        node_id,
        address: format!("{host}:{port}"),
    }
}

/// Metadata (all topics, or `topics`) at `version`.
pub async fn metadata(addr: SocketAddr, version: i16, topics: Option<&[&str]>) -> MetadataResponse {
    let mut connection = KafkaConnection::connect(addr).await;
    let topics = topics.map(|names| {
        names
            .iter()
            .map(|name| {
                kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
                    .with_name(Some(StrBytes::from_string((*name).to_owned()).into()))
            })
            .collect()
    });
    let topics = if version == 0 {
        Some(topics.unwrap_or_default())
    } else {
        topics
    };
    connection
        .request(&MetadataRequest::default().with_topics(topics), version)
        .await
}

/// The brokers of a Metadata response at `version`.
pub async fn metadata_brokers(addr: SocketAddr, version: i16) -> Vec<LearnedBroker> {
    let response = metadata(addr, version, None).await;
    response
        .brokers
        .iter()
        .map(|b| learned(b.node_id.0, &b.host, b.port))
        .collect()
}

/// The coordinator(s) FindCoordinator names for `key` (`key_type` 0 = group, 1 = transaction).
/// v0–3 carry one host/port; v4+ a `coordinators` list.
pub async fn find_coordinator(
    addr: SocketAddr,
    version: i16,
    key_type: i8,
    key: &str,
) -> Vec<LearnedBroker> {
    let mut connection = KafkaConnection::connect(addr).await;
    let key = StrBytes::from_string(key.to_owned());
    let mut request = FindCoordinatorRequest::default().with_key_type(key_type);
    request = if version >= 4 {
        request.with_coordinator_keys(vec![key])
    } else {
        request.with_key(key)
    };
    let response = connection.request(&request, version).await;
    if version >= 4 {
        for coordinator in &response.coordinators {
            assert_eq!(
                coordinator.error_code, 0,
                "FindCoordinator v{version}: {coordinator:?}"
            );
        }
        response
            .coordinators
            .iter()
            .map(|c| learned(c.node_id.0, &c.host, c.port))
            .collect()
    } else {
        assert_eq!(
            response.error_code, 0,
            "FindCoordinator v{version}: {response:?}"
        );
        vec![learned(response.node_id.0, &response.host, response.port)]
    }
}

/// The brokers of a DescribeCluster response at `version`.
pub async fn describe_cluster_brokers(addr: SocketAddr, version: i16) -> Vec<LearnedBroker> {
    let mut connection = KafkaConnection::connect(addr).await;
    let response = connection
        .request(&DescribeClusterRequest::default(), version)
        .await;
    assert_eq!(
        response.error_code, 0,
        "DescribeCluster v{version}: {response:?}"
    );
    response
        .brokers
        .iter()
        .map(|b| learned(b.broker_id.0, &b.host, b.port))
        .collect()
}
