//! Authorization codes, stored as SHA-256 hashes, single use. A code is
//! granted by a storefront user (user scopes) or by an admin (company
//! scopes): exactly one of `user_id` and `admin_id` is set.
//!
//! May touch: `sqlx`, `store` (`Tx`, `read`). Never `domain` or an entry
//! point.

use super::{StoreResult, Tx};

/// An authorization code as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CodeRow {
    /// Client it was issued to.
    pub client_id: String,
    /// The storefront user who consented, if a user did.
    pub user_id: Option<i64>,
    /// The admin who consented, if an admin did.
    pub admin_id: Option<i64>,
    /// The company the tokens act in.
    pub company_id: i64,
    /// The `redirect_uri` of the authorization request.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    /// PKCE S256 challenge, if one was sent.
    pub code_challenge: Option<String>,
    /// Family of the tokens issued from this code.
    pub family_id: String,
    /// Expiry (ms).
    pub expires_at: i64,
    /// When it was exchanged (ms).
    pub used_at: Option<i64>,
}

/// A code to store.
#[derive(Debug)]
pub struct NewCode<'a> {
    /// Hex SHA-256 of the code.
    pub code_hash: &'a str,
    /// Client.
    pub client_id: &'a str,
    /// The consenting user, or
    pub user_id: Option<i64>,
    /// the consenting admin.
    pub admin_id: Option<i64>,
    /// Company.
    pub company_id: i64,
    /// Redirect URI.
    pub redirect_uri: &'a str,
    /// Scopes.
    pub scopes: &'a str,
    /// PKCE challenge.
    pub code_challenge: Option<&'a str>,
    /// Token family.
    pub family_id: &'a str,
    /// Expiry (ms).
    pub expires_at: i64,
}

const COLUMNS: &str = "client_id, user_id, admin_id, company_id, redirect_uri, scopes, code_challenge, family_id, expires_at, used_at";

/// Stores a code.
pub async fn insert(tx: &mut Tx, new: &NewCode<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, client_id, user_id, admin_id, company_id, redirect_uri, scopes, \
         code_challenge, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new.code_hash)
    .bind(new.client_id)
    .bind(new.user_id)
    .bind(new.admin_id)
    .bind(new.company_id)
    .bind(new.redirect_uri)
    .bind(new.scopes)
    .bind(new.code_challenge)
    .bind(new.family_id)
    .bind(now)
    .bind(new.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks an unused code of `client_id` as used and returns it; `None` when
/// it is unknown, another client's, or was used before. Exactly one of
/// concurrent claims succeeds.
pub async fn claim(
    tx: &mut Tx,
    code_hash: &str,
    client_id: &str,
    now: i64,
) -> StoreResult<Option<CodeRow>> {
    sqlx::query(&format!(
        "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND client_id = $3 AND used_at IS NULL RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(code_hash)
    .bind(client_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(super::read)
    .transpose()
}

/// A code by hash, whatever its state.
pub async fn find<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    code_hash: &str,
) -> StoreResult<Option<CodeRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM auth_codes WHERE code_hash = $1"
    ))
    .bind(code_hash)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}
