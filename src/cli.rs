//! Command line: `schemagate serve [--config FILE] [flags]`. Flags (and their `SCHEMAGATE_*`
//! environment variables) override the file, so a sidecar needs no file at all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::config::{Config, ConfigError, LogFormat};
use crate::policy::Level;

#[derive(Debug, Parser)]
#[command(
    name = "schemagate",
    version,
    about = "Kafka proxy that enforces Confluent-framed schemas"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy (with the embedded schema registry unless --registry-url is given).
    Serve(ServeArgs),
    /// Run only the embedded schema registry (state in the cluster's `_schemas` topic).
    Registry(ServeArgs),
}

#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Configuration file (.yaml, .yml or .toml).
    #[arg(long, env = "SCHEMAGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Upstream cluster bootstrap servers, HOST:PORT[,HOST:PORT...].
    #[arg(long, env = "SCHEMAGATE_BOOTSTRAP_SERVERS", value_delimiter = ',')]
    pub bootstrap_servers: Vec<String>,
    /// Client-facing bootstrap listener, HOST:PORT.
    #[arg(long, env = "SCHEMAGATE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Host clients are told to connect to (127.0.0.1 as a sidecar, a DNS name centrally).
    #[arg(long, env = "SCHEMAGATE_ADVERTISED_HOST")]
    pub advertised_host: Option<String>,
    /// Broker n is served on port BASE + n; 0 picks a free port per broker.
    #[arg(long, env = "SCHEMAGATE_BROKER_PORT_BASE")]
    pub broker_port_base: Option<u16>,
    /// Admin listener (/health, /ready, /metrics), HOST:PORT.
    #[arg(long, env = "SCHEMAGATE_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// Log format.
    #[arg(long, env = "SCHEMAGATE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// External Confluent-compatible schema registry URL (registry.url).
    #[arg(long, env = "SCHEMAGATE_REGISTRY_URL")]
    pub registry_url: Option<String>,
    /// Maximum concurrent client connections (limits.max_connections).
    #[arg(long, env = "SCHEMAGATE_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Embedded schema registry REST listener, HOST:PORT (embedded_registry.listen).
    #[arg(long, env = "SCHEMAGATE_REGISTRY_LISTEN")]
    pub registry_listen: Option<SocketAddr>,
    /// Do not run the embedded schema registry (embedded_registry.enabled: false).
    #[arg(long, env = "SCHEMAGATE_NO_EMBEDDED_REGISTRY")]
    pub no_embedded_registry: bool,
    /// Check level for record keys of topics no rule matches (policy.default.key.level):
    /// none, wire-format, registered, subject or payload.
    #[arg(long, env = "SCHEMAGATE_DEFAULT_KEY_LEVEL")]
    pub default_key_level: Option<Level>,
    /// Check level for record values of topics no rule matches (policy.default.value.level).
    #[arg(long, env = "SCHEMAGATE_DEFAULT_VALUE_LEVEL")]
    pub default_value_level: Option<Level>,
}

impl ServeArgs {
    /// The file's configuration (or defaults) with every given flag applied on top.
    pub fn load_config(&self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        self.apply(&mut config);
        Ok(config)
    }

    fn apply(&self, config: &mut Config) {
        if !self.bootstrap_servers.is_empty() {
            config.bootstrap_servers = self
                .bootstrap_servers
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = self.listen {
            config.listen = v;
        }
        if let Some(v) = &self.advertised_host {
            config.advertised_host.clone_from(v);
        }
        if let Some(v) = self.broker_port_base {
            config.broker_port_base = v;
        }
        if let Some(v) = self.admin_listen {
            config.admin_listen = Some(v);
        }
        if let Some(v) = self.log_format {
            config.log_format = v;
        }
        if let Some(v) = &self.registry_url {
            config.registry.url = Some(v.clone());
        }
        if let Some(v) = self.max_connections {
            config.limits.max_connections = v;
        }
        self.apply_registry_and_policy(config);
    }

    fn apply_registry_and_policy(&self, config: &mut Config) {
        if let Some(v) = self.registry_listen {
            config.embedded_registry.listen = v.to_string();
        }
        if self.no_embedded_registry {
            config.embedded_registry.enabled = false;
        }
        if let Some(level) = self.default_key_level {
            config.policy.set_default_key_level(level);
        }
        if let Some(level) = self.default_value_level {
            config.policy.set_default_value_level(level);
        }
    }
}

/// Entry point of the `schemagate` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(&args, false),
        Command::Registry(args) => serve(&args, true),
    }
}

