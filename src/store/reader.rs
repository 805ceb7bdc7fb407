//! Batched lookups of tokens by hash and clients by id: the hot reads of
//! every token request. Concurrent lookups share one `IN (...)` query
//! instead of each taking a connection and a round trip. Nothing is cached:
//! every answer comes from the database at the time of the request.
//!
//! May touch: `store::batch`, `store::clients`, `store::tokens`. Never
//! `domain` or an entry point.

use std::collections::HashMap;

use super::{
    batch::{Batcher, WorkerGone},
    clients,
    clients::ClientRow,
    tokens,
    tokens::TokenRow,
    Db, Engine, StoreError, StoreResult,
};

type Lookup<T> = Batcher<String, Result<Option<T>, String>>;

/// Handle to the lookup workers; cheap to clone.
#[derive(Clone)]
pub struct Reader {
    tokens: Lookup<TokenRow>,
    clients: Lookup<ClientRow>,
}

/// Lookups per batch.
const MAX_BATCH: usize = 64;

impl Reader {
    /// Starts the workers on the read pool.
    pub fn start(db: Db) -> Self {
        let workers = match db.engine() {
            Engine::Sqlite => 2,
            Engine::Postgres => 4,
        };
        let tokens = {
            let db = db.clone();
            Batcher::spawn(
                "token_lookups",
                workers,
                MAX_BATCH,
                move |hashes: Vec<String>| {
                    let db = db.clone();
                    async move {
                        let found = match db.reader().acquire().await {
                            Ok(mut conn) => tokens::find_many(&mut conn, &dedup(&hashes)).await,
                            Err(e) => Err(e.into()),
                        };
                        answer(
                            hashes,
                            found.map(|rows| {
                                rows.into_iter()
                                    .map(|r| (r.token_hash.clone(), r))
                                    .collect()
                            }),
                        )
                    }
                },
            )
        };
        let clients = Batcher::spawn(
            "client_lookups",
            workers,
            MAX_BATCH,
            move |ids: Vec<String>| {
                let db = db.clone();
                async move {
                    let found = match db.reader().acquire().await {
                        Ok(mut conn) => clients::find_many(&mut conn, &dedup(&ids)).await,
                        Err(e) => Err(e.into()),
                    };
                    answer(
                        ids,
                        found.map(|rows| {
                            rows.into_iter().map(|r| (r.client_id.clone(), r)).collect()
                        }),
                    )
                }
            },
        );
        Self { tokens, clients }
    }

    /// A token by hash.
    pub async fn token(&self, hash: String) -> StoreResult<Option<TokenRow>> {
        flatten(self.tokens.call(hash).await)
    }

    /// A client by id.
    pub async fn client(&self, client_id: String) -> StoreResult<Option<ClientRow>> {
        // No id holds a NUL, which PostgreSQL text cannot hold: in a batch
        // it would fail every lookup of that batch.
        if client_id.contains('\0') {
            return Ok(None);
        }
        flatten(self.clients.call(client_id).await)
    }
}

fn dedup(keys: &[String]) -> Vec<String> {
    let mut unique = keys.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique
}

fn answer<T: Clone, E: std::fmt::Display>(
    keys: Vec<String>,
    found: Result<HashMap<String, T>, E>,
) -> Vec<Result<Option<T>, String>> {
    match found {
        Ok(map) => keys.iter().map(|k| Ok(map.get(k).cloned())).collect(),
        Err(e) => {
            let message = e.to_string();
            keys.iter().map(|_| Err(message.clone())).collect()
        }
    }
}

fn flatten<T>(result: Result<Result<Option<T>, String>, WorkerGone>) -> StoreResult<Option<T>> {
    match result {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(detail)) => Err(StoreError::Batch(detail)),
        Err(gone) => Err(StoreError::Batch(gone.to_string())),
    }
}
