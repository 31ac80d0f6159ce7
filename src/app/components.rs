//! The parts of a running schemagate besides the proxy itself: the embedded registry (REST API
//! and `_schemas` state) and the Produce enforcer that reads it.
//!
//! Invariant: the enforcer never sees a registry that is not ready. Until the embedded registry
//! has rebuilt its state from `_schemas`, [`LazyRegistry::is_ready`] is false, so enforcement
//! answers with a retriable error (fail-closed) instead of accepting or refusing records.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::produce::Enforcer;
use crate::registry::{LocalRegistry, SchemaSource, SchemaText};
use crate::schema_registry::EmbeddedRegistry;

/// How long to wait between attempts to start the embedded registry (broker not reachable yet).
const REGISTRY_RETRY: Duration = Duration::from_secs(2);

/// The embedded registry, filled in once it has started; reads before that see "not ready".
#[derive(Debug, Default)]
pub struct LazyRegistry {
    inner: OnceLock<Arc<EmbeddedRegistry>>,
}

impl LazyRegistry {
    /// The started registry, if it has started.
    pub fn get(&self) -> Option<&Arc<EmbeddedRegistry>> {
        self.inner.get()
    }
}

impl LocalRegistry for LazyRegistry {
    fn schema_text(&self, id: i32) -> Option<SchemaText> {
        self.inner.get()?.schema_text(id)
    }

    fn subject_versions_of(&self, id: i32) -> Vec<(String, i32)> {
        self.inner
            .get()
            .map(|r| r.subject_versions_of(id))
            .unwrap_or_default()
    }

    fn is_ready(&self) -> bool {
        self.inner.get().is_some_and(|r| r.is_ready())
    }
}

/// A running embedded registry: its REST address, its state and the task serving it.
#[derive(Debug)]
pub struct RegistryHandle {
    pub addr: SocketAddr,
    pub registry: Arc<LazyRegistry>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl RegistryHandle {
    /// Stop serving the REST API and tailing `_schemas`; waits for the task to end.
    pub async fn stop(self) {
        self.stop.cancel();
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "embedded registry task ended abnormally");
        }
    }
}

/// Problems that only show when the sections are seen together.
pub fn cross_section_problems(config: &Config) -> Vec<String> {
    let mut problems = config.policy.validate();
    problems.extend(config.registry.validate());
    if embedded_wanted(config) {
        problems.extend(config.embedded_registry.validate());
    }
    let enforcing = config.policy.compile().is_ok_and(|p| !p.is_inert());
    if enforcing && config.registry.url.is_none() && !config.embedded_registry.enabled {
        problems.push(
            "policy: rules need a schema registry, but registry.url is unset and \
             embedded_registry.enabled is false"
                .to_owned(),
        );
    }
    problems
}

/// The embedded registry runs unless disabled or an external registry is configured.
pub fn embedded_wanted(config: &Config) -> bool {
    config.embedded_registry.enabled && config.registry.url.is_none()
}

/// Bind the registry's REST listener now (so its address is known) and start the registry in
/// the background, retrying until the broker answers.
pub async fn start_registry(config: &Config) -> std::io::Result<RegistryHandle> {
    let addr: SocketAddr = config
        .embedded_registry
        .listen
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let registry = Arc::new(LazyRegistry::default());
    let stop = CancellationToken::new();
    let task = tokio::spawn(run_registry(
        config.clone(),
        listener,
        Arc::clone(&registry),
        stop.clone(),
    ));
    Ok(RegistryHandle {
        addr,
        registry,
        stop,
        task,
    })
}

async fn run_registry(
    config: Config,
    listener: TcpListener,
    slot: Arc<LazyRegistry>,
    stop: CancellationToken,
) {
    let cfg = &config.embedded_registry;
    let started = loop {
        let attempt = EmbeddedRegistry::start(cfg, &config.bootstrap_servers);
        tokio::select! {
            _ = stop.cancelled() => return,
            result = attempt => match result {
                Ok(registry) => break registry,
                Err(e) => tracing::warn!(error = %e, retry_in = ?REGISTRY_RETRY,
                    "embedded schema registry cannot start yet; Produce checks answer \
                     with a retriable error until it does"),
            },
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(REGISTRY_RETRY) => {}
        }
    };
    let _ = slot.inner.set(Arc::clone(&started));
    let addr = listener.local_addr().ok();
    tracing::info!(listen = ?addr, topic = %cfg.topic, "embedded schema registry ready");
    let stopped = stop.clone();
    if let Err(e) = started
        .serve(listener, async move { stopped.cancelled().await })
        .await
    {
        tracing::error!(error = %e, "embedded schema registry REST listener failed");
    }
}

/// The enforcer for `config`: schemas from the external registry when `registry.url` is set,
/// otherwise from the embedded one.
pub fn build_enforcer(
    config: &Config,
    embedded: Option<Arc<LazyRegistry>>,
) -> Result<Enforcer, String> {
    let enforcing = config.policy.compile().is_ok_and(|p| !p.is_inert());
    if !enforcing {
        return Ok(Enforcer::default());
    }
    let local = embedded.map(|r| r as Arc<dyn LocalRegistry>);
    let source = SchemaSource::from_config(&config.registry, local).map_err(|e| e.to_string())?;
    Enforcer::new(config.policy.clone(), source, &config.registry).map_err(|e| e.to_string())
}
