//! Storefront users and their consents (their sessions: `store::sessions`).
//!
//! May touch: `sqlx`, `store` (`Tx`, `read`). Never `domain` or an entry
//! point.

use sqlx::Row;

use super::{StoreResult, Tx};

/// A storefront user.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// The company the user belongs to.
    pub company_id: i64,
    /// Display name.
    pub name: String,
    /// Lower-cased e-mail address.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
}

const COLUMNS: &str = "id, company_id, name, email, password_hash";

/// Inserts a user; a taken e-mail address in the company is a unique
/// violation.
pub async fn insert(
    tx: &mut Tx,
    company_id: i64,
    name: &str,
    email: &str,
    password_hash: &str,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO users (company_id, name, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(company_id)
    .bind(name)
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// A user of `company_id` by e-mail address.
pub async fn find_by_email<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    email: &str,
) -> StoreResult<Option<UserRow>> {
    // No stored address holds a NUL (PostgreSQL text cannot).
    if email.contains('\0') {
        return Ok(None);
    }
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND email = $2"
    ))
    .bind(company_id)
    .bind(email)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// Scopes the user already granted to the client, if any.
pub async fn consent<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    user_id: i64,
    client_id: &str,
) -> StoreResult<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(exec)
            .await?;
    Ok(row.map(|(s,)| s))
}

/// Records (or replaces) what the user granted to the client.
pub async fn save_consent(
    tx: &mut Tx,
    user_id: i64,
    client_id: &str,
    scopes: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consents (user_id, client_id, scopes, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(scopes)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
