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

/// The admin of a live session.
pub async fn admin<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    session_hash: &str,
    now: i64,
) -> StoreResult<Option<AdminRow>> {
    sqlx::query(
        "SELECT a.id, a.company_id, a.email, a.password_hash, a.role FROM sessions s \
         JOIN admins a ON a.id = s.admin_id WHERE s.session_hash = $1 AND s.expires_at > $2",
    )
    .bind(session_hash)
    .bind(now)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}
