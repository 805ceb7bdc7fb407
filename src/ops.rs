//! Operational endpoints: liveness, readiness (database reachable),
//! Prometheus metrics, and the published contract: the OpenAPI document
//! (`/openapi.json`), the Postman collection (`/postman.json`) and the API
//! reference page `/docs`, which renders the document with Swagger UI
//! served from the binary (the `swagger-ui-dist` crate ships its files;
//! nothing is fetched at build or run time).
//!
//! May touch: `state` (database ping, configuration, metrics), `store`
//! (the webhook queue's depth and age, read when metrics are scraped),
//! `crypto`, `spec` (the documents), `pages` (the HTML headers). Never
//! another entry point.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::{json, Value};

use crate::{crypto, pages, spec, state::AppState};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    let swagger_ui = swagger_ui_dist::generate_routes(swagger_ui_dist::ApiDefinition {
        uri_prefix: "/docs/ui",
        api_definition: swagger_ui_dist::OpenApiSource::Uri("../openapi.json"),
        title: Some("Galley API"),
    });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/postman.json", get(postman))
        .route("/docs", get(docs))
        .route("/docs/init.js", get(docs_script))
        .route_service("/docs/ui/{*asset}", swagger_ui)
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

/// `GET /openapi.json`: the document with this server's public URL.
async fn openapi(State(state): State<AppState>) -> Response {
    let mut doc = spec::openapi().clone();
    doc["servers"] = json!([{ "url": state.config.public_url.base() }]);
    Json(doc).into_response()
}

/// `GET /postman.json`: the collection with `OAUTH_URL` set to this
/// server's public URL.
async fn postman(State(state): State<AppState>) -> Response {
    let mut doc = spec::postman().clone();
    if let Some(vars) = doc["variable"].as_array_mut() {
        for var in vars.iter_mut().filter(|v| v["key"] == "OAUTH_URL") {
            var["value"] = json!(state.config.public_url.base());
        }
    }
    Json(doc).into_response()
}

/// `GET /docs`: the API reference, Swagger UI over `/openapi.json`.
async fn docs() -> Response {
    let mut response = pages::html_response(StatusCode::OK, DOCS_PAGE.to_string());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    response
}

async fn docs_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        DOCS_SCRIPT,
    )
        .into_response()
}

/// The reference page: relative links, so it works under a base path.
const DOCS_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Galley API reference</title>
<link rel="stylesheet" href="docs/ui/swagger-ui.css">
</head>
<body>
<noscript>
<h1>Galley API reference</h1>
<p>This page renders the OpenAPI document with JavaScript. Without it, read
<a href="openapi.json">openapi.json</a> or import
<a href="postman.json">postman.json</a> into Postman.</p>
</noscript>
<div id="swagger-ui"></div>
<script src="docs/ui/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
"#;

const DOCS_SCRIPT: &str = "window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#swagger-ui', deepLinking: true, defaultModelsExpandDepth: 1 });\n";
