//! Browser sessions, stored as the SHA-256 of their cookie. A session
//! belongs to a storefront user or to a company admin (exactly one of the
//! two columns is set).
//!
//! May touch: `sqlx`, `store` (`Db`, `read`, the user and admin rows).
//! Never `domain` or an entry point.

use super::{companies::AdminRow, users::UserRow, Db, StoreResult};

/// Whose session it is.
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    /// A storefront user.
    User(i64),
    /// A company admin.
    Admin(i64),
}

/// Opens a session (one statement, atomic by itself).
pub async fn insert(
    db: &Db,
    session_hash: &str,
    owner: Owner,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    let (user_id, admin_id) = match owner {
        Owner::User(id) => (Some(id), None),
        Owner::Admin(id) => (None, Some(id)),
    };
    sqlx::query(
        "INSERT INTO sessions (session_hash, user_id, admin_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(session_hash)
    .bind(user_id)
    .bind(admin_id)
    .bind(now)
    .bind(expires_at)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The user of a live session.
pub async fn user<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    session_hash: &str,
    now: i64,
) -> StoreResult<Option<UserRow>> {
    sqlx::query(
        "SELECT u.id, u.company_id, u.name, u.email, u.password_hash FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.session_hash = $1 AND s.expires_at > $2",
    )
    .bind(session_hash)
    .bind(now)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// The admin of a live session: not expired, and used since `idle_since`.
pub async fn admin<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    session_hash: &str,
    now: i64,
    idle_since: i64,
) -> StoreResult<Option<AdminRow>> {
    sqlx::query(
        "SELECT a.id, a.company_id, a.email, a.password_hash, a.role FROM sessions s \
         JOIN admins a ON a.id = s.admin_id WHERE s.session_hash = $1 AND s.expires_at > $2 \
         AND COALESCE(s.last_seen_at, s.created_at) > $3",
    )
    .bind(session_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// Notes that a session was used at `now` (written at most once a minute,
/// to keep reads cheap).
pub async fn touch(db: &Db, session_hash: &str, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE session_hash = $2 \
         AND COALESCE(last_seen_at, created_at) < $3",
    )
    .bind(now)
    .bind(session_hash)
    .bind(now - 60_000)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Ends one session (log-out).
pub async fn delete(db: &Db, session_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE session_hash = $1")
        .bind(session_hash)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Ends every session of an admin (log out everywhere); returns how many.
pub async fn delete_for_admin(db: &Db, admin_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE admin_id = $1")
        .bind(admin_id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}
