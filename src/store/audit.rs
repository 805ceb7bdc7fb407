//! The audit trail: who did what to which object, append-only.
//!
//! May touch: `sqlx`, `store` (`Tx`). Never `domain` or an entry point.

use super::{StoreResult, Tx};

/// One event to record.
#[derive(Debug)]
pub struct Event<'a> {
    /// Company concerned, if any.
    pub company_id: Option<i64>,
    /// `cli`, `client:<id>`, `admin:<id>`, `system`.
    pub actor: &'a str,
    /// Verb such as `client.created`.
    pub action: &'a str,
    /// Object such as `client:<id>`.
    pub subject: &'a str,
    /// JSON details; never secrets.
    pub detail: serde_json::Value,
}

/// Appends an event in the caller's transaction.
pub async fn record(tx: &mut Tx, event: Event<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (company_id, actor, action, subject, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.company_id)
    .bind(event.actor)
    .bind(event.action)
    .bind(event.subject)
    .bind(event.detail.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Actions recorded for a company, oldest first (for tests and the portal).
pub async fn actions<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_events WHERE company_id = $1 ORDER BY id")
            .bind(company_id)
            .fetch_all(exec)
            .await?;
    Ok(rows.into_iter().map(|(a,)| a).collect())
}

/// An event as recorded.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EventRow {
    /// Id (events are appended in id order).
    pub id: i64,
    /// Who did it.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// To what.
    pub subject: String,
    /// JSON details.
    pub detail: String,
    /// When (ms).
    pub created_at: i64,
}

/// A company's events, newest first, older than the event `before` when
/// given (keyset pagination: as fast on the last page as on the first).
pub async fn page<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<EventRow>> {
    sqlx::query(
        "SELECT id, actor, action, subject, detail, created_at FROM audit_events \
         WHERE company_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(company_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}
