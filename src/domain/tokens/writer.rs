//! The token writer: token inserts and refresh-token rotations from all
//! concurrent requests, grouped into few transactions (see
//! [`crate::store::batch`]).
//!
//! A rotation job carries a `decide` closure from the grant: given the
//! claimed row, it checks what the client asked for and mints the new
//! tokens, or refuses, in which case the claim is undone in the same
//! transaction. Either way the caller gets exactly its own outcome.
//!
//! May touch: `store` (`batch`, `tokens`), `domain::tokens`, `clock`. Never
//! an entry point.

use std::collections::HashMap;

use super::{TokenError, TokenResponse};
use crate::{
    clock::SharedClock,
    store::{
        batch::Batcher,
        tokens::{self, NewToken, TokenRow},
        Db, Engine, StoreError,
    },
};

/// Decides, for a claimed refresh token, which tokens replace it.
pub type Decide =
    Box<dyn FnOnce(&TokenRow, i64) -> Result<(Vec<NewToken>, TokenResponse), TokenError> + Send>;

/// A refresh-token rotation to perform.
pub struct Rotation {
    /// Hash of the presented refresh token.
    pub token_hash: String,
    /// The authenticated client.
    pub client_id: String,
    /// What to issue in its place.
    pub decide: Decide,
}

/// Outcome of a [`Rotation`].
#[derive(Debug)]
pub enum Rotated {
    /// The token was claimed and replaced.
    Issued(TokenResponse),
    /// The token was not claimable (unknown, another client's, expired,
    /// revoked or already rotated); the caller finds out which.
    NotClaimed,
    /// The grant refused the exchange; the token was left usable.
    Refused(TokenError),
}

type InsertResult = Result<(), String>;
type RotateResult = Result<Rotated, String>;

/// Handle to the writer's workers; cheap to clone.
#[derive(Clone)]
pub struct TokenWriter {
    inserts: Batcher<Vec<NewToken>, InsertResult>,
    rotations: Batcher<Rotation, RotateResult>,
}

/// Jobs per batch.
const MAX_BATCH: usize = 128;

impl TokenWriter {
    /// Starts the workers: one per kind on SQLite (a single writer), four
    /// on PostgreSQL.
    pub fn start(db: Db, clock: SharedClock) -> Self {
        let workers = match db.engine() {
            Engine::Sqlite => 1,
            Engine::Postgres => 4,
        };
        let inserts = {
            let (db, clock) = (db.clone(), clock.clone());
            Batcher::spawn(
                "token_inserts",
                workers,
                MAX_BATCH,
                move |jobs: Vec<Vec<NewToken>>| {
                    let (db, clock) = (db.clone(), clock.clone());
                    async move {
                        let n = jobs.len();
                        let rows: Vec<NewToken> = jobs.into_iter().flatten().collect();
                        let result = tokens::insert_batch(&db, &rows, clock.now_ms())
                            .await
                            .map_err(|e| format!("{e:#}"));
                        vec![result; n]
                    }
                },
            )
        };
        let rotations = Batcher::spawn(
            "token_rotations",
            workers,
            MAX_BATCH,
            move |jobs: Vec<Rotation>| {
                let (db, clock) = (db.clone(), clock.clone());
                async move {
                    let n = jobs.len();
                    match rotate_batch(&db, jobs, clock.now_ms()).await {
                        Ok(results) => results.into_iter().map(Ok).collect(),
                        Err(e) => {
                            let message = format!("{e:#}");
                            (0..n).map(|_| Err(message.clone())).collect()
                        }
                    }
                }
            },
        );
        Self { inserts, rotations }
    }

    /// Stores freshly minted tokens.
    pub async fn insert(&self, rows: Vec<NewToken>) -> Result<(), StoreError> {
        match self.inserts.call(rows).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(detail)) => Err(StoreError::Batch(detail)),
            Err(gone) => Err(StoreError::Batch(gone.to_string())),
        }
    }

    /// Claims and replaces a refresh token.
    pub async fn rotate(&self, rotation: Rotation) -> Result<Rotated, StoreError> {
        match self.rotations.call(rotation).await {
            Ok(Ok(rotated)) => Ok(rotated),
            Ok(Err(detail)) => Err(StoreError::Batch(detail)),
            Err(gone) => Err(StoreError::Batch(gone.to_string())),
        }
    }
}

async fn rotate_batch(db: &Db, jobs: Vec<Rotation>, now: i64) -> Result<Vec<Rotated>, StoreError> {
    let mut tx = db.begin().await?;
    let claims: Vec<(&str, &str)> = jobs
        .iter()
        .map(|j| (j.token_hash.as_str(), j.client_id.as_str()))
        .collect();
    let claimed = tokens::claim_many(&mut tx, &claims, now).await?;
    let mut by_hash: HashMap<String, TokenRow> = claimed
        .into_iter()
        .map(|row| (row.token_hash.clone(), row))
        .collect();
    let mut results = Vec::with_capacity(jobs.len());
    let mut new_rows = Vec::new();
    let mut refused = Vec::new();
    for job in jobs {
        // The first job presenting a hash gets the row; any other job in the
        // batch presenting the same hash finds it gone, as if it came later.
        match by_hash.remove(&job.token_hash) {
            None => results.push(Rotated::NotClaimed),
            Some(row) => match (job.decide)(&row, now) {
                Ok((rows, response)) => {
                    new_rows.extend(rows);
                    results.push(Rotated::Issued(response));
                }
                Err(e) => {
                    refused.push(row.id);
                    results.push(Rotated::Refused(e));
                }
            },
        }
    }
    tokens::unclaim(&mut tx, &refused).await?;
    tokens::insert_many(&mut tx, &new_rows, now).await?;
    tx.commit().await?;
    Ok(results)
}
