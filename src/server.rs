//! Listeners and the state every session shares: the bootstrap listener, one listener per
//! upstream broker (created on first sight), the accept loop with its connection limit, and
//! upstream connection setup.
//!
//! Invariants: a broker listener exists before any response naming that broker is relayed;
//! its port is `broker_port_base + node_id` (or ephemeral when the base is 0) and never
//! changes while the proxy runs; at most `max_connections` sessions run at once.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use crate::config::{Config, LimitsConfig, NodeIdRange};
use crate::produce::Enforcer;
use crate::rewrite::BrokerAddr;
use crate::session::in_flight::BrokerRouter;
use crate::session::upstream::{self, Target, UpstreamError};
use crate::session::{self, SessionError};
use crate::shutdown::Shutdown;
use crate::topology::{Brokers, TopicIds};

pub(crate) mod listen;
mod warm_up;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// State shared by every listener and session of one proxy instance.
#[derive(Debug)]
pub struct Proxy {
    pub(crate) limits: LimitsConfig,
    bootstrap_servers: Vec<String>,
    advertised_host: String,
    bind_ip: IpAddr,
    broker_port_base: u16,
    node_id_range: NodeIdRange,
    pub(crate) brokers: Brokers,
    pub(crate) topic_ids: Arc<TopicIds>,
    pub(crate) enforcer: Enforcer,
    pub(crate) shutdown: Shutdown,
    pub(crate) tracker: TaskTracker,
    permits: Arc<Semaphore>,
    upstream_reachable: AtomicBool,
    next_conn_id: AtomicU64,
    /// Broker listeners by node id; the async mutex serialises creation so a port is bound once.
    listeners: tokio::sync::Mutex<HashMap<i32, SocketAddr>>,
    /// Same addresses, readable without awaiting.
    listener_addrs: std::sync::RwLock<HashMap<i32, SocketAddr>>,
}

impl Proxy {
    pub fn new(config: &Config, enforcer: Enforcer, topic_ids: Arc<TopicIds>) -> Proxy {
        Proxy {
            limits: config.limits.clone(),
            bootstrap_servers: config.bootstrap_servers.clone(),
            advertised_host: config.advertised_host.clone(),
            bind_ip: config.listen.ip(),
            broker_port_base: config.broker_port_base,
            node_id_range: config.node_id_range,
            brokers: Brokers::default(),
            topic_ids,
            enforcer,
            shutdown: Shutdown::new(),
            tracker: TaskTracker::new(),
            permits: Arc::new(Semaphore::new(config.limits.max_connections)),
            upstream_reachable: AtomicBool::new(false),
            next_conn_id: AtomicU64::new(1),
            listeners: tokio::sync::Mutex::new(HashMap::new()),
            listener_addrs: std::sync::RwLock::new(HashMap::new()),
        }
    }

    /// True once any upstream connection (probe or session) has succeeded.
    pub fn upstream_reachable(&self) -> bool {
        self.upstream_reachable.load(Ordering::SeqCst)
    }

    pub fn broker_listener(&self, node_id: i32) -> Option<SocketAddr> {
        self.listener_addrs
            .read()
            .ok()
            .and_then(|m| m.get(&node_id).copied())
    }

