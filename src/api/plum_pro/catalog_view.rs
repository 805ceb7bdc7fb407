//! The catalog as getVouchers and getFilters read it: all products with
//! their wire JSON prepared once per catalog version. Every request reads
//! the version from the database (one row), so a node never serves a
//! catalog older than the last committed import.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Mutex;

use crate::{
    app::AppState,
    store::{catalog, catalog::ProductRow, StoreResult},
};

/// One version of the catalog.
#[derive(Debug)]
pub struct View {
    /// The `catalog_meta` version it was read at.
    pub version: i64,
    /// Products in id order.
    pub products: Vec<ProductRow>,
    /// Their getVouchers JSON (with `exchangeRate` null), same order.
    pub json: Vec<Value>,
}

/// The shared cache of the latest [`View`].
#[derive(Debug, Default)]
pub struct CatalogCache {
    latest: std::sync::RwLock<Option<Arc<View>>>,
    reload: Mutex<()>,
}

impl CatalogCache {
    /// The catalog as of now.
    pub async fn current(&self, state: &AppState) -> StoreResult<Arc<View>> {
        let version = catalog::version(state.db.reader()).await?;
        if let Some(view) = self.cached(version) {
            return Ok(view);
        }
        let _one_loader = self.reload.lock().await;
        if let Some(view) = self.cached(version) {
            return Ok(view);
        }
        // An import committing between the two reads makes the rows newer
        // than `version`, never older; the next request then sees a higher
        // version and reloads.
        let products = catalog::all(state.db.reader()).await?;
        let json = products.iter().map(|p| super::product_json(p, Value::Null)).collect();
        let view = Arc::new(View { version, products, json });
        *self.latest.write().expect("catalog cache lock") = Some(view.clone());
        Ok(view)
    }

    fn cached(&self, version: i64) -> Option<Arc<View>> {
        self.latest.read().expect("catalog cache lock").as_ref().filter(|v| v.version == version).cloned()
    }
}
