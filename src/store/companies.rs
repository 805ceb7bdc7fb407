//! Companies and their admins.
//!
//! May touch: `sqlx`, `store` (`Tx`, `read`). Never `domain` or an entry
//! point.

use sqlx::Row;

use super::{StoreResult, Tx};

/// A company (tenant).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CompanyRow {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// ISO 4217 code of the charged currency.
    pub base_currency: String,
    /// ISO 3166 alpha-2 country, if set.
    pub country_code: Option<String>,
    /// Running balance, minor units of `base_currency` (the ledger's sum).
    pub balance_minor: i64,
}

const COMPANY_COLUMNS: &str = "id, name, base_currency, country_code, balance_minor";

/// An admin of one company.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AdminRow {
    /// Id.
    pub id: i64,
    /// The company.
    pub company_id: i64,
    /// Lower-cased e-mail address.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// `super_admin` or `admin`.
    pub role: String,
}

/// Inserts a company; returns its id.
pub async fn insert(
    tx: &mut Tx,
    name: &str,
    base_currency: &str,
    country: Option<&str>,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO companies (name, base_currency, country_code, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
        .bind(name)
        .bind(base_currency)
        .bind(country)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get(0)?)
}

/// Inserts an admin; returns its id. Fails with a unique violation when the
/// e-mail address is taken.
pub async fn insert_admin(
    tx: &mut Tx,
    company_id: i64,
    email: &str,
    password_hash: &str,
    role: &str,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO admins (company_id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(company_id)
    .bind(email)
    .bind(password_hash)
    .bind(role)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// A company by id.
pub async fn find<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    id: i64,
) -> StoreResult<Option<CompanyRow>> {
    sqlx::query(&format!(
        "SELECT {COMPANY_COLUMNS} FROM companies WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// An admin by (lower-cased) e-mail address.
pub async fn find_admin_by_email<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    email: &str,
) -> StoreResult<Option<AdminRow>> {
    // No stored address holds a NUL (PostgreSQL text cannot).
    if email.contains('\0') {
        return Ok(None);
    }
    sqlx::query("SELECT id, company_id, email, password_hash, role FROM admins WHERE email = $1")
        .bind(email)
        .fetch_optional(exec)
        .await?
        .map(super::read)
        .transpose()
}

/// E-mail addresses of a company's admins, super admins first.
pub async fn admin_emails<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT email FROM admins WHERE company_id = $1 ORDER BY CASE WHEN role = 'super_admin' THEN 0 ELSE 1 END, id")
            .bind(company_id)
            .fetch_all(exec)
            .await?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Every company, in id order.
pub async fn list<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<CompanyRow>> {
    sqlx::query(&format!(
        "SELECT {COMPANY_COLUMNS} FROM companies ORDER BY id"
    ))
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// A company's admins, super admins first, then by id.
pub async fn list_admins<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<AdminRow>> {
    sqlx::query(
        "SELECT id, company_id, email, password_hash, role FROM admins WHERE company_id = $1 \
         ORDER BY CASE WHEN role = 'super_admin' THEN 0 ELSE 1 END, id",
    )
    .bind(company_id)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// How many super admins the company has (read in the caller's
/// transaction, under the company's row lock).
pub async fn count_super_admins(tx: &mut Tx, company_id: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM admins WHERE company_id = $1 AND role = 'super_admin'",
    )
    .bind(company_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// Deletes an admin: the live tokens issued to them (subject `admin:<id>`)
/// are revoked (their rows stay for the audit trail), their sessions and
/// unused authorization codes are dropped, then the admin row. Returns how
/// many tokens were live, or `None` when there was no such admin.
pub async fn delete_admin(tx: &mut Tx, admin_id: i64, now: i64) -> StoreResult<Option<u64>> {
    let revoked =
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE subject = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(format!("admin:{admin_id}"))
            .execute(&mut **tx)
            .await?
            .rows_affected();
    for table in ["sessions", "auth_codes"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE admin_id = $1"))
            .bind(admin_id)
            .execute(&mut **tx)
            .await?;
    }
    let done = sqlx::query("DELETE FROM admins WHERE id = $1")
        .bind(admin_id)
        .execute(&mut **tx)
        .await?;
    Ok((done.rows_affected() == 1).then_some(revoked))
}
