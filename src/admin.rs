//! The admin listener: `GET /health` (200 while the process runs), `GET /ready` (200 once the
//! listeners are up and an upstream bootstrap server has been reachable, 503 while draining),
//! `GET /metrics` (Prometheus text).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::server::Proxy;

#[derive(Clone)]
struct AdminState {
    proxy: Arc<Proxy>,
    metrics: Option<PrometheusHandle>,
}

/// The admin routes for one proxy.
pub fn router(proxy: Arc<Proxy>, metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/ready", get(ready))
        .route("/metrics", get(render_metrics))
        .with_state(AdminState { proxy, metrics })
}

async fn ready(State(state): State<AdminState>) -> (StatusCode, &'static str) {
    if state.proxy.shutdown.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n")
    } else if !state.proxy.upstream_reachable() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "no upstream bootstrap server reachable yet\n",
        )
    } else {
        (StatusCode::OK, "ready\n")
    }
}

async fn render_metrics(State(state): State<AdminState>) -> String {
    state
        .metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}
