//! Configuration: a YAML or TOML file (chosen by extension), overridden by command-line flags.
//!
//! Invariants: unknown keys are rejected at parse time ([`serde`] `deny_unknown_fields`), and
//! [`Config::validate`] reports every semantic problem at once so an operator fixes them in one
//! pass. The `registry`, `embedded_registry` and `policy` sections belong to their modules.

mod duration;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The whole configuration.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Client-facing bootstrap listener.
    pub listen: SocketAddr,
    /// Upstream cluster bootstrap servers (`HOST:PORT`); required.
    pub bootstrap_servers: Vec<String>,
    /// The host clients see in rewritten broker addresses (Metadata, FindCoordinator, ...).
    pub advertised_host: String,
    /// Proxy port of broker `n` is `broker_port_base + n`; 0 binds an ephemeral port per broker.
    pub broker_port_base: u16,
    /// Node ids the proxy accepts; `broker_port_base + node_id` must be a valid port.
    pub node_id_range: NodeIdRange,
    /// Listener for `/health`, `/ready` and `/metrics`; none when unset.
    pub admin_listen: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub limits: LimitsConfig,
    pub registry: crate::registry::RegistryConfig,
    pub embedded_registry: crate::schema_registry::EmbeddedRegistryConfig,
    pub policy: crate::policy::PolicyConfig,
}

/// Inclusive range of upstream node ids that get a proxy listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeIdRange {
    pub min: i32,
    pub max: i32,
}

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// Resource limits and timeouts. Durations accept `250ms`, `30s`, `10m`, `1h` or milliseconds.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Client connections open at once (bootstrap + broker listeners); extra ones are closed.
    pub max_connections: usize,
    /// Largest request frame a client may send (Kafka's `socket.request.max.bytes`).
    pub max_frame_bytes: usize,
    /// Largest response frame accepted from a broker (Fetch responses can be large).
    pub max_response_frame_bytes: usize,
    /// A connection with no request for this long and nothing in flight is closed
    /// (Kafka's `connections.max.idle.ms`).
    #[serde(with = "duration")]
    pub idle_timeout: Duration,
    /// Time allowed to open one upstream TCP connection.
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// After a shutdown signal, how long in-flight requests may take before connections are cut.
    #[serde(with = "duration")]
    pub shutdown_grace: Duration,
}

/// Loading errors (semantic problems come from [`Config::validate`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid YAML in {path}: {reason}")]
    Yaml { path: String, reason: String },
    #[error("invalid TOML in {path}: {reason}")]
    Toml { path: String, reason: String },
    #[error("config file {path} must end in .yaml, .yml or .toml")]
    UnknownExtension { path: String },
    #[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 9092)),
            bootstrap_servers: Vec::new(),
            advertised_host: "127.0.0.1".to_owned(),
            broker_port_base: 0,
            node_id_range: NodeIdRange::default(),
            admin_listen: None,
            log_format: LogFormat::Human,
            limits: LimitsConfig::default(),
            registry: Default::default(),
            embedded_registry: Default::default(),
            policy: Default::default(),
        }
    }
}

impl Default for NodeIdRange {
    fn default() -> Self {
        NodeIdRange { min: 0, max: 9999 }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_connections: 10_000,
            max_frame_bytes: 104_857_600,
            max_response_frame_bytes: 268_435_456,
            idle_timeout: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// Parse a YAML (`.yaml`/`.yml`) or TOML (`.toml`) file. Does not call [`Config::validate`].
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Self::from_yaml(&text).map_err(|reason| ConfigError::Yaml {
                path: shown,
                reason,
            }),
            Some("toml") => Self::from_toml(&text).map_err(|reason| ConfigError::Toml {
                path: shown,
                reason,
            }),
            _ => Err(ConfigError::UnknownExtension { path: shown }),
        }
    }

    pub fn from_yaml(text: &str) -> Result<Config, String> {
        // An empty YAML document is `null`, which means "all defaults".
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())
    }

    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Every semantic problem, one message each; empty when the configuration is usable.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.bootstrap_servers.is_empty() {
            problems.push(
                "bootstrap_servers: at least one upstream HOST:PORT is required \
                 (--bootstrap-servers or SCHEMAGATE_BOOTSTRAP_SERVERS)"
                    .to_owned(),
            );
        }
        for server in &self.bootstrap_servers {
            if let Err(reason) = check_host_port(server) {
                problems.push(format!("bootstrap_servers: {server:?} {reason}"));
            }
        }
        if self.advertised_host.trim().is_empty()
            || self.advertised_host.contains(char::is_whitespace)
        {
            problems.push(format!(
                "advertised_host: {:?} is not a host name or address",
                self.advertised_host
            ));
        }
        self.validate_node_ids(&mut problems);
        self.validate_limits(&mut problems);
        if let Some(admin) = self.admin_listen
            && admin == self.listen
            && admin.port() != 0
        {
            problems.push(format!(
                "admin_listen: {admin} is the same address as listen"
            ));
        }
        problems
    }

    fn validate_node_ids(&self, problems: &mut Vec<String>) {
        let NodeIdRange { min, max } = self.node_id_range;
        if min < 0 || min > max {
            problems.push(format!(
                "node_id_range: min {min} and max {max} must satisfy 0 <= min <= max"
            ));
        }
        if self.broker_port_base != 0 {
            let base = i64::from(self.broker_port_base);
            if base + i64::from(max) > 65_535 {
                problems.push(format!(
                    "node_id_range: broker_port_base {base} + max node id {max} exceeds port 65535"
                ));
            }
            let listen = i64::from(self.listen.port());
            if (base + i64::from(min)..=base + i64::from(max)).contains(&listen) {
                problems.push(format!(
                    "listen: port {listen} falls inside the broker port range \
                     {}..={}",
                    base + i64::from(min),
                    base + i64::from(max)
                ));
            }
        }
    }

    fn validate_limits(&self, problems: &mut Vec<String>) {
        let l = &self.limits;
        if l.max_connections == 0 {
            problems.push("limits.max_connections: must be at least 1".to_owned());
        }
        // A request frame holds at least api key, version, correlation id and client id length.
        if l.max_frame_bytes < 64 || l.max_frame_bytes > i32::MAX as usize {
            problems.push(format!(
                "limits.max_frame_bytes: {} must be between 64 and {}",
                l.max_frame_bytes,
                i32::MAX
            ));
        }
        if l.max_response_frame_bytes < 64 || l.max_response_frame_bytes > i32::MAX as usize {
            problems.push(format!(
                "limits.max_response_frame_bytes: {} must be between 64 and {}",
                l.max_response_frame_bytes,
                i32::MAX
            ));
        }
        for (name, value) in [
            ("idle_timeout", l.idle_timeout),
            ("connect_timeout", l.connect_timeout),
        ] {
            if value.is_zero() {
                problems.push(format!("limits.{name}: must be greater than zero"));
            }
        }
    }
}

/// `HOST:PORT` with a non-empty host and a numeric port.
fn check_host_port(value: &str) -> Result<(), &'static str> {
    let (host, port) = value.rsplit_once(':').ok_or("is not HOST:PORT")?;
    if host.is_empty() {
        return Err("has an empty host");
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err("has no valid port (1-65535)"),
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests;
