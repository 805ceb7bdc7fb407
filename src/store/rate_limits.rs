//! Fixed-window counters kept in the database, so that a limit holds across
//! every node sharing it.
//!
//! May touch: `sqlx`, `store` (`Db`). Never `domain` or an entry point.

use sqlx::Row;

use super::{Db, StoreResult};

/// Hits recorded for `bucket` in the window starting at `window_start`.
pub async fn hits(db: &Db, bucket: &str, window_start: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2")
        .bind(bucket)
        .bind(window_start)
        .fetch_optional(db.reader())
        .await?;
    Ok(match row {
        Some(row) => row.try_get(0)?,
        None => 0,
    })
}

/// Adds one hit and returns the new count.
pub async fn hit(db: &Db, bucket: &str, window_start: i64) -> StoreResult<i64> {
    hit_many(&mut *db.writer().acquire().await?, bucket, window_start, 1).await
}

/// Adds `n` hits in one statement and returns the new count.
pub async fn hit_many(
    conn: &mut sqlx::AnyConnection,
    bucket: &str,
    window_start: i64,
    n: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, $3) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + $3 RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .bind(n)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Takes one hit back (never below zero): an attempt that was reserved and
/// then succeeded does not count as a failure.
pub async fn release(db: &Db, bucket: &str, window_start: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE rate_limits SET hits = hits - 1 WHERE bucket = $1 AND window_start = $2 AND hits > 0",
    )
    .bind(bucket)
    .bind(window_start)
    .execute(db.writer())
    .await?;
    Ok(())
}
