//! Webhooks: a company's endpoints, the events written in the transaction
//! of the change they report, and their deliveries (one per event and
//! endpoint). A delivery is claimed with a lease before it is sent and its
//! outcome is recorded only by the worker that claimed that attempt, so two
//! nodes never send the same attempt; one that a crashed node had claimed
//! is sent again when the lease runs out.
//!
//! Every query that an admin's request reaches is scoped to the company.
//!
//! May touch: `sqlx`, `store` (`Db`, `Tx`, `read`). Never `domain` or an
//! entry point.

use sqlx::Row;

use super::{Db, StoreResult, Tx};

/// An endpoint as stored.
#[derive(Clone, sqlx::FromRow)]
pub struct EndpointRow {
    /// Id.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// Target URL.
    pub url: String,
    /// Static `x-api-key` header value, empty for none.
    pub api_key: String,
    /// Subscribed events, comma-separated.
    pub events: String,
    /// Signing secret `whsec_...` (stored as is: signing needs it).
    pub secret: String,
    /// The secret before the last rotation, empty for none.
    pub previous_secret: String,
    /// Until when (ms) the previous secret signs too.
    pub previous_secret_until: i64,
    /// 1 when deliveries are made.
    pub enabled: i64,
    /// Why Galley disabled it, empty when an admin did (or it is enabled).
    pub disabled_reason: String,
    /// Since when (ms) every attempt has failed; `None` after a success.
    pub failing_since: Option<i64>,
    /// When it was added (ms).
    pub created_at: i64,
}

