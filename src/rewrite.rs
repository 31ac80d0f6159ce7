//! Responses that carry broker addresses, decoded, rewritten to proxy addresses and re-encoded
//! with the version they arrived in; plus the ApiVersions clamp ([`api_versions`]).
//!
//! Invariant: a response of an API in [`decodes_response`] is either rewritten completely or
//! not relayed at all ([`RewriteError`] closes the connection); a broker address never reaches
//! a client un-rewritten. Every other response is relayed as the original bytes.

pub mod api_versions;
pub(crate) mod guard;

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, DescribeClusterResponse, FindCoordinatorResponse,
    MetadataResponse, ProduceResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use crate::topology::TopicIds;

/// Why a response that must be rewritten could not be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RewriteError {
    #[error("cannot decode {api:?} v{version} response: {reason}")]
    Decode {
        api: ApiKey,
        version: i16,
        reason: String,
    },
    #[error("cannot encode {api:?} v{version} response: {reason}")]
    Encode {
        api: ApiKey,
        version: i16,
        reason: String,
    },
    #[error("{api:?} response names broker {node_id} but no proxy port was assigned to it")]
    MissingPort { api: ApiKey, node_id: i32 },
}

/// An upstream broker address found in a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
}

/// True when responses of this API and version are decoded (and possibly rewritten).
pub fn decodes_response(api: ApiKey, version: i16) -> bool {
    match api {
        ApiKey::ApiVersions
        | ApiKey::Metadata
        | ApiKey::FindCoordinator
        | ApiKey::DescribeCluster => true,
        // KIP-951: Produce v10+ may carry leader endpoints (`node_endpoints`).
        ApiKey::Produce => version >= 10,
        _ => false,
    }
}

/// A decoded response that may need rewriting.
#[derive(Debug)]
pub enum Decoded {
    ApiVersions(ApiVersionsResponse),
    Metadata(MetadataResponse),
    FindCoordinator(FindCoordinatorResponse),
    DescribeCluster(DescribeClusterResponse),
    Produce(ProduceResponse),
}

impl Decoded {
    /// Decode a response body (after the response header). `Ok(None)` means "relay the
    /// original bytes": the API is not decoded, or it is an ApiVersions error response, which
    /// brokers always send in the v0 layout so the client can retry with a lower version.
    pub fn decode(
        api: ApiKey,
        version: i16,
        body: &Bytes,
    ) -> Result<Option<Decoded>, RewriteError> {
        if !decodes_response(api, version) {
            return Ok(None);
        }
        if api == ApiKey::ApiVersions && body.get(..2).is_some_and(|code| code != [0, 0]) {
            return Ok(None);
        }
        let fail = |reason: String| RewriteError::Decode {
            api,
            version,
            reason,
        };
        guard::check(api, version, body).map_err(|e| fail(e.to_string()))?;
        let mut buf = body.clone();
        let decoded = match api {
            ApiKey::ApiVersions => Decoded::ApiVersions(decode(&mut buf, version).map_err(fail)?),
            ApiKey::Metadata => Decoded::Metadata(decode(&mut buf, version).map_err(fail)?),
            ApiKey::FindCoordinator => {
                Decoded::FindCoordinator(decode(&mut buf, version).map_err(fail)?)
            }
            ApiKey::DescribeCluster => {
                Decoded::DescribeCluster(decode(&mut buf, version).map_err(fail)?)
            }
            ApiKey::Produce => Decoded::Produce(decode(&mut buf, version).map_err(fail)?),
            _ => return Ok(None),
        };
        Ok(Some(decoded))
    }

    /// Every valid broker address in the response (entries with an error or a negative node
    /// id, such as a FindCoordinator error, carry none).
    pub fn brokers(&self) -> Vec<BrokerAddr> {
        let addr = |node_id: i32, host: &StrBytes, port: i32| BrokerAddr {
            node_id,
            host: host.as_str().to_owned(),
            port,
        };
        match self {
            Decoded::ApiVersions(_) => Vec::new(),
            Decoded::Metadata(m) => m
                .brokers
                .iter()
                .map(|b| addr(b.node_id.0, &b.host, b.port))
                .collect(),
            Decoded::FindCoordinator(f) => {
                let mut out: Vec<BrokerAddr> = f
                    .coordinators
                    .iter()
                    .filter(|c| c.error_code == 0 && c.node_id.0 >= 0)
                    .map(|c| addr(c.node_id.0, &c.host, c.port))
                    .collect();
                if f.error_code == 0 && f.node_id.0 >= 0 && !f.host.is_empty() {
                    out.push(addr(f.node_id.0, &f.host, f.port));
                }
                out
            }
            Decoded::DescribeCluster(d) => d
                .brokers
                .iter()
                .map(|b| addr(b.broker_id.0, &b.host, b.port))
                .collect(),
            Decoded::Produce(p) => p
                .node_endpoints
                .iter()
                .map(|n| addr(n.node_id.0, &n.host, n.port))
                .collect(),
        }
    }

