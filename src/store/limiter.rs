//! Per-client, per-operation rate limits (`api_rate_limits`; the 429 answer
//! is in `docs/api.md`, "Errors"), counted in the
//! database so that a limit holds across nodes. Concurrent hits go through
//! a batcher: hits on one counter in a batch become one upsert that adds
//! them all, and each caller gets its own position in the count.
//!
//! May touch: `store::batch`, `store::rate_limits`, `store` (`Db`). Never
//! `domain` or an entry point.

use std::collections::{BTreeMap, HashMap};

use super::{batch::Batcher, rate_limits, Db, Engine};

/// A counter and its window start (ms).
type Key = (String, i64);

/// Handle to the counting workers; cheap to clone.
#[derive(Clone)]
pub struct Limiter {
    hits: Batcher<Key, Result<i64, String>>,
}

impl Limiter {
    /// Starts the workers (one on SQLite, two on PostgreSQL).
    pub fn start(db: Db) -> Self {
        let workers = if db.engine() == Engine::Sqlite { 1 } else { 2 };
        let hits = Batcher::spawn("rate_limit_hits", workers, 256, move |keys: Vec<Key>| {
            let db = db.clone();
            async move { count(&db, keys).await }
        });
        Self { hits }
    }

    /// Records one hit; returns the count in the window including it.
    pub async fn hit(&self, bucket: String, window_start: i64) -> anyhow::Result<i64> {
        match self.hits.call((bucket, window_start)).await {
            Ok(Ok(count)) => Ok(count),
            Ok(Err(detail)) => Err(anyhow::anyhow!(detail)),
            Err(gone) => Err(gone.into()),
        }
    }
}

async fn count(db: &Db, keys: Vec<Key>) -> Vec<Result<i64, String>> {
    // Counters are upserted in one order (sorted by key) in every batch:
    // batches run at once (two workers per node, and every node), and two
    // that locked the same counters in different orders would deadlock
    // (PostgreSQL then aborts one, and its callers got 500s).
    let mut groups: BTreeMap<&Key, i64> = BTreeMap::new();
    for key in &keys {
        *groups.entry(key).or_default() += 1;
    }
    let totals: Result<HashMap<&Key, i64>, String> = async {
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        let mut totals = HashMap::new();
        for (key, n) in &groups {
            let total = rate_limits::hit_many(&mut tx, &key.0, key.1, *n)
                .await
                .map_err(|e| e.to_string())?;
            totals.insert(*key, total);
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        Ok(totals)
    }
    .await;
    match totals {
        // The batch's hits on a counter take the last `n` positions, in
        // arrival order.
        Ok(totals) => {
            let mut seen: HashMap<&Key, i64> = HashMap::new();
            keys.iter()
                .map(|key| {
                    let before = seen.entry(key).or_default();
                    *before += 1;
                    Ok(totals[key] - groups[key] + *before)
                })
                .collect()
        }
        Err(e) => keys.iter().map(|_| Err(e.clone())).collect(),
    }
}
