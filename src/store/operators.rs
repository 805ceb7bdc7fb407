//! The people who review public apps for the server's operator, and their
//! sessions.
//!
//! May touch: `sqlx`, `store` (`Db`, `Tx`, `read`). Never `domain` or an
//! entry point.

use super::{Db, StoreResult, Tx};

/// An operator as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperatorRow {
    /// Id.
    pub id: i64,
    /// Lower-cased e-mail address.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
}

/// Adds an operator; a taken address is a unique violation.
pub async fn insert(tx: &mut Tx, email: &str, password_hash: &str, now: i64) -> StoreResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO operators (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// An operator by e-mail address.
pub async fn find_by_email<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    email: &str,
) -> StoreResult<Option<OperatorRow>> {
    // No stored address holds a NUL (PostgreSQL text cannot).
    if email.contains('\0') {
        return Ok(None);
    }
    sqlx::query("SELECT id, email, password_hash FROM operators WHERE email = $1")
        .bind(email)
        .fetch_optional(exec)
        .await?
        .map(super::read)
        .transpose()
}

/// Every operator, oldest first.
pub async fn list<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<OperatorRow>> {
    sqlx::query("SELECT id, email, password_hash FROM operators ORDER BY id")
        .fetch_all(exec)
        .await?
        .into_iter()
        .map(super::read)
        .collect()
}

/// Removes an operator and ends their sessions; false when there is none.
pub async fn delete(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    sqlx::query("DELETE FROM operator_sessions WHERE operator_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query("DELETE FROM operators WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens an operator's session.
pub async fn open_session(
    db: &Db,
    session_hash: &str,
    operator_id: i64,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO operator_sessions (session_hash, operator_id, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $3)",
    )
    .bind(session_hash)
    .bind(operator_id)
    .bind(now)
    .bind(expires_at)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The operator of a live session (not expired, used since `idle_since`),
/// noting the use (at most once a minute).
pub async fn by_session(
    db: &Db,
    session_hash: &str,
    now: i64,
    idle_since: i64,
) -> StoreResult<Option<OperatorRow>> {
    let found: Option<OperatorRow> = sqlx::query(
        "SELECT o.id, o.email, o.password_hash FROM operator_sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.session_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
    )
    .bind(session_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(db.reader())
    .await?
    .map(super::read)
    .transpose()?;
    if found.is_some() {
        sqlx::query(
            "UPDATE operator_sessions SET last_seen_at = $1 WHERE session_hash = $2 AND last_seen_at < $3",
        )
        .bind(now)
        .bind(session_hash)
        .bind(now - 60_000)
        .execute(db.writer())
        .await?;
    }
    Ok(found)
}

/// Ends one operator session.
pub async fn close_session(db: &Db, session_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM operator_sessions WHERE session_hash = $1")
        .bind(session_hash)
        .execute(db.writer())
        .await?;
    Ok(())
}
