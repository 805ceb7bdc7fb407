//! Per-day counts for the portal's charts: orders placed and links
//! redeemed by a company.
//!
//! May touch: `sqlx`, `store`. Never `domain` or an entry point.

use super::StoreResult;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// `(day index since the epoch, count)` of a company's orders placed in
/// `[from, to)`.
pub async fn orders_per_day<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT created_at / $4 AS day, COUNT(*) FROM orders \
         WHERE company_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY created_at / $4",
    )
    .bind(company_id)
    .bind(from)
    .bind(to)
    .bind(DAY_MS)
    .fetch_all(exec)
    .await?)
}

/// `(day index since the epoch, count)` of a company's links redeemed in
/// `[from, to)`.
pub async fn redemptions_per_day<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    from: i64,
    to: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT l.redeemed_at / $4 AS day, COUNT(*) FROM links l \
         JOIN link_batches b ON b.id = l.batch_id \
         WHERE b.company_id = $1 AND l.redeemed_at >= $2 AND l.redeemed_at < $3 \
         GROUP BY l.redeemed_at / $4",
    )
    .bind(company_id)
    .bind(from)
    .bind(to)
    .bind(DAY_MS)
    .fetch_all(exec)
    .await?)
}

/// The kinds of entry in a company's ledger, sorted.
pub async fn ledger_kinds<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT kind FROM ledger_entries WHERE company_id = $1 ORDER BY kind",
    )
    .bind(company_id)
    .fetch_all(exec)
    .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// A company's balance just before `at` (the sum of its earlier entries).
pub async fn balance_before<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    at: i64,
) -> StoreResult<i64> {
    let (sum,): (Option<i64>,) = sqlx::query_as(
        "SELECT CAST(SUM(amount_minor) AS BIGINT) FROM ledger_entries WHERE company_id = $1 AND created_at < $2",
    )
    .bind(company_id)
    .bind(at)
    .fetch_one(exec)
    .await?;
    Ok(sum.unwrap_or(0))
}
