//! Ledger entries: every change of a company's balance, append-only. The
//! balance is the sum of the entries; nothing else stores it.
//!
//! May touch: `sqlx`, `store` (`Tx`, `DynSql`). Never `domain` or an entry
//! point.

use sqlx::Row;

use super::{DynSql, StoreResult, Tx};

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

/// A ledger entry to insert.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    /// The company whose balance it moves.
    pub company_id: i64,
    /// `funds`, `charge`, `link_refund`, ...
    pub kind: &'a str,
    /// Signed amount, minor units of `currency`.
    pub amount_minor: i64,
    /// The company's base currency.
    pub currency: &'a str,
    /// What it is for, e.g. `order:42`.
    pub reference: Option<String>,
    /// Time (ms).
    pub created_at: i64,
}

/// Entries per statement (6 parameters each).
const ENTRIES_PER_STATEMENT: usize = 1000;

/// Inserts entries whose amounts the caller has already applied to the
/// running balances (see [`debit`]); returns their ids, ascending.
pub async fn insert_entries(tx: &mut Tx, entries: &[NewEntry<'_>]) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(ENTRIES_PER_STATEMENT) {
        let mut sql = DynSql::new(
            tx,
            "INSERT INTO ledger_entries (company_id, kind, amount_minor, currency, reference, created_at) VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.params(6);
        });
        sql.push(" RETURNING id");
        let mut query = sqlx::query(sql.sql());
        for e in chunk {
            query = query
                .bind(e.company_id)
                .bind(e.kind)
                .bind(e.amount_minor)
                .bind(e.currency)
                .bind(e.reference.as_deref())
                .bind(e.created_at);
        }
        for row in query.fetch_all(&mut **tx).await? {
            ids.push(row.try_get(0)?);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Inserts one entry whose amount the caller has already applied to the
/// running balance; returns its id.
pub async fn insert_entry(
    tx: &mut Tx,
    company_id: i64,
    kind: &str,
    amount_minor: i64,
    currency: &str,
    reference: Option<&str>,
    now: i64,
) -> StoreResult<i64> {
    let entry = NewEntry {
        company_id,
        kind,
        amount_minor,
        currency,
        reference: reference.map(str::to_string),
        created_at: now,
    };
    let ids = insert_entries(tx, std::slice::from_ref(&entry)).await?;
    Ok(ids[0])
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

/// What placing orders needs of a company, read under the lock of its row.
#[derive(Clone, Debug)]
pub struct Account {
    /// Running balance, minor units of `base_currency`.
    pub balance_minor: i64,
    /// The company's base currency.
    pub base_currency: String,
    /// The company's country (ISO code), if set.
    pub country_code: Option<String>,
}

/// Locks the company's row (serialising its charges on PostgreSQL; SQLite
/// has one writer anyway) and returns its account as of the lock, or
/// `None` when there is no such company.
pub async fn lock_account(tx: &mut Tx, company_id: i64) -> StoreResult<Option<Account>> {
    let row = sqlx::query(
        "UPDATE companies SET order_seq = order_seq + 1 WHERE id = $1 \
         RETURNING balance_minor, base_currency, country_code",
    )
    .bind(company_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok(Account {
            balance_minor: r.try_get(0)?,
            base_currency: r.try_get(1)?,
            country_code: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Like [`lock_account`], for a company that must exist; returns its
/// balance.
pub async fn lock_balance(tx: &mut Tx, company_id: i64) -> StoreResult<i64> {
    lock_account(tx, company_id)
        .await?
        .map(|a| a.balance_minor)
        .ok_or_else(|| sqlx::Error::RowNotFound.into())
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

/// A company whose balance is not the sum of its ledger entries.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Mismatch {
    /// The company.
    pub company_id: i64,
    /// Its balance as kept on the company row.
    pub balance_minor: i64,
    /// The sum of its entries.
    pub ledger_minor: i64,
}

/// Every company whose balance differs from the sum of its entries (an
/// empty list is the ledger's invariant holding), read in one statement.
pub async fn mismatches<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<Mismatch>> {
    sqlx::query(
        "SELECT c.id AS company_id, c.balance_minor, \
         CAST(COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.company_id = c.id), 0) AS BIGINT) AS ledger_minor \
         FROM companies c ORDER BY c.id",
    )
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read::<Mismatch>)
    .filter(|m| !matches!(m, Ok(m) if m.balance_minor == m.ledger_minor))
    .collect()
}

/// A ledger entry with the company's balance after it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    /// Id (entries are applied in id order).
    pub id: i64,
    /// `funds`, `charge`, `link_refund`, ...
    pub kind: String,
    /// Signed amount, minor units of `currency`.
    pub amount_minor: i64,
    /// The company's base currency.
    pub currency: String,
    /// What it is for, e.g. `order:42`.
    pub reference: Option<String>,
    /// Time (ms).
    pub created_at: i64,
    /// The sum of the company's entries up to and including this one.
    pub balance_minor: i64,
}

/// A company's entries created in `[from, to)` (ms), in id order, each with
/// the running balance after it (the sum of every earlier entry, in or out
/// of the range), read in one statement (one snapshot).
pub async fn entries<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<EntryRow>> {
    sqlx::query(
        "SELECT id, kind, amount_minor, currency, reference, created_at, balance_minor FROM \
         (SELECT id, kind, amount_minor, currency, reference, created_at, \
         CAST(SUM(amount_minor) OVER (ORDER BY id) AS BIGINT) AS balance_minor \
         FROM ledger_entries WHERE company_id = $1) e \
         WHERE created_at >= $2 AND created_at < $3 ORDER BY id",
    )
    .bind(company_id)
    .bind(from)
    .bind(to)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}