fn serve(args: &ServeArgs, registry_only: bool) -> ExitCode {
    let config = match args.load_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("schemagate: {e}");
            return ExitCode::from(2);
        }
    };
    let problems = config.validate();
    if !problems.is_empty() {
        eprintln!("schemagate: {}", ConfigError::Invalid(problems));
        return ExitCode::from(2);
    }
    init_tracing(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = if registry_only {
        runtime.block_on(run_registry(config))
    } else {
        runtime.block_on(run(config))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "schemagate failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), crate::app::AppError> {
    let app = App::start(config).await?;
    let trigger = app.shutdown_trigger();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        trigger.trigger();
    });
    app.wait().await
}

/// `schemagate registry`: only the embedded registry, until SIGTERM/SIGINT.
async fn run_registry(config: Config) -> Result<(), crate::app::AppError> {
    use crate::schema_registry::EmbeddedRegistry;
    let cfg = &config.embedded_registry;
    let registry = EmbeddedRegistry::start(cfg, &config.bootstrap_servers)
        .await
        .map_err(|e| crate::app::AppError::Registry(e.to_string()))?;
    let addr: SocketAddr = cfg
        .listen
        .parse()
        .map_err(|e| crate::app::AppError::Registry(format!("embedded_registry.listen: {e}")))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| crate::app::AppError::Bind {
            what: "registry listener",
            addr,
            source,
        })?;
    tracing::info!(listen = %addr, topic = %cfg.topic, "schema registry listening");
    registry
        .serve(listener, wait_for_signal())
        .await
        .map_err(|e| crate::app::AppError::Registry(e.to_string()))
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops the proxy");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Logs go to stderr; `RUST_LOG` filters them (default `info`).
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let result = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    // Already initialised (e.g. by a test): keep the existing subscriber.
    let _ = result;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_values() {
        let cli = Cli::try_parse_from([
            "schemagate",
            "serve",
            "--bootstrap-servers",
            "a:9092, b:9093",
            "--listen",
            "0.0.0.0:19092",
            "--advertised-host",
            "proxy.internal",
            "--broker-port-base",
            "20000",
            "--admin-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--registry-url",
            "http://registry:8081",
            "--max-connections",
            "5",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        let config = args.load_config().unwrap();
        assert_eq!(config.bootstrap_servers, vec!["a:9092", "b:9093"]);
        assert_eq!(config.listen, "0.0.0.0:19092".parse().unwrap());
        assert_eq!(config.advertised_host, "proxy.internal");
        assert_eq!(config.broker_port_base, 20000);
        assert_eq!(config.admin_listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.registry.url.as_deref(), Some("http://registry:8081"));
        assert_eq!(config.limits.max_connections, 5);
        assert!(config.validate().is_empty());
    }

    #[test]
    fn sidecar_flags_set_default_levels_and_the_registry() {
        let cli = Cli::try_parse_from([
            "schemagate",
            "serve",
            "--bootstrap-servers",
            "k:9092",
            "--default-key-level",
            "wire-format",
            "--default-value-level",
            "payload",
            "--registry-listen",
            "127.0.0.1:18081",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        let config = args.load_config().unwrap();
        let default = config.policy.default.clone().unwrap();
        assert_eq!(default.key.level, Level::WireFormat);
        assert_eq!(default.value.level, Level::Payload);
        assert_eq!(config.embedded_registry.listen, "127.0.0.1:18081");
        assert!(config.embedded_registry.enabled);
        assert!(
            Cli::try_parse_from(["schemagate", "serve", "--default-value-level", "strict"])
                .is_err()
        );
    }

    #[test]
    fn file_values_survive_when_no_flag_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        std::fs::write(
            &path,
            "bootstrap_servers: [k:9092]\nadvertised_host: edge\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from(["schemagate", "serve", "--config", path.to_str().unwrap()])
            .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        let config = args.load_config().unwrap();
        assert_eq!(config.bootstrap_servers, vec!["k:9092"]);
        assert_eq!(config.advertised_host, "edge");
    }
}
