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

/// A sign-up waiting for its e-mail address to be confirmed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingSignUp {
    /// Row id.
    pub id: i64,
    /// The company the account will belong to.
    pub company_id: i64,
    /// The app the user signed up through.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Lower-cased e-mail address.
    pub email: String,
    /// argon2 PHC string of the chosen password.
    pub password_hash: String,
    /// The authorization request to go back to, as a query string.
    pub return_query: String,
}

/// Records a sign-up waiting for confirmation under `token_hash`.
pub async fn insert_pending(
    tx: &mut Tx,
    token_hash: &str,
    pending: &PendingSignUp,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO signup_confirmations (token_hash, company_id, client_id, name, email, password_hash, \
         return_query, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(token_hash)
    .bind(pending.company_id)
    .bind(&pending.client_id)
    .bind(&pending.name)
    .bind(&pending.email)
    .bind(&pending.password_hash)
    .bind(&pending.return_query)
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const PENDING_COLUMNS: &str = "id, company_id, client_id, name, email, password_hash, return_query";

/// The unused, unexpired sign-up under `token_hash`.
pub async fn pending<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<PendingSignUp>> {
    sqlx::query(&format!(
        "SELECT {PENDING_COLUMNS} FROM signup_confirmations \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// Marks a pending sign-up used; false when another request used it first
/// (or it expired meanwhile).
pub async fn use_pending(tx: &mut Tx, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE signup_confirmations SET used_at = $1, password_hash = '' \
         WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes sign-ups that expired or were used before `before`.
pub async fn delete_stale_pending(tx: &mut Tx, before: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM signup_confirmations WHERE expires_at < $1 OR (used_at IS NOT NULL AND used_at < $1)",
    )
    .bind(before)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
