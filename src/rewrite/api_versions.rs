//! The ApiVersions clamp: a client must never pick a version of a decoded API that this build
//! of kafka-protocol cannot decode, nor a version whose responses carry broker addresses the
//! proxy does not rewrite.
//!
//! Invariant: only the max version is lowered. Minimum versions stay as the broker lists them
//! (KAFKA-18659: librdkafka needs Produce v0–2 still listed even though Kafka 4 removed them).
//! APIs not named here are listed exactly as the broker says.

use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, DescribeClusterResponse, FindCoordinatorResponse,
    MetadataResponse, ProduceRequest, ProduceResponse,
};
use kafka_protocol::messages::{
    ApiVersionsRequest, DescribeClusterRequest, FindCoordinatorRequest, MetadataRequest,
};
use kafka_protocol::protocol::Message;

/// Highest Fetch version without `node_endpoints` (added in v16, KIP-951), which would leak
/// broker addresses through a response the proxy relays opaquely.
pub const FETCH_MAX_VERSION: i16 = 15;

/// Highest version the proxy accepts for `api`, when it limits that API at all.
pub fn max_supported_version(api: ApiKey) -> Option<i16> {
    let both = |req: i16, resp: i16| Some(req.min(resp));
    match api {
        ApiKey::Produce => both(ProduceRequest::VERSIONS.max, ProduceResponse::VERSIONS.max),
        ApiKey::Metadata => both(
            MetadataRequest::VERSIONS.max,
            MetadataResponse::VERSIONS.max,
        ),
        ApiKey::FindCoordinator => both(
            FindCoordinatorRequest::VERSIONS.max,
            FindCoordinatorResponse::VERSIONS.max,
        ),
        ApiKey::DescribeCluster => both(
            DescribeClusterRequest::VERSIONS.max,
            DescribeClusterResponse::VERSIONS.max,
        ),
        ApiKey::ApiVersions => both(
            ApiVersionsRequest::VERSIONS.max,
            ApiVersionsResponse::VERSIONS.max,
        ),
        ApiKey::Fetch => Some(FETCH_MAX_VERSION),
        _ => None,
    }
}

/// APIs removed from the list: every version of their responses carries broker endpoints
/// (share groups, KIP-932) and the proxy does not rewrite them.
fn is_hidden(api_key: i16) -> bool {
    api_key == ApiKey::ShareFetch as i16 || api_key == ApiKey::ShareAcknowledge as i16
}

/// Lower max versions to what the proxy supports; drop an API whose broker minimum is above
/// that (no version would work) and the hidden ones.
pub fn clamp_api_versions(response: &mut ApiVersionsResponse) {
    response.api_keys.retain_mut(|entry| {
        if is_hidden(entry.api_key) {
            return false;
        }
        let Some(max) = ApiKey::try_from(entry.api_key)
            .ok()
            .and_then(max_supported_version)
        else {
            return true;
        };
        if entry.min_version > max {
            tracing::warn!(
                api_key = entry.api_key,
                broker_min = entry.min_version,
                proxy_max = max,
                "broker's minimum version is above what the proxy can decode; hiding this API"
            );
            return false;
        }
        entry.max_version = entry.max_version.min(max);
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::api_versions_response::ApiVersion;

    fn entry(key: ApiKey, min: i16, max: i16) -> ApiVersion {
        ApiVersion::default()
            .with_api_key(key as i16)
            .with_min_version(min)
            .with_max_version(max)
    }

    fn find(resp: &ApiVersionsResponse, key: i16) -> Option<(i16, i16)> {
        resp.api_keys
            .iter()
            .find(|e| e.api_key == key)
            .map(|e| (e.min_version, e.max_version))
    }

    #[test]
    fn clamps_decoded_apis_and_keeps_produce_minimum() {
        let mut resp = ApiVersionsResponse::default().with_api_keys(vec![
            entry(ApiKey::Produce, 0, 99),
            entry(ApiKey::Metadata, 0, 99),
            entry(ApiKey::FindCoordinator, 0, 99),
            entry(ApiKey::DescribeCluster, 0, 99),
            entry(ApiKey::ApiVersions, 0, 99),
            entry(ApiKey::Fetch, 4, 18),
        ]);
        clamp_api_versions(&mut resp);
        assert_eq!(find(&resp, 0), Some((0, 13)));
        assert_eq!(find(&resp, 3), Some((0, 13)));
        assert_eq!(find(&resp, 10), Some((0, 6)));
        assert_eq!(find(&resp, 60), Some((0, 2)));
        assert_eq!(find(&resp, 18), Some((0, 4)));
        assert_eq!(find(&resp, 1), Some((4, 15)));
    }

    #[test]
    fn leaves_lower_maxima_and_other_apis_alone() {
        let mut resp = ApiVersionsResponse::default().with_api_keys(vec![
            entry(ApiKey::Metadata, 0, 9),
            entry(ApiKey::JoinGroup, 0, 9),
            entry(ApiKey::SaslAuthenticate, 0, 2),
            ApiVersion::default()
                .with_api_key(999)
                .with_min_version(0)
                .with_max_version(42),
        ]);
        clamp_api_versions(&mut resp);
        assert_eq!(find(&resp, 3), Some((0, 9)));
        assert_eq!(find(&resp, ApiKey::JoinGroup as i16), Some((0, 9)));
        assert_eq!(find(&resp, ApiKey::SaslAuthenticate as i16), Some((0, 2)));
        assert_eq!(find(&resp, 999), Some((0, 42)));
    }

    #[test]
    fn hides_share_apis_and_apis_beyond_our_decoder() {
        let mut resp = ApiVersionsResponse::default().with_api_keys(vec![
            entry(ApiKey::ShareFetch, 1, 1),
            entry(ApiKey::ShareAcknowledge, 1, 1),
            entry(ApiKey::Metadata, 50, 60),
        ]);
        clamp_api_versions(&mut resp);
        assert!(resp.api_keys.is_empty());
    }

    /// Fails when a `cargo update` of kafka-protocol changes what we can decode, so the clamp
    /// table and the rewrite tests get reviewed together.
    #[test]
    fn backlog_versions_match_this_kafka_protocol_build() {
        assert_eq!(max_supported_version(ApiKey::Produce), Some(13));
        assert_eq!(max_supported_version(ApiKey::Metadata), Some(13));
        assert_eq!(max_supported_version(ApiKey::FindCoordinator), Some(6));
        assert_eq!(max_supported_version(ApiKey::DescribeCluster), Some(2));
        assert_eq!(max_supported_version(ApiKey::ApiVersions), Some(4));
    }
}