    /// Accept connections on `listener` until draining starts.
    pub fn spawn_accept_loop(self: &Arc<Self>, listener: TcpListener, target: Target) {
        let proxy = Arc::clone(self);
        self.tracker.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    biased;
                    () = proxy.shutdown.draining() => break,
                    accepted = listener.accept() => accepted,
                };
                match accepted {
                    Ok((stream, _)) => proxy.admit(stream, target),
                    Err(e) => {
                        tracing::warn!(%target, error = %e, "accept failed; retrying");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                }
            }
            tracing::debug!(%target, "listener closed");
        });
    }

    /// Start a session for `stream`, or close it at once when the connection limit is reached.
    fn admit(self: &Arc<Self>, stream: TcpStream, target: Target) {
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            tracing::warn!(%peer, %target, max_connections = self.limits.max_connections,
                "connection limit reached; closing the new connection");
            metrics::counter!(crate::metrics::CONNECTIONS_REFUSED, "reason" => "limit")
                .increment(1);
            drop(stream);
            return;
        };
        let _ = stream.set_nodelay(true);
        metrics::counter!(crate::metrics::CONNECTIONS_ACCEPTED).increment(1);
        let conn_id = self.next_conn_id.fetch_add(1, Ordering::Relaxed);
        self.tracker.spawn(session::run(
            Arc::clone(self),
            stream,
            target,
            conn_id,
            permit,
        ));
    }

    /// Open the upstream connection for a session.
    pub async fn connect_upstream(
        &self,
        target: Target,
    ) -> Result<(TcpStream, String), UpstreamError> {
        let timeout = self.limits.connect_timeout;
        let result = match target {
            Target::Bootstrap => {
                upstream::connect_bootstrap(&self.bootstrap_servers, timeout).await
            }
            Target::Broker(node_id) => {
                let addr = self
                    .brokers
                    .upstream_of(node_id)
                    .ok_or(UpstreamError::UnknownBroker(node_id))?;
                upstream::connect_one(&addr, timeout)
                    .await
                    .map(|s| (s, addr.clone()))
                    .map_err(|reason| UpstreamError::Broker {
                        node_id,
                        addr,
                        reason,
                    })
            }
        };
        if result.is_ok() {
            self.upstream_reachable.store(true, Ordering::SeqCst);
        }
        result
    }

    /// Probe the bootstrap servers until one answers (for `/ready`) or draining starts.
    /// The first successful probe also learns the brokers ([`warm_up`]).
    pub async fn probe_upstream(self: &Arc<Self>) {
        while !self.upstream_reachable() {
            match upstream::connect_bootstrap(&self.bootstrap_servers, self.limits.connect_timeout)
                .await
            {
                Ok((stream, server)) => {
                    tracing::info!(%server, "upstream bootstrap server reachable");
                    self.upstream_reachable.store(true, Ordering::SeqCst);
                    let learned = tokio::select! {
                        () = self.shutdown.draining() => return,
                        learned = warm_up::learn_brokers(self, stream) => learned,
                    };
                    match learned {
                        Ok(n) => tracing::info!(brokers = n, "broker listeners opened at start-up"),
                        // Listeners are still opened when clients' metadata names brokers.
                        Err(e) => tracing::debug!(error = %e, "cannot learn brokers at start-up"),
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "upstream not reachable yet");
                    tokio::select! {
                        () = self.shutdown.draining() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
    }

    /// The proxy listener for `node_id`, bound now if this is the first time it is seen.
    pub async fn ensure_broker_listener(
        self: &Arc<Self>,
        node_id: i32,
    ) -> Result<SocketAddr, SessionError> {
        let mut listeners = self.listeners.lock().await;
        if let Some(addr) = listeners.get(&node_id) {
            return Ok(*addr);
        }
        let fail = |reason: String| SessionError::Listener { node_id, reason };
        let NodeIdRange { min, max } = self.node_id_range;
        if !(min..=max).contains(&node_id) {
            return Err(fail(format!("node id outside node_id_range {min}..={max}")));
        }
        let port = if self.broker_port_base == 0 {
            0
        } else {
            u16::try_from(i64::from(self.broker_port_base) + i64::from(node_id))
                .map_err(|_| fail("broker_port_base + node_id is not a valid port".to_owned()))?
        };
        let listener = listen::bind(SocketAddr::new(self.bind_ip, port))
            .map_err(|e| fail(format!("bind {}:{port}: {e}", self.bind_ip)))?;
        let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
        tracing::info!(node_id, %addr, "broker listener opened");
        self.spawn_accept_loop(listener, Target::Broker(node_id));
        listeners.insert(node_id, addr);
        if let Ok(mut map) = self.listener_addrs.write() {
            map.insert(node_id, addr);
        }
        Ok(addr)
    }
}

/// Sessions reach the proxy through an `Arc` so new listeners can be spawned from a response.
impl BrokerRouter for Arc<Proxy> {
    async fn proxy_port(&self, broker: &BrokerAddr) -> Result<u16, SessionError> {
        self.brokers
            .record(broker.node_id, &broker.host, broker.port);
        Ok(self.ensure_broker_listener(broker.node_id).await?.port())
    }

    fn advertised_host(&self) -> &str {
        &self.advertised_host
    }

    fn topic_ids(&self) -> &TopicIds {
        &self.topic_ids
    }
}
