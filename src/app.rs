//! The running proxy: bootstrap listener, broker listeners, admin listener and their drain.
//!
//! This is the contract integration tests code against: [`App::start`] returns once every
//! listener is bound (port 0 is fine everywhere), and [`App::wait`] returns after a graceful
//! drain, which every accepted request survives unless `limits.shutdown_grace` runs out.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::produce::Enforcer;
use crate::server::Proxy;
use crate::session::upstream::Target;
use crate::shutdown::{Shutdown, ShutdownTrigger};
use crate::topology::TopicIds;

mod components;

pub use components::LazyRegistry;
use components::RegistryHandle;

/// Start-up and shutdown failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    #[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
    Config(Vec<String>),
    #[error("cannot bind the {what} on {addr}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("admin listener failed: {0}")]
    Admin(String),
    #[error("cannot start the embedded schema registry: {0}")]
    Registry(String),
}

/// A running proxy. Dropping it without [`App::wait`]/[`App::shutdown`] cuts every connection.
#[derive(Debug)]
pub struct App {
    proxy: Arc<Proxy>,
    bootstrap_addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    admin: Option<(CancellationToken, JoinHandle<Result<(), std::io::Error>>)>,
    registry: Option<RegistryHandle>,
    _abort_on_drop: AbortOnDrop,
}

#[derive(Debug)]
struct AbortOnDrop(Shutdown);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl App {
    /// Validate `config`, bind every listener and start serving: the proxy, the admin listener,
    /// the embedded registry (unless disabled or `registry.url` is set) and enforcement.
    pub async fn start(config: Config) -> Result<App, AppError> {
        let mut problems = config.validate();
        problems.extend(components::cross_section_problems(&config));
        if !problems.is_empty() {
            return Err(AppError::Config(problems));
        }
        let registry = if components::embedded_wanted(&config) {
            let handle = components::start_registry(&config)
                .await
                .map_err(|e| AppError::Registry(e.to_string()))?;
            Some(handle)
        } else {
            None
        };
        let embedded = registry.as_ref().map(|r| Arc::clone(&r.registry));
        let enforcer =
            components::build_enforcer(&config, embedded).map_err(|e| AppError::Config(vec![e]))?;
        let mut app = Self::start_with(config, enforcer, Arc::new(TopicIds::default())).await?;
        app.registry = registry;
        Ok(app)
    }

    /// Like [`App::start`] with an explicit enforcer and topic-id map (shared with the enforcer).
    pub async fn start_with(
        config: Config,
        enforcer: Enforcer,
        topic_ids: Arc<TopicIds>,
    ) -> Result<App, AppError> {
        let problems = config.validate();
        if !problems.is_empty() {
            return Err(AppError::Config(problems));
        }
        let metrics = crate::metrics::prometheus_handle();
        let proxy = Arc::new(Proxy::new(&config, enforcer, topic_ids));
        let bootstrap = bind("bootstrap listener", config.listen).await?;
        let bootstrap_addr = local_addr("bootstrap listener", config.listen, &bootstrap)?;
        let admin_listener = match config.admin_listen {
            Some(addr) => Some((bind("admin listener", addr).await?, addr)),
            None => None,
        };
        proxy.spawn_accept_loop(bootstrap, Target::Bootstrap);
        let probe = Arc::clone(&proxy);
        proxy
            .tracker
            .spawn(async move { probe.probe_upstream().await });
        let mut admin_addr = None;
        let mut admin = None;
        if let Some((listener, configured)) = admin_listener {
            admin_addr = Some(local_addr("admin listener", configured, &listener)?);
            let stop = CancellationToken::new();
            let router = crate::admin::router(Arc::clone(&proxy), metrics);
            let stopped = stop.clone();
            let task = tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move { stopped.cancelled().await })
                    .await
            });
            admin = Some((stop, task));
        }
        tracing::info!(listen = %bootstrap_addr, admin = ?admin_addr,
            upstream = ?config.bootstrap_servers, advertised_host = %config.advertised_host,
            "schemagate proxy listening");
        Ok(App {
            _abort_on_drop: AbortOnDrop(proxy.shutdown.clone()),
            proxy,
            bootstrap_addr,
            admin_addr,
            admin,
            registry: None,
        })
    }

    pub fn bootstrap_addr(&self) -> SocketAddr {
        self.bootstrap_addr
    }

    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// The proxy listener for broker `node_id`, once a response has named that broker.
    pub fn broker_addr(&self, node_id: i32) -> Option<SocketAddr> {
        self.proxy.broker_listener(node_id)
    }

    /// The embedded registry's REST address, when it runs.
    pub fn registry_addr(&self) -> Option<SocketAddr> {
        self.registry.as_ref().map(|r| r.addr)
    }

    /// The embedded registry (its state once started), when it runs.
    pub fn embedded_registry(&self) -> Option<Arc<LazyRegistry>> {
        self.registry.as_ref().map(|r| Arc::clone(&r.registry))
    }

    pub fn shutdown_trigger(&self) -> ShutdownTrigger {
        self.proxy.shutdown.trigger()
    }

    /// Wait for a shutdown trigger, then drain: listeners close, sessions stop reading new
    /// requests and answer the ones in flight; after `limits.shutdown_grace` the rest are cut.
    pub async fn wait(mut self) -> Result<(), AppError> {
        self.proxy.shutdown.draining().await;
        tracing::info!("shutdown: draining connections");
        self.proxy.tracker.close();
        let grace = self.proxy.limits.shutdown_grace;
        if tokio::time::timeout(grace, self.proxy.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(grace = ?grace, "shutdown grace period ran out; cutting connections");
            self.proxy.shutdown.abort();
            self.proxy.tracker.wait().await;
        }
        if let Some(registry) = self.registry.take() {
            registry.stop().await;
        }
        if let Some((stop, task)) = self.admin.take() {
            stop.cancel();
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(AppError::Admin(e.to_string())),
                Err(e) => return Err(AppError::Admin(e.to_string())),
            }
        }
        tracing::info!("shutdown complete");
        Ok(())
    }

    /// Trigger a graceful shutdown and wait for it.
    pub async fn shutdown(self) -> Result<(), AppError> {
        self.shutdown_trigger().trigger();
        self.wait().await
    }
}

async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, AppError> {
    crate::server::listen::bind(addr).map_err(|source| AppError::Bind { what, addr, source })
}

fn local_addr(
    what: &'static str,
    addr: SocketAddr,
    l: &TcpListener,
) -> Result<SocketAddr, AppError> {
    l.local_addr()
        .map_err(|source| AppError::Bind { what, addr, source })
}
