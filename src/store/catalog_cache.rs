//! A cache of the catalog prepared for reading, one version at a time.
//!
//! Every read asks the database for the catalog version (one row;
//! concurrent callers share one read made after they arrived), so a node
//! never serves a catalog older than the last import committed before the
//! request. When the version moved, the caller's `prepare` builds the new
//! value from every product row, once, while other callers wait for it.
//!
//! What is prepared (for the Rewards API: products with their wire JSON)
//! is the caller's business: the cache holds it as `dyn Any`, so the state
//! that owns the cache names no type of the area that reads it.
//!
//! May touch: `store::batch`, `store::catalog`, `store` (`Db`). Never
//! `domain` or an entry point.

use std::{
    any::Any,
    sync::{Arc, PoisonError, RwLock},
};

use tokio::sync::Mutex;

use super::{batch::Batcher, catalog, catalog::ProductRow, Db};

type Slot = Option<(i64, Arc<dyn Any + Send + Sync>)>;

/// The shared cache of the latest prepared catalog.
pub struct CatalogCache {
    latest: RwLock<Slot>,
    reload: Mutex<()>,
    versions: Batcher<(), Result<i64, String>>,
    db: Db,
}

impl std::fmt::Debug for CatalogCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogCache").finish_non_exhaustive()
    }
}

impl CatalogCache {
    /// An empty cache over `db`.
    pub fn new(db: Db) -> Self {
        let reader = db.clone();
        let versions = Batcher::spawn("catalog_version", 1, 1024, move |jobs: Vec<()>| {
            let db = reader.clone();
            async move {
                let version = catalog::version(db.reader())
                    .await
                    .map_err(|e| e.to_string());
                vec![version; jobs.len()]
            }
        });
        Self {
            latest: RwLock::new(None),
            reload: Mutex::new(()),
            versions,
            db,
        }
    }

    /// The catalog as of now, prepared by `prepare` (called only when the
    /// version moved since the last call).
    pub async fn current<T, F>(&self, prepare: F) -> anyhow::Result<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce(i64, Vec<ProductRow>) -> anyhow::Result<T>,
    {
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
        let rows = catalog::all(self.db.reader()).await?;
        let view = Arc::new(prepare(version, rows)?);
        // The slot is replaced whole, so a writer that panicked cannot have
        // left it half-written: a poisoned lock is still usable.
        *self.latest.write().unwrap_or_else(PoisonError::into_inner) =
            Some((version, view.clone() as Arc<dyn Any + Send + Sync>));
        Ok(view)
    }

    /// The cached value if it is of `version` (and of type `T`).
    fn cached<T: Any + Send + Sync>(&self, version: i64) -> Option<Arc<T>> {
        let slot = self.latest.read().unwrap_or_else(PoisonError::into_inner);
        let (cached_version, value) = slot.as_ref()?;
        if *cached_version != version {
            return None;
        }
        value.clone().downcast::<T>().ok()
    }
}
