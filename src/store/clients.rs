//! OAuth clients ("apps"). Only the SHA-256 of the client secret is stored.
//!
//! May touch: `sqlx`, `store` (`Tx`, `DynSql`, `read`). Never `domain` or
//! an entry point.

use super::{StoreResult, Tx};

/// A client as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClientRow {
    /// Public identifier; never changes.
    pub client_id: String,
    /// Owning company.
    pub company_id: i64,
    /// App name shown on consent pages.
    pub name: String,
    /// Hex SHA-256 of the active secret.
    pub secret_hash: String,
    /// The one registered callback URL.
    pub redirect_uri: String,
    /// Allowed scopes, space-separated.
    pub scopes: String,
    /// Allowed grant types, space-separated.
    pub grant_types: String,
    /// `private` or `public`.
    pub visibility: String,
    /// 1 once the operator approved a public app.
    pub approved: i64,
    /// Company whose storefront users sign up through a public app (its own
    /// company when unset).
    pub signup_company_id: Option<i64>,
    /// What the app does, shown on its consent page.
    pub description: String,
    /// The app's home page, shown on its consent page ("" when none).
    pub homepage_url: String,
    /// The app's logo, shown on its consent page ("" when none).
    pub logo_url: String,
    /// A public app's review: `draft`, `submitted`, `approved`, `rejected`.
    pub review: String,
    /// Why the operator rejected it ("" otherwise).
    pub review_reason: String,
    /// The secret before the last refresh ("" when none).
    pub previous_secret_hash: String,
    /// Until when (ms) the previous secret still works.
    pub previous_secret_until: i64,
    /// Registration time (ms).
    pub created_at: i64,
}

/// What the developer hub's Basic Info says about an app.
#[derive(Clone, Debug, Default)]
pub struct Details<'a> {
    /// What the app does.
    pub description: &'a str,
    /// Home page URL, or "".
    pub homepage_url: &'a str,
    /// Logo URL, or "".
    pub logo_url: &'a str,
}

/// What a new client is made of.
#[derive(Debug)]
pub struct NewClient<'a> {
    /// Public identifier.
    pub client_id: &'a str,
    /// Owning company.
    pub company_id: i64,
    /// App name.
    pub name: &'a str,
    /// Hex SHA-256 of the secret.
    pub secret_hash: &'a str,
    /// Callback URL.
    pub redirect_uri: &'a str,
    /// Scopes, space-separated.
    pub scopes: &'a str,
    /// Grant types, space-separated.
    pub grant_types: &'a str,
    /// `private` or `public`.
    pub visibility: &'a str,
    /// Sign-up company of a public app.
    pub signup_company_id: Option<i64>,
}

const COLUMNS: &str =
    "client_id, company_id, name, secret_hash, redirect_uri, scopes, grant_types, visibility, approved, \
     signup_company_id, description, homepage_url, logo_url, review, review_reason, previous_secret_hash, \
     previous_secret_until, created_at";

/// Inserts a client.
pub async fn insert(tx: &mut Tx, new: &NewClient<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO clients (client_id, company_id, name, secret_hash, secret_rotated_at, redirect_uri, scopes, \
         grant_types, visibility, approved, signup_company_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $5)",
    )
    .bind(new.client_id)
    .bind(new.company_id)
    .bind(new.name)
    .bind(new.secret_hash)
    .bind(now)
    .bind(new.redirect_uri)
    .bind(new.scopes)
    .bind(new.grant_types)
    .bind(new.visibility)
    .bind(new.signup_company_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A client by id.
pub async fn find<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    client_id: &str,
) -> StoreResult<Option<ClientRow>> {
    // No id holds a NUL, which PostgreSQL text cannot hold either (it
    // would fail the query): whatever was presented, there is no such app.
    if client_id.contains('\0') {
        return Ok(None);
    }
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM clients WHERE client_id = $1 AND deleted_at IS NULL"
    ))
    .bind(client_id)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// Replaces the active secret, keeping the current one valid until
/// `previous_until` (ms; `now` or earlier: not at all); returns false when
/// the client does not exist.
pub async fn replace_secret(
    tx: &mut Tx,
    client_id: &str,
    secret_hash: &str,
    previous_until: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE clients SET previous_secret_hash = CASE WHEN $4 > $2 THEN secret_hash ELSE '' END, \
         previous_secret_until = CASE WHEN $4 > $2 THEN $4 ELSE 0 END, \
         secret_hash = $1, secret_rotated_at = $2 WHERE client_id = $3 AND deleted_at IS NULL",
    )
    .bind(secret_hash)
    .bind(now)
    .bind(client_id)
    .bind(previous_until)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A company's client by name (used by `galley demo` to find its app again).