impl std::fmt::Debug for EndpointRow {
    /// Never shows the secrets or the api key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointRow")
            .field("id", &self.id)
            .field("company_id", &self.company_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

const ENDPOINT_COLUMNS: &str = "id, company_id, url, api_key, events, secret, previous_secret, \
     previous_secret_until, enabled, disabled_reason, failing_since, created_at";

/// A new endpoint's fields.
pub struct NewEndpoint<'a> {
    /// Owning company.
    pub company_id: i64,
    /// Target URL (checked).
    pub url: &'a str,
    /// `x-api-key` value, empty for none.
    pub api_key: &'a str,
    /// Subscribed events, comma-separated.
    pub events: &'a str,
    /// Signing secret.
    pub secret: &'a str,
}

/// Inserts an endpoint (enabled); returns its id.
pub async fn insert_endpoint(tx: &mut Tx, new: &NewEndpoint<'_>, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO webhook_endpoints (company_id, url, api_key, events, secret, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.company_id)
    .bind(new.url)
    .bind(new.api_key)
    .bind(new.events)
    .bind(new.secret)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// The company's endpoints that are not deleted, oldest first.
pub async fn count_endpoints(tx: &mut Tx, company_id: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM webhook_endpoints WHERE company_id = $1 AND deleted_at IS NULL",
    )
    .bind(company_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// The company's endpoints that are not deleted, oldest first.
pub async fn list_endpoints<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<EndpointRow>> {
    sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = $1 AND deleted_at IS NULL ORDER BY id"
    ))
    .bind(company_id)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// One endpoint of the company (not deleted).
pub async fn find_endpoint<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<EndpointRow>> {
    sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND company_id = $2 AND deleted_at IS NULL"
    ))
    .bind(id)
    .bind(company_id)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// The company that owns endpoint `id` (for the operator's CLI, which
/// names endpoints by id alone).
pub async fn company_of_endpoint<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    id: i64,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "SELECT company_id FROM webhook_endpoints WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(exec)
    .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// Enables or disables an endpoint (`reason` empty when an admin asks);
/// false when it is not the company's. Enabling forgets past failures.
pub async fn set_enabled(
    tx: &mut Tx,
    company_id: i64,
    id: i64,
    enabled: bool,
    reason: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = $1, disabled_reason = $2, \
         failing_since = CASE WHEN $1 = 1 THEN NULL ELSE failing_since END \
         WHERE id = $3 AND company_id = $4 AND deleted_at IS NULL",
    )
    .bind(i64::from(enabled))
    .bind(reason)
    .bind(id)
    .bind(company_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Disables an enabled endpoint that has failed since `failing_since`;
/// true for the one caller that changed it.
pub async fn disable_failing(tx: &mut Tx, id: i64, reason: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1 \
         WHERE id = $2 AND enabled = 1 AND deleted_at IS NULL",
    )
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an endpoint (its row stays for the deliveries that name it) and
/// fails its pending deliveries; false when it is not the company's.
pub async fn delete_endpoint(tx: &mut Tx, company_id: i64, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET deleted_at = $1, enabled = 0 \
         WHERE id = $2 AND company_id = $3 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(company_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the endpoint was deleted' \
         WHERE endpoint_id = $1 AND status = 'pending'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Replaces the secret, keeping the old one signing until `until` (ms);
/// false when the endpoint is not the company's.
pub async fn rotate_secret(
    tx: &mut Tx,
    company_id: i64,
    id: i64,
    secret: &str,
    until: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1, secret = $2 \
         WHERE id = $3 AND company_id = $4 AND deleted_at IS NULL",
    )
    .bind(until)
    .bind(secret)
    .bind(id)
    .bind(company_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The company's enabled endpoints: (id, subscribed events).
pub async fn enabled_endpoints(tx: &mut Tx, company_id: i64) -> StoreResult<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT id, events FROM webhook_endpoints WHERE company_id = $1 AND enabled = 1 AND deleted_at IS NULL",
    )
    .bind(company_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// Writes an event and one pending delivery per endpoint in `endpoints`,
/// in the caller's transaction.
pub async fn insert_event(
    tx: &mut Tx,
    event_id: &str,
    company_id: i64,
    kind: &str,
    body: &str,
    endpoints: &[i64],
    now: i64,
) -> StoreResult<()> {
    let row = sqlx::query(
        "INSERT INTO webhook_events (event_id, company_id, kind, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(event_id)
    .bind(company_id)
    .bind(kind)
    .bind(body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let event_row: i64 = row.try_get(0)?;
    for endpoint in endpoints {
        sqlx::query(
            "INSERT INTO webhook_deliveries (event_row, endpoint_id, company_id, status, attempts, \
             next_attempt_at, queued_at, created_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)",
        )
        .bind(event_row)
        .bind(endpoint)
        .bind(company_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A delivery due now, with what sending it needs.
#[derive(Clone, sqlx::FromRow)]
pub struct Due {
    /// Delivery id.
    pub id: i64,
    /// Attempts so far (the claim and the outcome name this number).
    pub attempts: i64,
    /// When it was queued or last replayed (ms): the 3 days count from here.
    pub queued_at: i64,
    /// The endpoint.
    pub endpoint_id: i64,
    /// Its company.
    pub company_id: i64,
    /// Target URL.
    pub url: String,
    /// `x-api-key`, empty for none.
    pub api_key: String,
    /// Signing secret.
    pub secret: String,
    /// Previous secret, empty for none.
    pub previous_secret: String,
    /// Until when the previous secret signs (ms).
    pub previous_secret_until: i64,
    /// The event's `evt_...` id (the `webhook-id` header).
    pub event_id: String,
    /// The JSON body, exactly as sent every time.
    pub body: String,
}

impl std::fmt::Debug for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Due")
            .field("id", &self.id)
            .field("event_id", &self.event_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Deliveries due now to enabled endpoints, oldest first.
pub async fn due(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<Due>> {
    sqlx::query(
        "SELECT d.id, d.attempts, d.queued_at, d.endpoint_id, d.company_id, e.url, e.api_key, e.secret, \
         e.previous_secret, e.previous_secret_until, v.event_id, v.body \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         JOIN webhook_events v ON v.id = d.event_row \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.enabled = 1 AND e.deleted_at IS NULL \
         ORDER BY d.next_attempt_at, d.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.reader())
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// Takes attempt `attempts + 1` of a due delivery for `lease_ms`; false
/// when another worker took it first.
pub async fn claim(db: &Db, id: i64, attempts: i64, now: i64, lease_ms: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 \
         WHERE id = $2 AND status = 'pending' AND attempts = $3 AND next_attempt_at <= $4",
    )
    .bind(now + lease_ms)
    .bind(id)
    .bind(attempts)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What one attempt ended in.
pub struct Outcome<'a> {
    /// `delivered`, `pending` (to be retried) or `failed` (given up).
    pub status: &'a str,
    /// When the attempt ended (ms).
    pub now: i64,
    /// The next attempt (ms), for `pending`.
    pub next_attempt_at: i64,
    /// The HTTP status, when there was an answer.
    pub status_code: Option<i64>,
    /// The start of the response body.
    pub response: &'a str,
    /// Why it failed, empty on success.
    pub error: &'a str,
}

/// Records the outcome of attempt `attempts + 1`; false when the claim had
/// run out and the delivery moved on (the outcome is then not recorded).
pub async fn record(db: &Db, id: i64, attempts: i64, outcome: &Outcome<'_>) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
         last_attempt_at = $3, last_status_code = $4, last_response = $5, last_error = $6, \
         delivered_at = CASE WHEN $1 = 'delivered' THEN $3 ELSE delivered_at END \
         WHERE id = $7 AND attempts = $8 AND status = 'pending'",
    )
    .bind(outcome.status)
    .bind(outcome.next_attempt_at)
    .bind(outcome.now)
    .bind(outcome.status_code)
    .bind(outcome.response)
    .bind(outcome.error)
    .bind(id)
    .bind(attempts)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes a success of the endpoint: it is no longer failing.
pub async fn endpoint_succeeded(db: &Db, id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
    )
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Notes a failure of the endpoint; returns since when it has failed.
pub async fn endpoint_failed(db: &Db, id: i64, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2 \
         RETURNING failing_since",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(db.writer())
    .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<i64>, _>(0)?.unwrap_or(now),
        None => now,
    })
}

/// A delivery as the portal shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    /// Id.
    pub id: i64,
    /// The endpoint.
    pub endpoint_id: i64,
    /// The event's `evt_...` id.
    pub event_id: String,
    /// The event's name.
    pub kind: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The next attempt (ms), for pending deliveries.
    pub next_attempt_at: i64,
    /// The last attempt (ms).
    pub last_attempt_at: Option<i64>,
    /// The last answer's HTTP status.
    pub last_status_code: Option<i64>,
    /// The start of the last answer's body.
    pub last_response: String,
    /// Why the last attempt failed.
    pub last_error: String,
    /// When it was first queued (ms).
    pub created_at: i64,
}

/// The newest deliveries of one of the company's endpoints.
pub async fn deliveries<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    endpoint_id: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<DeliveryRow>> {
    sqlx::query(
        "SELECT d.id, d.endpoint_id, v.event_id, v.kind, d.status, d.attempts, d.next_attempt_at, \
         d.last_attempt_at, d.last_status_code, d.last_response, d.last_error, d.created_at \
         FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_row \
         WHERE d.company_id = $1 AND d.endpoint_id = $2 ORDER BY d.id DESC LIMIT $3 OFFSET $4",
    )
    .bind(company_id)
    .bind(endpoint_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// Queues a delivery of the company again at once (a replay: the 3 days
/// count anew); false when it is not the company's or is pending already.
pub async fn replay(
    tx: &mut Tx,
    company_id: i64,
    endpoint_id: i64,
    id: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, queued_at = $1 \
         WHERE id = $2 AND company_id = $3 AND endpoint_id = $4 AND status <> 'pending' \
         AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE company_id = $3 AND deleted_at IS NULL)",
    )
    .bind(now)
    .bind(id)
    .bind(company_id)
    .bind(endpoint_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues again every failed delivery of an endpoint first queued at or
/// after `since` (ms); returns how many.
pub async fn replay_failed_since(
    tx: &mut Tx,
    company_id: i64,
    endpoint_id: i64,
    since: i64,
    now: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, queued_at = $1 \
         WHERE company_id = $2 AND endpoint_id = $3 AND status = 'failed' AND created_at >= $4",
    )
    .bind(now)
    .bind(company_id)
    .bind(endpoint_id)
    .bind(since)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Pending deliveries and the time the oldest was queued (ms), for metrics.
pub async fn queue_stats(db: &Db) -> StoreResult<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*), MIN(queued_at) FROM webhook_deliveries WHERE status = 'pending'",
    )
    .fetch_one(db.reader())
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
