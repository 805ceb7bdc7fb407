//! The state every handler and worker shares: handles to the database, the
//! clock, the configuration and the batching workers. A leaf: it names only
//! `clock`, `config`, `domain`, `pages` and `store` types, never an `api`,
//! `oauth` or `web` one, so every area can depend on it without depending
//! on the others.
//!
//! May touch: `clock`, `config`, `domain` (`OrderDesk`, `Tokens`), `pages`
//! (`Templates`), `store` (`Db`, the catalog cache, the limiter, the
//! reader).

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::{
    clock::SharedClock,
    config::ValidConfig,
    crypto::SigningKey,
    domain::{orders::OrderDesk, tokens::Tokens},
    pages::Templates,
    store::{catalog_cache::CatalogCache, limiter::Limiter, reader::Reader, Db},
};

/// State shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Database handle.
    pub db: Db,
    /// Time source.
    pub clock: SharedClock,
    /// Validated configuration.
    pub config: Arc<ValidConfig>,
    /// Prometheus handle for `/metrics`.
    pub metrics: PrometheusHandle,
    /// Token issuance: settings and the batched token writer.
    pub tokens: Tokens,
    /// Batched token and client lookups.
    pub reader: Reader,
    /// Page and e-mail templates.
    pub templates: Arc<Templates>,
    /// The demo app's client id, under `galley demo` only.
    pub demo_client: Option<String>,
    /// The catalog as the Rewards API reads it.
    pub catalog: Arc<CatalogCache>,
    /// Batched rate-limit counters.
    pub limiter: Limiter,
    /// Batched order placement.
    pub orders: OrderDesk,
    /// The key CSRF tokens are signed with (shared by every node).
    pub csrf_key: Arc<SigningKey>,
}

impl AppState {
    /// Starts the batching workers over `db`.
    pub fn new(
        db: Db,
        clock: SharedClock,
        config: ValidConfig,
        metrics: PrometheusHandle,
        csrf_key: SigningKey,
    ) -> Self {
        Self {
            csrf_key: Arc::new(csrf_key),
            tokens: Tokens::start(db.clone(), clock.clone(), config.tokens),
            reader: Reader::start(db.clone()),
            limiter: Limiter::start(db.clone()),
            orders: OrderDesk::start(db.clone(), clock.clone()),
            catalog: Arc::new(CatalogCache::new(db.clone())),
            templates: Arc::new(Templates::new()),
            demo_client: None,
            config: Arc::new(config),
            metrics,
            clock,
            db,
        }
    }
}