pub async fn find_by_name<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    name: &str,
) -> StoreResult<Option<ClientRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM clients WHERE company_id = $1 AND name = $2 AND deleted_at IS NULL ORDER BY created_at LIMIT 1"))
        .bind(company_id)
        .bind(name)
        .fetch_optional(exec)
        .await?
        .map(super::read)
        .transpose()
}

/// Clients by id, for a batch of lookups; unknown ids are absent.
pub async fn find_many(
    conn: &mut sqlx::AnyConnection,
    ids: &[String],
) -> StoreResult<Vec<ClientRow>> {
    let mut sql = super::DynSql::new(
        conn,
        &format!("SELECT {COLUMNS} FROM clients WHERE deleted_at IS NULL AND client_id IN ("),
    );
    sql.params(ids.len()).push(")");
    let mut query = sqlx::query(sql.sql());
    for id in ids {
        query = query.bind(id);
    }
    query
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(super::read)
        .collect()
}

/// Changes the registered callback URL (the developer hub's Basic Info).
pub async fn update_redirect_uri(
    tx: &mut Tx,
    client_id: &str,
    redirect_uri: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE clients SET redirect_uri = $1 WHERE client_id = $2")
        .bind(redirect_uri)
        .bind(client_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a public app's review (`approved` is what the authorization
/// endpoint reads: 1 exactly when the review is `approved`).
pub async fn set_review(
    tx: &mut Tx,
    client_id: &str,
    review: &str,
    reason: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE clients SET review = $1, review_reason = $2, approved = CASE WHEN $1 = 'approved' THEN 1 ELSE 0 END \
         WHERE client_id = $3 AND visibility = 'public' AND deleted_at IS NULL",
    )
    .bind(review)
    .bind(reason)
    .bind(client_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an app's consent-page details.
pub async fn update_details(
    tx: &mut Tx,
    client_id: &str,
    details: &Details<'_>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE clients SET description = $1, homepage_url = $2, logo_url = $3 \
         WHERE client_id = $4 AND deleted_at IS NULL",
    )
    .bind(details.description)
    .bind(details.homepage_url)
    .bind(details.logo_url)
    .bind(client_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an app's scopes and grant types.
pub async fn update_access(
    tx: &mut Tx,
    client_id: &str,
    scopes: &str,
    grant_types: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE clients SET scopes = $1, grant_types = $2 WHERE client_id = $3 AND deleted_at IS NULL",
    )
    .bind(scopes)
    .bind(grant_types)
    .bind(client_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many users have authorized each of a company's apps (consents).
pub async fn consent_counts<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT c.client_id, COUNT(*) FROM consents c JOIN clients k ON k.client_id = c.client_id \
         WHERE k.company_id = $1 GROUP BY c.client_id",
    )
    .bind(company_id)
    .fetch_all(exec)
    .await?)
}

/// Deletes a client: its live tokens are revoked (their rows stay, as does
/// the client's, marked deleted, for the audit trail), its codes and
/// consents are dropped and its secret is cleared. Returns how many tokens
/// were live.
pub async fn delete(tx: &mut Tx, client_id: &str, now: i64) -> StoreResult<u64> {
    let revoked = sqlx::query(
        "UPDATE tokens SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(client_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    for table in ["auth_codes", "consents"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE client_id = $1"))
            .bind(client_id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE clients SET secret_hash = '', deleted_at = $1 WHERE client_id = $2")
        .bind(now)
        .bind(client_id)
        .execute(&mut **tx)
        .await?;
    Ok(revoked)
}

/// How many clients (not deleted) a company owns.
pub async fn count_for_company<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<i64> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM clients WHERE company_id = $1 AND deleted_at IS NULL")
            .bind(company_id)
            .fetch_one(exec)
            .await?;
    Ok(count)
}

/// A company's clients (not deleted), oldest first.
pub async fn list_by_company<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<ClientRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM clients WHERE company_id = $1 AND deleted_at IS NULL ORDER BY created_at, client_id"
    ))
    .bind(company_id)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// Renames a client (not deleted); returns false when there is no such client.
pub async fn update_name(tx: &mut Tx, client_id: &str, name: &str) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE clients SET name = $1 WHERE client_id = $2 AND deleted_at IS NULL")
            .bind(name)
            .bind(client_id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Public apps the operator has to review (submitted first), or reviewed.
pub async fn for_review<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<ClientRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM clients WHERE visibility = 'public' AND deleted_at IS NULL AND review <> 'draft' \
         ORDER BY CASE WHEN review = 'submitted' THEN 0 ELSE 1 END, created_at DESC LIMIT 500"
    ))
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}
