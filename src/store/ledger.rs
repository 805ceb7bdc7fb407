//! Ledger entries: every change of a company's balance, append-only. The
//! balance is the sum of the entries; nothing else stores it.

use sqlx::Row;

use super::{StoreResult, Tx};

/// Appends an entry and moves the company's running balance by it;
/// returns the entry's id.
pub async fn append(
    tx: &mut Tx,
    company_id: i64,
    kind: &str,
    amount_minor: i64,
    currency: &str,
    reference: Option<&str>,
    now: i64,
) -> StoreResult<i64> {
    let id = insert_entry(tx, company_id, kind, amount_minor, currency, reference, now).await?;
    sqlx::query("UPDATE companies SET balance_minor = balance_minor + $1 WHERE id = $2")
        .bind(amount_minor)
        .bind(company_id)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Inserts an entry whose amount the caller has already applied to the
/// running balance (see [`debit`]); returns its id.
pub async fn insert_entry(
    tx: &mut Tx,
    company_id: i64,
    kind: &str,
    amount_minor: i64,
    currency: &str,
    reference: Option<&str>,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO ledger_entries (company_id, kind, amount_minor, currency, reference, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(company_id)
    .bind(kind)
    .bind(amount_minor)
    .bind(currency)
    .bind(reference)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// Takes `amount_minor` off the company's running balance if it has that
/// much, locking its row (which serialises its charges on PostgreSQL);
/// returns the new balance, or `None` (and changes nothing) when the
/// balance is too low. The caller records the matching entry with
/// [`insert_entry`] in the same transaction.
pub async fn debit(tx: &mut Tx, company_id: i64, amount_minor: i64) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "UPDATE companies SET balance_minor = balance_minor - $1, order_seq = order_seq + 1 \
         WHERE id = $2 AND balance_minor >= $1 RETURNING balance_minor",
    )
    .bind(amount_minor)
    .bind(company_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// Locks the company's row (serialising its charges on PostgreSQL; SQLite
/// has one writer anyway) and returns its balance as of the lock.
pub async fn lock_balance(tx: &mut Tx, company_id: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE companies SET order_seq = order_seq + 1 WHERE id = $1 RETURNING balance_minor",
    )
    .bind(company_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// The balance in minor units of the company's base currency (the running
/// sum kept with every entry).
pub async fn balance<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<i64> {
    let row = sqlx::query("SELECT balance_minor FROM companies WHERE id = $1")
        .bind(company_id)
        .fetch_one(exec)
        .await?;
    Ok(row.try_get(0)?)
}

/// The sum of the company's entries, computed from the entries themselves
/// (tests and audits compare it with [`balance`]).
pub async fn sum_of_entries<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<i64> {
    let row = sqlx::query("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE company_id = $1")
        .bind(company_id)
        .fetch_one(exec)
        .await?;
    Ok(row.try_get(0)?)
}
