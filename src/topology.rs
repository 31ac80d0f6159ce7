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
