//! Operational endpoints: liveness, readiness (database reachable),
//! Prometheus metrics and the OpenAPI document.
//!
//! May touch: `state` (database ping, configuration, metrics), `store`
//! (the webhook queue's depth and age, read when metrics are scraped),
//! `crypto`.
//! Never another entry point.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::{json, Value};

use crate::{crypto, state::AppState};

/// The hand-kept OpenAPI document (`openapi.json` at the repository root).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: with `metrics_token` set, for requests that bear it;
/// without, for loopback clients only (a scraper on the same host).
async fn metrics(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let allowed = match &state.config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|presented| {
                crypto::verify_secret(presented, &crypto::hash_secret(token.expose()))
            }),
        None => peer.ip().is_loopback(),
    };
    if !allowed {
        let why = if state.config.metrics_token.is_some() {
            "an Authorization: Bearer header with the metrics_token is required"
        } else {
            "metrics are served to loopback clients only; set metrics_token to scrape from another host"
        };
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"galley-metrics\"")],
            Json(json!({ "error": "unauthorized", "error_description": why })),
        )
            .into_response();
    }
    match crate::store::webhooks::queue_stats(&state.db).await {
        Ok((depth, oldest)) => {
            let age = oldest.map_or(0, |queued| (state.clock.now_ms() - queued).max(0));
            metrics::gauge!("galley_webhook_queue_depth").set(depth as f64);
            metrics::gauge!("galley_webhook_oldest_pending_seconds").set(age as f64 / 1000.0);
        }
        Err(e) => tracing::warn!(error = %e, "reading the webhook queue for metrics failed"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn openapi(State(state): State<AppState>) -> Response {
    let mut doc: Value =
        serde_json::from_str(OPENAPI).expect("openapi.json is valid JSON (checked by a test)");
    doc["servers"] = json!([{ "url": state.config.public_url.base() }]);
    Json(doc).into_response()
}
