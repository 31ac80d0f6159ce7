//! What the proxy knows about the upstream cluster: brokers by node id and topic ids.

use std::collections::HashMap;
use std::sync::RwLock;

use uuid::Uuid;

/// Topic-id → topic-name map, filled from every Metadata response the proxy relays.
/// Produce v13 (KIP-516) names topics by id; enforcement needs the name for its rules.
#[derive(Debug, Default)]
pub struct TopicIds {
    names: RwLock<HashMap<Uuid, String>>,
}

impl TopicIds {
    pub fn insert(&self, id: Uuid, name: &str) {
        if id.is_nil() {
            return;
        }
        if let Ok(mut map) = self.names.write() {
            map.insert(id, name.to_owned());
        }
    }

    pub fn name_of(&self, id: &Uuid) -> Option<String> {
        self.names.read().ok().and_then(|m| m.get(id).cloned())
    }
}

/// Upstream broker addresses by node id, learned from the responses the proxy relays.
/// A broker's proxy listener connects to the address recorded here at connect time, so a
/// broker that moves is followed on the next connection.
#[derive(Debug, Default)]
pub struct Brokers {
    upstream: RwLock<HashMap<i32, String>>,
}

impl Brokers {
    /// Record (or update) the upstream `host:port` of `node_id`.
    pub fn record(&self, node_id: i32, host: &str, port: i32) {
        let addr = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        if let Ok(mut map) = self.upstream.write() {
            map.insert(node_id, addr);
        }
    }

    /// The upstream `host:port` of `node_id`, if seen.
    pub fn upstream_of(&self, node_id: i32) -> Option<String> {
        self.upstream
            .read()
            .ok()
            .and_then(|m| m.get(&node_id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_ids_ignore_the_nil_uuid() {
        let ids = TopicIds::default();
        let id = Uuid::from_u128(7);
        ids.insert(id, "orders");
        ids.insert(Uuid::nil(), "ignored");
        assert_eq!(ids.name_of(&id).as_deref(), Some("orders"));
        assert_eq!(ids.name_of(&Uuid::nil()), None);
    }

    #[test]
    fn brokers_follow_the_latest_address_and_bracket_ipv6() {
        let brokers = Brokers::default();
        brokers.record(1, "kafka-1", 9092);
        brokers.record(1, "kafka-1b", 9093);
        brokers.record(2, "::1", 9092);
        assert_eq!(brokers.upstream_of(1).as_deref(), Some("kafka-1b:9093"));
        assert_eq!(brokers.upstream_of(2).as_deref(), Some("[::1]:9092"));
        assert_eq!(brokers.upstream_of(3), None);
    }
}
