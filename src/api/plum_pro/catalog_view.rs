//! The catalog as getVouchers and getFilters read it: all products with
//! their wire JSON serialized once per catalog version. Every request reads
//! the version from the database (one row; concurrent requests share one
//! read, made after they arrived), so a node never serves a catalog older
//! than the last import committed before the request.
//!
//! Reads the catalog tables only; each row is parsed into its typed
//! [`Product`] once per version (a row that does not parse fails the load
//! as an internal error).

use std::sync::{Arc, PoisonError};

use serde_json::Value;
use tokio::sync::Mutex;

use crate::{
    app::AppState,
    domain::catalog::{CorruptProduct, Product},
    store::{batch::Batcher, catalog, catalog::ProductRow, Db},
};

/// A product with what filters compare, prepared once.
#[derive(Debug)]
pub struct Entry {
    /// The product as stored (its wire text).
    pub row: ProductRow,
    /// The product's typed values (what filters compare).
    pub product: Product,
    /// Its getVouchers JSON without `exchangeRate`, serialized, without the
    /// opening brace: `"categories":...}` (see [`Entry::write_json`]).
    pub fields: String,
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

impl Entry {
    /// Appends the product's getVouchers object with `exchange_rate` (JSON
    /// text, e.g. `null` or `83.12`) to `out`.
    pub fn write_json(&self, exchange_rate: &str, out: &mut String) {
        out.push_str("{\"exchangeRate\":");
        out.push_str(exchange_rate);
        out.push(',');
        out.push_str(&self.fields);
    }
}

/// Prepares a stored product.
fn entry(row: ProductRow) -> Result<Entry, CorruptProduct> {
    let product = Product::from_row(&row)?;
    let mut json = super::product_json(&row, Value::Null);
    if let Value::Object(map) = &mut json {
        map.remove("exchangeRate");
    }
    let text = json.to_string();
    Ok(Entry {
        fields: text.strip_prefix('{').unwrap_or(&text).to_string(),
        name: row.name.to_lowercase(),
        countries: product
            .countries
            .iter()
            .map(|(code, name)| (code.to_lowercase(), name.to_lowercase()))
            .collect(),
        categories: row
            .categories
            .split(',')
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect(),
        row,
        product,
    })
}

/// The shared cache of the latest [`View`].
pub struct CatalogCache {
    latest: std::sync::RwLock<Option<Arc<View>>>,
    reload: Mutex<()>,
    versions: Batcher<(), Result<i64, String>>,
}

impl std::fmt::Debug for CatalogCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogCache").finish_non_exhaustive()
    }
}

impl CatalogCache {
    /// An empty cache whose version reads go to `db`.
    pub fn new(db: Db) -> Self {
        let versions = Batcher::spawn("catalog_version", 1, 1024, move |jobs: Vec<()>| {
            let db = db.clone();
            async move {
                let version = catalog::version(db.reader())
                    .await
                    .map_err(|e| e.to_string());
                vec![version; jobs.len()]
            }
        });
        Self {
            latest: std::sync::RwLock::new(None),
            reload: Mutex::new(()),
            versions,
        }
    }

    /// The catalog as of now.
    pub async fn current(&self, state: &AppState) -> anyhow::Result<Arc<View>> {
        let version = match self.versions.call(()).await {
            Ok(Ok(version)) => version,
            Ok(Err(detail)) => anyhow::bail!("reading the catalog version: {detail}"),
            Err(gone) => return Err(gone.into()),
        };
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
        let entries = catalog::all(state.db.reader())
            .await?
            .into_iter()
            .map(entry)
            .collect::<Result<Vec<Entry>, CorruptProduct>>()?;
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
        // The slot is replaced whole, so a writer that panicked cannot have
        // left it half-written: a poisoned lock is still usable.
        *self.latest.write().unwrap_or_else(PoisonError::into_inner) = Some(view.clone());
        Ok(view)
    }

    /// The cached view if it is of `version`.
    fn cached(&self, version: i64) -> Option<Arc<View>> {
        self.latest
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|v| v.version == version)
            .cloned()
    }
}
