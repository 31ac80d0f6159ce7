//! The proxy under test, in process: bootstrap listener on an ephemeral loopback port and one
//! ephemeral port per upstream broker (`broker_port_base: 0`), advertising 127.0.0.1.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use schemagate::app::App;
use schemagate::config::Config;

/// A running proxy plus what the tests need to know about it.
pub struct Proxy {
    pub app: App,
}

/// Starts the proxy in front of `upstream` (comma-separated bootstrap servers).
pub async fn start_proxy(upstream: &str) -> Proxy {
    start_proxy_with(upstream, "").await
}

/// Like [`start_proxy`] with extra top-level YAML configuration lines (e.g. `limits`).
pub async fn start_proxy_with(upstream: &str, extra_yaml: &str) -> Proxy {
    let servers: Vec<String> = upstream.split(',').map(|s| format!("\"{s}\"")).collect();
    let yaml = format!(
        "listen: \"127.0.0.1:0\"\n\
         bootstrap_servers: [{}]\n\
         advertised_host: \"127.0.0.1\"\n\
         broker_port_base: 0\n\
         admin_listen: \"127.0.0.1:0\"\n\
         {extra_yaml}",
        servers.join(", ")
    );
    let config: Config = serde_yaml_ng::from_str(&yaml)
        .unwrap_or_else(|error| panic!("test proxy config rejected: {error}\n{yaml}"));
    let app = App::start(config)
        .await
        .unwrap_or_else(|error| panic!("proxy did not start: {error}"));
    Proxy { app }
}

impl Proxy {
    /// The client-facing bootstrap address.
    pub fn bootstrap(&self) -> String {
        self.app.bootstrap_addr().to_string()
    }

    pub fn bootstrap_addr(&self) -> SocketAddr {
        self.app.bootstrap_addr()
    }

    /// The proxy listener for upstream broker `node_id`; panics if there is none.
    pub fn broker_addr(&self, node_id: i32) -> SocketAddr {
        self.app
            .broker_addr(node_id)
            .unwrap_or_else(|| panic!("the proxy has no listener for broker {node_id}"))
    }

    /// Every address a client of this proxy may legitimately connect to, as `host:port`:
    /// the bootstrap listener and the listeners of `node_ids`.
    pub fn addresses(&self, node_ids: &[i32]) -> BTreeSet<String> {
        let mut addresses: BTreeSet<String> = node_ids
            .iter()
            .map(|id| self.broker_addr(*id).to_string())
            .collect();
        addresses.insert(self.bootstrap());
        addresses
    }

    /// Asserts that every address in `seen` is one of this proxy's (`what` names the source).
    pub fn assert_only_proxy_addresses<'a>(
        &self,
        node_ids: &[i32],
        seen: impl IntoIterator<Item = &'a str>,
        what: &str,
    ) {
        let allowed = self.addresses(node_ids);
        for address in seen {
            assert!(
                allowed.contains(address),
                "{what}: {address} is not a proxy address (proxy listens on {allowed:?})"
            );
        }
    }
}

impl Proxy {
    /// Asserts that each learned broker is exactly this proxy's listener for its node id.
    pub fn assert_rewritten(&self, learned: &[super::learned::LearnedBroker], what: &str) {
        assert!(!learned.is_empty(), "{what}: no brokers in the response");
        for broker in learned {
            let expected = self.broker_addr(broker.node_id).to_string();
            assert_eq!(
                broker.address, expected,
                "{what}: node {} is advertised at {} instead of the proxy's {expected}",
                broker.node_id, broker.address
            );
        }
    }
}
