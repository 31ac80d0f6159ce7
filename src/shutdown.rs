//! Shutdown signalling: a [`ShutdownTrigger`] starts a graceful drain; listeners and sessions
//! watch a [`Shutdown`] token.
//!
//! Two phases: `drain` (stop accepting, stop reading new requests, finish in-flight ones) and
//! `abort` (the grace period ran out: cut every connection).

use tokio_util::sync::CancellationToken;

/// Starts a graceful shutdown. Cheap to clone; triggering twice is harmless.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    drain: CancellationToken,
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.drain.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.drain.is_cancelled()
    }
}

/// What long-running tasks watch.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    drain: CancellationToken,
    abort: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn trigger(&self) -> ShutdownTrigger {
        ShutdownTrigger {
            drain: self.drain.clone(),
        }
    }

    /// Resolves once a graceful shutdown has started.
    pub async fn draining(&self) {
        self.drain.cancelled().await;
    }

    pub fn is_draining(&self) -> bool {
        self.drain.is_cancelled()
    }

    /// Resolves once connections must be cut without waiting for responses.
    pub async fn aborted(&self) {
        self.abort.cancelled().await;
    }

    /// Cut every connection now (also implies draining).
    pub fn abort(&self) {
        self.drain.cancel();
        self.abort.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn trigger_starts_draining_but_not_abort() {
        let shutdown = Shutdown::new();
        let trigger = shutdown.trigger();
        assert!(!shutdown.is_draining());
        trigger.clone().trigger();
        shutdown.draining().await;
        assert!(trigger.is_triggered());
        assert!(!shutdown.abort.is_cancelled());
        shutdown.abort();
        shutdown.aborted().await;
    }
}
