//! The outbox: messages written in the same transaction as the change they
//! report, delivered later by [`crate::delivery`]. A message is claimed with
//! a lease before it is sent, so two nodes never send the same one, and one
//! that a crashed node had claimed is sent again after the lease.
//!
//! May touch: `sqlx`, `store` (`Db`). Never `domain` or an entry point.

use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

/// A message waiting for delivery.
#[derive(Clone, Debug)]
pub struct Message {
    /// Row id.
    pub id: i64,
    /// `order_email`, ...
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When it was queued (ms).
    pub created_at: i64,
}

/// Queues a message in the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO outbox (kind, payload, attempts, next_attempt_at, created_at) VALUES ($1, $2, 0, $3, $3)")
        .bind(kind)
        .bind(payload.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Messages due now, oldest first.
pub async fn due(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<Message>> {
    let rows = sqlx::query(
        "SELECT id, kind, payload, attempts, created_at FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Message {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                payload: r.try_get(2)?,
                attempts: r.try_get(3)?,
                created_at: r.try_get(4)?,
            })
        })
        .collect()
}

/// Takes a due message for `lease_ms`; false when another worker has it.
pub async fn claim(db: &Db, id: i64, now: i64, lease_ms: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL AND next_attempt_at <= $3",
    )
    .bind(now + lease_ms)
    .bind(id)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a delivery, replacing the payload when `payload` is given (to
/// drop secrets that were needed only to send it).
pub async fn mark_sent(db: &Db, id: i64, now: i64, payload: Option<&str>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL, payload = COALESCE($2, payload) \
         WHERE id = $3",
    )
        .bind(now)
        .bind(payload)
        .bind(id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Records a failed attempt and when to try again, replacing the payload
/// when `payload` is given (a message given up on keeps no secrets).
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    next_attempt_at: i64,
    payload: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
         payload = COALESCE($3, payload) WHERE id = $4",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(payload)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(())
}
