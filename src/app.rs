//! Assembling and running the HTTP application: the router of every area,
//! the middleware stack (request ids, tracing, metrics, panic catching,
//! timeouts, body limits) and the background tasks every node runs.
//!
//! May touch: every area it mounts or starts: `oauth`, `api`, `web`, `ops`,
//! `delivery` (the worker), `domain::links` (the expiry sweep), `store`
//! (`Db`, migrations), `state`, `config`, `clock`, `crypto`, `telemetry`.
//! Only `cli` imports it.

use std::future::Future;

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{HeaderName, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    Json, Router,
};
use serde_json::json;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    clock::SharedClock,
    config::ValidConfig,
    crypto::{self, SigningKey},
    ops,
    state::AppState,
    store::{keys, migrate, Db},
    telemetry,
};

/// A bound, ready-to-run server.
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl App {
    /// Connects to the database, migrates it and binds the listener
    /// (`listen` with port 0 picks a free port; see [`App::port`]).
    pub async fn build(config: ValidConfig, clock: SharedClock) -> anyhow::Result<Self> {
        let db = Db::connect(
            config.database_url.expose(),
            config.database_max_connections,
        )
        .await?;
        migrate::run(&db).await?;
        Self::with_db(config, db, clock).await
    }

    /// Like [`App::build`] with an already migrated database.
    pub async fn with_db(config: ValidConfig, db: Db, clock: SharedClock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        Self::with_listener(config, db, clock, listener).await
    }

    /// Like [`App::with_db`] on a listener bound already (`galley demo`
    /// binds its port before it touches the database).
    pub async fn with_listener(
        config: ValidConfig,
        db: Db,
        clock: SharedClock,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let stored =
            keys::load_or_create(&db, "csrf", &SigningKey::fresh_hex(), clock.now_ms()).await?;
        let csrf_key = SigningKey::from_hex(&stored)
            .ok_or_else(|| anyhow::anyhow!("the stored csrf key is not 64 bytes of hex"))?;
        let state = AppState::new(db, clock, config, telemetry::metrics_handle(), csrf_key);
        Ok(Self {
            listener,
            router: router(state.clone()),
            state,
        })
    }

    /// Enables the demo app's callback page for `client_id`.
    pub fn with_demo(mut self, client_id: String) -> Self {
        self.state.demo_client = Some(client_id);
        self.router = router(self.state.clone());
        self
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The shared state (tests use its database handle).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let worker = tokio::spawn(crate::delivery::run(self.state.clone()));
        let webhooks = tokio::spawn(crate::delivery::webhooks::run(self.state.clone()));
        let sweeper = tokio::spawn(sweep_links(self.state.clone()));
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        worker.abort();
        webhooks.abort();
        sweeper.abort();
        self.state.db.close().await;
        served
    }
}

/// Refunds expired, unredeemed links every `link_sweep_interval` (every
/// node runs it; each link is refunded once, see
/// [`crate::domain::links::sweep`]).
async fn sweep_links(state: AppState) {
    let mut interval = tokio::time::interval(state.config.link_sweep_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match crate::domain::links::sweep(&state.db, &*state.clock).await {
            Ok(0) => {}
            Ok(refunded) => tracing::info!(refunded, "expired links refunded"),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "link expiry sweep failed"),
        }
    }
}

/// Request ids: 128 random bits, hex.
#[derive(Clone, Copy, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        crypto::new_id().parse().ok().map(RequestId::new)
    }
}

/// The whole application router, nested under the public URL's base path.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(ops::router())
        .merge(crate::oauth::router())
        .merge(crate::api::router())
        .merge(crate::web::router())
        .fallback(not_found);
    let base = state.config.public_url.base_path().to_string();
    let routes = if base.is_empty() {
        routes
    } else {
        // RFC 8414 §3: the metadata of an issuer with a path also lives at
        // /.well-known/oauth-authorization-server/{path}.
        Router::new()
            .route(
                &format!("/.well-known/oauth-authorization-server{base}"),
                axum::routing::get(crate::oauth::metadata::metadata),
            )
            .nest(&base, routes)
            .fallback(not_found)
    };
    let request_id = HeaderName::from_static("x-request-id");
    let timeout = state.config.request_timeout;
    routes
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), RandomRequestId))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
                    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str());
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", request_id = %id, method = %request.method(), route = %route)
                }))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
                .layer(middleware::from_fn(telemetry::track_requests))
                .layer(DefaultBodyLimit::max(state.config.max_body_bytes)),
        )
        .with_state(state)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "not_found", "error_description": "no such endpoint" })),
    )
        .into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "server_error", "error_description": "the server could not complete the request" })),
    )
        .into_response()
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
