//! Access and refresh tokens, stored only as SHA-256 hashes.
//!
//! A refresh token is rotated by [`claim_refresh`], a single conditional
//! `UPDATE ... RETURNING`: of any number of concurrent claims of one token,
//! on one node or many sharing PostgreSQL, exactly one sees the row.

use sqlx::{any::AnyRow, Row};

use super::{StoreResult, Tx};

/// `kind` of an access token.
pub const ACCESS: &str = "access";
/// `kind` of a refresh token.
pub const REFRESH: &str = "refresh";

/// A token as stored.
#[derive(Clone, Debug)]
pub struct TokenRow {
    /// Row id.
    pub id: i64,
    /// `access` or `refresh`.
    pub kind: String,
    /// `user` or `company`.
    pub token_type: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The company it acts in.
    pub company_id: i64,
    /// `admin:<id>`, `user:<id>` or `company:<id>`.
    pub subject: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// Every token descended from one grant shares this.
    pub family_id: String,
    /// The grant that created it.
    pub grant_type: String,
    /// Issue time (ms).
    pub created_at: i64,
    /// Expiry (ms).
    pub expires_at: i64,
    /// When a refresh token was exchanged (ms).
    pub rotated_at: Option<i64>,
    /// When it was revoked (ms).
    pub revoked_at: Option<i64>,
}

/// A token to insert.
#[derive(Debug)]
pub struct NewToken<'a> {
    /// Hex SHA-256 of the token.
    pub token_hash: &'a str,
    /// `access` or `refresh`.
    pub kind: &'static str,
    /// `user` or `company`.
    pub token_type: &'a str,
    /// Client.
    pub client_id: &'a str,
    /// Company.
    pub company_id: i64,
    /// Subject.
    pub subject: &'a str,
    /// Scopes.
    pub scopes: &'a str,
    /// Family.
    pub family_id: &'a str,
    /// The refresh token it replaces, if any.
    pub parent_id: Option<i64>,
    /// Grant type.
    pub grant_type: &'a str,
    /// Expiry (ms).
    pub expires_at: i64,
}

const COLUMNS: &str = "id, kind, token_type, client_id, company_id, subject, scopes, family_id, grant_type, \
                       created_at, expires_at, rotated_at, revoked_at";

fn token(row: AnyRow) -> StoreResult<TokenRow> {
    Ok(TokenRow {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        token_type: row.try_get(2)?,
        client_id: row.try_get(3)?,
        company_id: row.try_get(4)?,
        subject: row.try_get(5)?,
        scopes: row.try_get(6)?,
        family_id: row.try_get(7)?,
        grant_type: row.try_get(8)?,
        created_at: row.try_get(9)?,
        expires_at: row.try_get(10)?,
        rotated_at: row.try_get(11)?,
        revoked_at: row.try_get(12)?,
    })
}

/// Inserts a token; returns its id.
pub async fn insert(tx: &mut Tx, new: &NewToken<'_>, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO tokens (token_hash, kind, token_type, client_id, company_id, subject, scopes, family_id, \
         parent_id, grant_type, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         RETURNING id",
    )
    .bind(new.token_hash)
    .bind(new.kind)
    .bind(new.token_type)
    .bind(new.client_id)
    .bind(new.company_id)
    .bind(new.subject)
    .bind(new.scopes)
    .bind(new.family_id)
    .bind(new.parent_id)
    .bind(new.grant_type)
    .bind(now)
    .bind(new.expires_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// A token by hash, whatever its state.
pub async fn find_by_hash<'e>(exec: impl sqlx::any::AnyExecutor<'e>, token_hash: &str) -> StoreResult<Option<TokenRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM tokens WHERE token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(exec)
        .await?
        .map(token)
        .transpose()
}

/// Marks a live refresh token of `client_id` as rotated and returns it; `None`
/// when it is unknown, not this client's, expired, revoked or already rotated.
pub async fn claim_refresh(tx: &mut Tx, token_hash: &str, client_id: &str, now: i64) -> StoreResult<Option<TokenRow>> {
    sqlx::query(&format!(
        "UPDATE tokens SET rotated_at = $1 WHERE token_hash = $2 AND kind = 'refresh' AND client_id = $3 \
         AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $1 RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(token_hash)
    .bind(client_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(token)
    .transpose()
}

/// Revokes every live token of a family; returns how many.
pub async fn revoke_family(tx: &mut Tx, family_id: &str, now: i64) -> StoreResult<u64> {
    let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(family_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Revokes one token; returns whether it was live.
pub async fn revoke_one(tx: &mut Tx, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every stored hash (tests check that no plaintext token is stored).
pub async fn all_hashes<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM tokens").fetch_all(exec).await?;
    Ok(rows.into_iter().map(|(h,)| h).collect())
}
