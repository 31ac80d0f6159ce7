use kafka_protocol::protocol::Decodable;

use super::*;

#[test]
fn unsupported_api_versions_answer_is_a_v0_error_listing_our_range() {
    let frame = unsupported_api_versions(41);
    let (corr, _, body) = frame::split_response(&frame, 0).unwrap();
    assert_eq!(corr, 41);
    let mut body = body;
    let response = ApiVersionsResponse::decode(&mut body, 0).unwrap();
    assert_eq!(response.error_code, UNSUPPORTED_VERSION);
    assert_eq!(response.api_keys.len(), 1);
    assert_eq!(response.api_keys[0].max_version, 4);
}

#[test]
fn every_error_names_its_side() {
    assert_eq!(
        SessionError::ClientFrame(CodecError::NegativeLength(-1)).side(),
        Side::Client
    );
    assert_eq!(SessionError::Unsolicited.side(), Side::Broker);
    assert_eq!(SessionError::PolicyClose("x".into()).side(), Side::Proxy);
}