    /// Replace every broker address with `advertised_host` and the node's proxy port, and
    /// clamp ApiVersions.
    pub fn rewrite(
        &mut self,
        ports: &HashMap<i32, u16>,
        advertised_host: &str,
    ) -> Result<(), RewriteError> {
        let host = StrBytes::from_string(advertised_host.to_owned());
        match self {
            Decoded::ApiVersions(a) => {
                api_versions::clamp_api_versions(a);
                Ok(())
            }
            Decoded::Metadata(m) => rewrite_metadata(m, ports, &host),
            Decoded::FindCoordinator(f) => rewrite_find_coordinator(f, ports, &host),
            Decoded::DescribeCluster(d) => rewrite_describe_cluster(d, ports, &host),
            Decoded::Produce(p) => rewrite_produce(p, ports, &host),
        }
    }

    /// Record topic id → name pairs (Metadata v10+ carries topic ids).
    pub fn record_topic_ids(&self, topic_ids: &TopicIds) {
        if let Decoded::Metadata(m) = self {
            for topic in &m.topics {
                if let Some(name) = &topic.name {
                    topic_ids.insert(topic.topic_id, name.0.as_str());
                }
            }
        }
    }

    /// True when re-encoding is needed (a Produce response without leader endpoints is
    /// relayed as its original bytes).
    pub fn changed(&self) -> bool {
        match self {
            Decoded::Produce(p) => !p.node_endpoints.is_empty(),
            _ => true,
        }
    }

    pub fn encode(&self, version: i16) -> Result<Bytes, RewriteError> {
        let (api, result) = match self {
            Decoded::ApiVersions(m) => (ApiKey::ApiVersions, encode(m, version)),
            Decoded::Metadata(m) => (ApiKey::Metadata, encode(m, version)),
            Decoded::FindCoordinator(m) => (ApiKey::FindCoordinator, encode(m, version)),
            Decoded::DescribeCluster(m) => (ApiKey::DescribeCluster, encode(m, version)),
            Decoded::Produce(m) => (ApiKey::Produce, encode(m, version)),
        };
        result.map_err(|reason| RewriteError::Encode {
            api,
            version,
            reason,
        })
    }
}

/// Decode a whole message; kafka-protocol's error is reduced to its text.
fn decode<T: Decodable>(buf: &mut Bytes, version: i16) -> Result<T, String> {
    T::decode(buf, version).map_err(|e| format!("{e:#}"))
}

fn encode<T: Encodable>(message: &T, version: i16) -> Result<Bytes, String> {
    let mut out = BytesMut::new();
    message
        .encode(&mut out, version)
        .map_err(|e| format!("{e:#}"))?;
    Ok(out.freeze())
}

fn port_of(api: ApiKey, ports: &HashMap<i32, u16>, node_id: i32) -> Result<i32, RewriteError> {
    ports
        .get(&node_id)
        .map(|p| i32::from(*p))
        .ok_or(RewriteError::MissingPort { api, node_id })
}

/// Metadata (all versions): `brokers[].host/port`.
pub fn rewrite_metadata(
    m: &mut MetadataResponse,
    ports: &HashMap<i32, u16>,
    host: &StrBytes,
) -> Result<(), RewriteError> {
    for b in &mut m.brokers {
        b.port = port_of(ApiKey::Metadata, ports, b.node_id.0)?;
        b.host = host.clone();
    }
    Ok(())
}

/// FindCoordinator v0–3: top-level `node_id/host/port`; v4+: `coordinators[]`.
pub fn rewrite_find_coordinator(
    f: &mut FindCoordinatorResponse,
    ports: &HashMap<i32, u16>,
    host: &StrBytes,
) -> Result<(), RewriteError> {
    if f.error_code == 0 && f.node_id.0 >= 0 && !f.host.is_empty() {
        f.port = port_of(ApiKey::FindCoordinator, ports, f.node_id.0)?;
        f.host = host.clone();
    }
    for c in &mut f.coordinators {
        if c.error_code == 0 && c.node_id.0 >= 0 {
            c.port = port_of(ApiKey::FindCoordinator, ports, c.node_id.0)?;
            c.host = host.clone();
        }
    }
    Ok(())
}

/// DescribeCluster (all versions): `brokers[].host/port`.
pub fn rewrite_describe_cluster(
    d: &mut DescribeClusterResponse,
    ports: &HashMap<i32, u16>,
    host: &StrBytes,
) -> Result<(), RewriteError> {
    for b in &mut d.brokers {
        b.port = port_of(ApiKey::DescribeCluster, ports, b.broker_id.0)?;
        b.host = host.clone();
    }
    Ok(())
}

/// Produce v10+: `node_endpoints[]` (new leaders after NOT_LEADER_OR_FOLLOWER, KIP-951).
pub fn rewrite_produce(
    p: &mut ProduceResponse,
    ports: &HashMap<i32, u16>,
    host: &StrBytes,
) -> Result<(), RewriteError> {
    for n in &mut p.node_endpoints {
        n.port = port_of(ApiKey::Produce, ports, n.node_id.0)?;
        n.host = host.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
