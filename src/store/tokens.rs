//! Access and refresh tokens, stored only as SHA-256 hashes.
//!
//! A refresh token is rotated by [`claim_many`], one conditional
//! `UPDATE ... RETURNING` for a whole batch: of any number of concurrent
//! claims of one token, on one node or many sharing PostgreSQL, exactly one
//! sees the row. Inserts are multi-row statements for the same reason.
//!
//! May touch: `sqlx`, `store` (`Db`, `Tx`, `DynSql`, `read`). Never
//! `domain` or an entry point.

use sqlx::AnyConnection;

use super::{DynSql, StoreResult, Tx};

/// `kind` of an access token.
pub const ACCESS: &str = "access";
/// `kind` of a refresh token.
pub const REFRESH: &str = "refresh";

/// A token as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    /// Row id.
    pub id: i64,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
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
#[derive(Clone, Debug)]
pub struct NewToken {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// `access` or `refresh`.
    pub kind: &'static str,
    /// `user` or `company`.
    pub token_type: &'static str,
    /// Client.
    pub client_id: String,
    /// Company.
    pub company_id: i64,
    /// Subject.
    pub subject: String,
    /// Scopes, space-separated.
    pub scopes: String,
    /// Family.
    pub family_id: String,
    /// The refresh token it replaces, if any.
    pub parent_id: Option<i64>,
    /// Grant type.
    pub grant_type: &'static str,
    /// Expiry (ms).
    pub expires_at: i64,
}

const COLUMNS: &str =
    "id, token_hash, kind, token_type, client_id, company_id, subject, scopes, family_id, \
                       grant_type, created_at, expires_at, rotated_at, revoked_at";

/// Rows per multi-row statement (12 parameters each, well inside both
/// engines' parameter limits).
pub const INSERT_CHUNK: usize = 256;

/// Stores tokens outside any caller's transaction: up to [`INSERT_CHUNK`]
/// rows are one statement, atomic by itself (no BEGIN/COMMIT round trips);
/// more share a transaction.
pub async fn insert_batch(db: &super::Db, rows: &[NewToken], now: i64) -> StoreResult<()> {
    if rows.len() <= INSERT_CHUNK {
        let mut conn = db.writer().acquire().await?;
        insert_rows(&mut conn, rows, now).await
    } else {
        let mut tx = db.begin().await?;
        insert_rows(&mut tx, rows, now).await?;
        tx.commit().await
    }
}

/// Inserts tokens in the caller's transaction.
pub async fn insert_many(tx: &mut Tx, rows: &[NewToken], now: i64) -> StoreResult<()> {
    insert_rows(tx, rows, now).await
}

/// Inserts tokens with multi-row `INSERT`s.
async fn insert_rows(conn: &mut AnyConnection, rows: &[NewToken], now: i64) -> StoreResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut sql = DynSql::new(
            conn,
            "INSERT INTO tokens (token_hash, kind, token_type, client_id, company_id, subject, scopes, family_id, \
             parent_id, grant_type, expires_at, created_at) VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.params(12);
        });
        let mut query = sqlx::query(sql.sql());
        for row in chunk {
            query = query
                .bind(&row.token_hash)
                .bind(row.kind)
                .bind(row.token_type)
                .bind(&row.client_id)
                .bind(row.company_id)
                .bind(&row.subject)
                .bind(&row.scopes)
                .bind(&row.family_id)
                .bind(row.parent_id)
                .bind(row.grant_type)
                .bind(row.expires_at)
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A token by hash, whatever its state.
pub async fn find_by_hash<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    token_hash: &str,
) -> StoreResult<Option<TokenRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// Marks live refresh tokens as rotated and returns them. Each claim is a
/// (token hash, client id) pair; a token that is unknown, another client's,
/// expired, revoked or already rotated is not returned. A hash claimed twice
/// in one call is returned once.
pub async fn claim_many(
    tx: &mut Tx,
    claims: &[(&str, &str)],
    now: i64,
) -> StoreResult<Vec<TokenRow>> {
    let conn = &mut **tx;
    let mut claimed = Vec::with_capacity(claims.len());
    for chunk in claims.chunks(INSERT_CHUNK) {
        let mut sql = DynSql::new(conn, "UPDATE tokens SET rotated_at = ");
        sql.param().push(" WHERE (");
        for i in 0..chunk.len() {
            sql.push(if i == 0 {
                "(token_hash = "
            } else {
                " OR (token_hash = "
            });
            sql.param().push(" AND client_id = ").param().push(")");
        }
        sql.push(") AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ")
            .param()
            .push(&format!(" RETURNING {COLUMNS}"));
        let mut query = sqlx::query(sql.sql()).bind(now);
        for (hash, client_id) in chunk {
            query = query.bind(*hash).bind(*client_id);
        }
        for row in query.bind(now).fetch_all(&mut *conn).await? {
            claimed.push(super::read(row)?);
        }
    }
    Ok(claimed)
}

/// Undoes claims whose exchange was refused (e.g. a wider scope was asked
/// for), so the refresh token stays usable.
pub async fn unclaim(tx: &mut Tx, ids: &[i64]) -> StoreResult<()> {
    for id in ids {
        sqlx::query("UPDATE tokens SET rotated_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Revokes every live token of a family; returns how many.
pub async fn revoke_family(tx: &mut Tx, family_id: &str, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Revokes one token; returns whether it was live.
pub async fn revoke_one(tx: &mut Tx, id: i64, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Every stored hash (tests check that no plaintext token is stored).
pub async fn all_hashes<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM tokens")
        .fetch_all(exec)
        .await?;
    Ok(rows.into_iter().map(|(h,)| h).collect())
}

/// Tokens by hash, for a batch of lookups; unknown hashes are absent.
pub async fn find_many(conn: &mut AnyConnection, hashes: &[String]) -> StoreResult<Vec<TokenRow>> {
    let mut sql = DynSql::new(
        conn,
        &format!("SELECT {COLUMNS} FROM tokens WHERE token_hash IN ("),
    );
    sql.params(hashes.len()).push(")");
    let mut query = sqlx::query(sql.sql());
    for hash in hashes {
        query = query.bind(hash);
    }
    query
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(super::read)
        .collect()
}

/// A grant's live tokens, summed up for the portal.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FamilyRow {
    /// The grant.
    pub family_id: String,
    /// Who it was issued to (`admin:<id>`, `user:<id>`, ...).
    pub subject: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// When its first token was issued (ms).
    pub created_at: i64,
    /// When its last live token expires (ms).
    pub expires_at: i64,
}

/// The grants of `client_id` with a live token at `now`, newest first.
pub async fn live_families<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    client_id: &str,
    now: i64,
) -> StoreResult<Vec<FamilyRow>> {
    sqlx::query(
        "SELECT family_id, MIN(subject) AS subject, MIN(scopes) AS scopes, \
         MIN(created_at) AS created_at, MAX(expires_at) AS expires_at FROM tokens \
         WHERE client_id = $1 AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > $2 \
         GROUP BY family_id ORDER BY MIN(created_at) DESC LIMIT 200",
    )
    .bind(client_id)
    .bind(now)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// The company of a grant's tokens, if the grant exists.
pub async fn family_company<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    family_id: &str,
) -> StoreResult<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT company_id, client_id FROM tokens WHERE family_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(family_id)
    .fetch_optional(exec)
    .await?)
}
