//! The server's signing keys, kept in the database so that every node
//! signs and checks with the same key. The first node to start makes each
//! key; the others read it.

use super::{Db, StoreResult};

/// The key named `name`: made from `fresh` (hex of random bytes) if no node
/// made it yet, else the stored one.
pub async fn load_or_create(db: &Db, name: &str, fresh: &str, now: i64) -> StoreResult<String> {
    sqlx::query(
        "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .bind(now)
    .execute(db.writer())
    .await?;
    let (secret,): (String,) = sqlx::query_as("SELECT secret FROM server_keys WHERE name = $1")
        .bind(name)
        .fetch_one(db.writer())
        .await?;
    Ok(secret)
}
