//! Metric names and the process-wide Prometheus recorder.
//!
//! Invariant: the recorder is installed at most once per process (tests start several
//! [`crate::app::App`]s in one process); later callers share the same handle.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Gauge: client connections open now, by `listener` (`bootstrap` | `broker`).
pub const CONNECTIONS_ACTIVE: &str = "schemagate_connections_active";
/// Counter: client connections accepted.
pub const CONNECTIONS_ACCEPTED: &str = "schemagate_connections_accepted_total";
/// Counter: client connections closed at once, by `reason` (`limit`).
pub const CONNECTIONS_REFUSED: &str = "schemagate_connections_refused_total";
/// Counter: connections closed on an error, by `side` (`client` | `broker` | `proxy`).
pub const CONNECTION_ERRORS: &str = "schemagate_connection_errors_total";
/// Counter: client requests, by `api`.
pub const REQUESTS: &str = "schemagate_requests_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The Prometheus handle of this process, installing the recorder on first use. `None` when
/// another recorder was installed first (metrics then go to that recorder).
pub fn prometheus_handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => {
                describe();
                Some(handle)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot install the Prometheus recorder; /metrics will be empty");
                None
            }
        })
        .clone()
}

fn describe() {
    metrics::describe_gauge!(CONNECTIONS_ACTIVE, "Client connections open now");
    metrics::describe_counter!(CONNECTIONS_ACCEPTED, "Client connections accepted");
    metrics::describe_counter!(
        CONNECTIONS_REFUSED,
        "Client connections refused (connection limit)"
    );
    metrics::describe_counter!(CONNECTION_ERRORS, "Connections closed on an error, by side");
    metrics::describe_counter!(REQUESTS, "Client requests, by API");
}
