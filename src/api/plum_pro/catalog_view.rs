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

/// A product with what filters compare, prepared once.
#[derive(Debug)]
pub struct Entry {
    /// The product.
    pub product: ProductRow,
    /// Its getVouchers JSON (with `exchangeRate` null).
    pub json: Value,
    /// Lower-cased name.
    pub name: String,
    /// Lower-cased country codes and names.
    pub countries: Vec<(String, String)>,
    /// Lower-cased categories.
    pub categories: Vec<String>,
}

/// One version of the catalog.
#[derive(Debug)]
pub struct View {
    /// The `catalog_meta` version it was read at.
    pub version: i64,
    /// Products in id order.
    pub entries: Vec<Entry>,
    /// Indexes into `entries` in name order (ties by id).
    pub by_name: Vec<usize>,
}

impl View {
    /// Products in id order.
    pub fn products(&self) -> impl Iterator<Item = &ProductRow> {
        self.entries.iter().map(|e| &e.product)
    }
}

fn entry(product: ProductRow) -> Entry {
    let countries: Vec<std::collections::HashMap<String, String>> =
        serde_json::from_str(&product.countries).unwrap_or_default();
    Entry {
        json: super::product_json(&product, Value::Null),
        name: product.name.to_lowercase(),
        countries: countries
            .iter()
            .map(|c| {
                let get = |k: &str| c.get(k).map(|v| v.to_lowercase()).unwrap_or_default();
                (get("code"), get("name"))
            })
            .collect(),
        categories: product
            .categories
            .split(',')
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect(),
        product,
    }
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
        let entries: Vec<Entry> = catalog::all(state.db.reader())
            .await?
            .into_iter()
            .map(entry)
            .collect();
        let mut by_name: Vec<usize> = (0..entries.len()).collect();
        by_name.sort_by(|a, b| {
            entries[*a]
                .name
                .cmp(&entries[*b].name)
                .then(entries[*a].product.id.cmp(&entries[*b].product.id))
        });
        let view = Arc::new(View {
            version,
            entries,
            by_name,
        });
        *self.latest.write().expect("catalog cache lock") = Some(view.clone());
        Ok(view)
    }

    fn cached(&self, version: i64) -> Option<Arc<View>> {
        self.latest
            .read()
            .expect("catalog cache lock")
            .as_ref()
            .filter(|v| v.version == version)
            .cloned()
    }
}
