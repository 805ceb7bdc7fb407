//! Xoxo Link campaigns, link batches and links.
//!
//! A link row holds the SHA-256 of its code, never the code. Its state moves
//! by conditional updates (`WHERE status = 'created'`), so that of two
//! concurrent redemptions, or a redemption racing the expiry sweeper, exactly
//! one changes the row.
//!
//! May touch: `sqlx`, `store` (`Tx`, `DynSql`, `read`). Never `domain` or
//! an entry point.

use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{DynSql, StoreResult, Tx};

/// A campaign as stored, with its product count.
#[derive(Clone, Debug)]
pub struct CampaignRow {
    /// `campaignId`.
    pub id: i64,
    /// Owning company.
    pub company_id: i64,
    /// `campaignName`.
    pub name: String,
    /// Value of each link, minor units of `currency_code`.
    pub denomination_minor: i64,
    /// Currency of the vouchers.
    pub currency_code: String,
    /// ISO 3166 alpha-2.
    pub country_code: String,
    /// `countryName`.
    pub country_name: String,
    /// Links can be generated.
    pub enabled: bool,
    /// Creation time (ms).
    pub created_at: i64,
    /// Number of products to choose from.
    pub product_count: i64,
    /// What the company wrote about it ("" if nothing).
    pub description: String,
}

/// A new campaign.
#[derive(Clone, Debug)]
pub struct NewCampaign<'a> {
    /// Owning company.
    pub company_id: i64,
    /// Name.
    pub name: &'a str,
    /// Value of each link, minor units.
    pub denomination_minor: i64,
    /// Currency of the vouchers.
    pub currency_code: &'a str,
    /// ISO 3166 alpha-2.
    pub country_code: &'a str,
    /// Country name as the catalog spells it.
    pub country_name: &'a str,
    /// Products, in display order.
    pub product_ids: &'a [i64],
}

const CAMPAIGN_COLUMNS: &str =
    "c.id, c.company_id, c.name, c.denomination_minor, c.currency_code, c.country_code, \
    c.country_name, c.enabled, c.created_at, \
    (SELECT COUNT(*) FROM campaign_products cp WHERE cp.campaign_id = c.id), c.description";

fn campaign(row: AnyRow) -> StoreResult<CampaignRow> {
    Ok(CampaignRow {
        id: row.try_get(0)?,
        company_id: row.try_get(1)?,
        name: row.try_get(2)?,
        denomination_minor: row.try_get(3)?,
        currency_code: row.try_get(4)?,
        country_code: row.try_get(5)?,
        country_name: row.try_get(6)?,
        enabled: row.try_get::<i64, _>(7)? == 1,
        created_at: row.try_get(8)?,
        product_count: row.try_get(9)?,
        description: row.try_get(10)?,
    })
}

/// Inserts a campaign (enabled) and its products; returns its id.
pub async fn insert_campaign(tx: &mut Tx, c: &NewCampaign<'_>, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO campaigns (company_id, name, denomination_minor, currency_code, country_code, country_name, enabled, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(c.company_id)
    .bind(c.name)
    .bind(c.denomination_minor)
    .bind(c.currency_code)
    .bind(c.country_code)
    .bind(c.country_name)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id: i64 = row.try_get(0)?;
    for (position, product_id) in c.product_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO campaign_products (campaign_id, product_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(product_id)
        .bind(position as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// A company's campaign (not deleted).
pub async fn find_campaign<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<CampaignRow>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.company_id = $1 AND c.id = $2 AND c.deleted_at IS NULL"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(exec)
    .await?
    .map(campaign)
    .transpose()
}

/// Any company's campaign (not deleted), for the operator.
pub async fn campaign_by_id<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    id: i64,
) -> StoreResult<Option<CampaignRow>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.id = $1 AND c.deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(exec)
    .await?
    .map(campaign)
    .transpose()
}

/// A filter of [`list_campaigns`].
#[derive(Clone, Debug, Default)]
pub struct CampaignFilter {
    /// Case-insensitive substring of the name ("" = any).
    pub name: String,
    /// Only enabled (true) or disabled (false) campaigns.
    pub enabled: Option<bool>,
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(substring: &str) -> String {
    let mut out = String::with_capacity(substring.len() + 2);
    out.push('%');
    for c in substring.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A page of a company's campaigns, newest first, and the number matching.
pub async fn list_campaigns(
    conn: &mut AnyConnection,
    company_id: i64,
    filter: &CampaignFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<CampaignRow>, i64)> {
    let enabled = filter.enabled.map_or(-1, i64::from);
    let condition =
        "c.company_id = $1 AND c.deleted_at IS NULL AND LOWER(c.name) LIKE $2 ESCAPE '\\' \
                     AND ($3 = -1 OR c.enabled = $3)";
    let pattern = like_pattern(&filter.name);
    let count: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) FROM campaigns c WHERE {condition}"
    ))
    .bind(company_id)
    .bind(&pattern)
    .bind(enabled)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let rows = sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE {condition} ORDER BY c.id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(company_id)
    .bind(&pattern)
    .bind(enabled)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(campaign)
    .collect::<StoreResult<_>>()?;
    Ok((rows, count))
}

/// Enables or disables a campaign; false when there is no such campaign.
pub async fn set_enabled(tx: &mut Tx, id: i64, enabled: bool) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE campaigns SET enabled = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(i64::from(enabled))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Renames and describes a campaign; false when there is no such campaign.
pub async fn update_campaign(
    tx: &mut Tx,
    id: i64,
    name: &str,
    description: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE campaigns SET name = $1, description = $2 WHERE id = $3 AND deleted_at IS NULL",
    )
    .bind(name)
    .bind(description)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a campaign deleted (its links and their reports stay).
pub async fn delete_campaign(tx: &mut Tx, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE campaigns SET deleted_at = $1, enabled = 0 WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Links of a campaign that can still be redeemed at `now`.
pub async fn live_links(conn: &mut AnyConnection, campaign_id: i64, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM links JOIN link_batches b ON b.id = links.batch_id \
         WHERE b.campaign_id = $1 AND links.status = 'created' AND links.expires_at > $2",
    )
    .bind(campaign_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// A batch of links generated by one call.
#[derive(Clone, Debug)]
pub struct NewBatch<'a> {
    /// Owning company.
    pub company_id: i64,
    /// Campaign.
    pub campaign_id: i64,
    /// The client that generated it.
    pub client_id: &'a str,
    /// Number of links.
    pub quantity: i64,
    /// Value of each link, minor units of `currency_code`.
    pub denomination_minor: i64,
    /// Currency of the vouchers.
    pub currency_code: &'a str,
    /// Base-currency units per voucher-currency unit (decimal text).
    pub currency_value: &'a str,
    /// Charged per link, minor units of `base_currency` (refunded on expiry).
    pub link_charge_minor: i64,
    /// The company's base currency.
    pub base_currency: &'a str,
    /// End of validity (ms, exclusive).
    pub expires_at: i64,
}

/// Inserts a batch; returns its id.
pub async fn insert_batch(tx: &mut Tx, b: &NewBatch<'_>, now: i64) -> StoreResult<i64> {
    let row = sqlx::query(
        "INSERT INTO link_batches (company_id, campaign_id, client_id, quantity, denomination_minor, currency_code, \
         currency_value, link_charge_minor, base_currency, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(b.company_id)
    .bind(b.campaign_id)
    .bind(b.client_id)
    .bind(b.quantity)
    .bind(b.denomination_minor)
    .bind(b.currency_code)
    .bind(b.currency_value)
    .bind(b.link_charge_minor)
    .bind(b.base_currency)
    .bind(b.expires_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get(0)?)
}

/// Rows per multi-row insert (6 parameters each, well under SQLite's
/// limit of 32,766 parameters).
const LINKS_PER_STATEMENT: usize = 2_000;

/// Inserts the links of a batch, at positions 0, 1, ...: `(code hash,
/// recipient e-mail)` each; returns their ids in the same order.
pub async fn insert_links(
    tx: &mut Tx,
    batch_id: i64,
    links: &[(String, Option<String>)],
    expires_at: i64,
    now: i64,
) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(links.len());
    for (chunk_index, chunk) in links.chunks(LINKS_PER_STATEMENT).enumerate() {
        let mut sql = DynSql::new(
            tx,
            "INSERT INTO links (batch_id, position, code_hash, email, status, expires_at, created_at) VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.params(4).push(", 'created', ").params(2);
        });
        sql.push(" RETURNING id, position");
        let mut query = sqlx::query(sql.sql());
        for (i, (hash, email)) in chunk.iter().enumerate() {
            let position = (chunk_index * LINKS_PER_STATEMENT + i) as i64;
            query = query
                .bind(batch_id)
                .bind(position)
                .bind(hash.as_str())
                .bind(email.as_deref())
                .bind(expires_at)
                .bind(now);
        }
        let rows = query.fetch_all(&mut **tx).await?;
        let mut chunk_ids = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>(1)?, r.try_get::<i64, _>(0)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        // RETURNING promises no order: put the ids in position order.
        chunk_ids.sort_unstable();
        ids.extend(chunk_ids.into_iter().map(|(_, id)| id));
    }
    Ok(ids)
}

/// A link with what its page shows.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LinkRow {
    /// Row id.
    pub id: i64,
    /// SHA-256 (hex) of the link's code.
    pub code_hash: String,
    /// Its batch.
    pub batch_id: i64,
    /// Owning company.
    pub company_id: i64,
    /// Campaign.
    pub campaign_id: i64,
    /// Campaign name.
    pub campaign_name: String,
    /// `created`, `redeemed` or `refunded`.
    pub status: String,
    /// End of validity (ms, exclusive).
    pub expires_at: i64,
    /// The redemption's order, once redeemed.
    pub order_id: Option<i64>,
    /// Recipient e-mail, if the link was e-mailed.
    pub email: Option<String>,
    /// Value, minor units of `currency_code`.
    pub denomination_minor: i64,
    /// Currency of the vouchers.
    pub currency_code: String,
    /// Base-currency units per voucher-currency unit (decimal text).
    pub currency_value: String,
    /// Charged for this link, minor units of `base_currency`.
    pub link_charge_minor: i64,
    /// The company's base currency.
    pub base_currency: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Redemption time (ms).
    pub redeemed_at: Option<i64>,
    /// Refund time (ms).
    pub refunded_at: Option<i64>,
    /// Voucher e-mails the recipient asked for.
    pub voucher_emails: i64,
}

pub(super) const LINK_COLUMNS: &str = "l.id, l.code_hash, l.batch_id, b.company_id, b.campaign_id, c.name AS campaign_name, l.status, l.expires_at, l.order_id, \
    l.email, b.denomination_minor, b.currency_code, b.currency_value, b.link_charge_minor, b.base_currency, l.created_at, \
    l.redeemed_at, l.refunded_at, l.voucher_emails";
pub(super) const LINK_JOIN: &str =
    "links l JOIN link_batches b ON b.id = l.batch_id JOIN campaigns c ON c.id = b.campaign_id";

/// The link at `position` of batch `batch_id` (the caller checks the code
/// against its `code_hash`).
pub async fn find_by_selector<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    batch_id: i64,
    position: i64,
) -> StoreResult<Option<LinkRow>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_JOIN} WHERE l.batch_id = $1 AND l.position = $2"
    ))
    .bind(batch_id)
    .bind(position)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// A company's link by id.
pub async fn find<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<LinkRow>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_JOIN} WHERE b.company_id = $1 AND l.id = $2"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(exec)
    .await?
    .map(super::read)
    .transpose()
}

/// A company's links, oldest first, optionally of one campaign or batch.
pub async fn report<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    campaign_id: Option<i64>,
    batch_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<LinkRow>> {
    sqlx::query(&format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_JOIN} WHERE b.company_id = $1 AND ($2 = 0 OR b.campaign_id = $2) \
         AND ($3 = 0 OR l.batch_id = $3) ORDER BY l.id LIMIT $4 OFFSET $5"
    ))
    .bind(company_id)
    .bind(campaign_id.unwrap_or(0))
    .bind(batch_id.unwrap_or(0))
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}

/// Moves a live link to `redeemed`; false when it is no longer `created`
/// or has expired (another request or the sweeper got there first).
pub async fn claim_for_redemption(tx: &mut Tx, link_id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE links SET status = 'redeemed', redeemed_at = $1 WHERE id = $2 AND status = 'created' AND expires_at > $1",
    )
    .bind(now)
    .bind(link_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the order of a redemption.
pub async fn set_order(tx: &mut Tx, link_id: i64, order_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE links SET order_id = $1 WHERE id = $2")
        .bind(order_id)
        .bind(link_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts a voucher e-mail the recipient asked for; false when `max` were
/// already sent.
pub async fn count_voucher_email(tx: &mut Tx, link_id: i64, max: i64) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE links SET voucher_emails = voucher_emails + 1 WHERE id = $1 AND voucher_emails < $2")
        .bind(link_id)
        .bind(max)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A link the sweeper refunded.
#[derive(Clone, Debug)]
pub struct Refunded {
    /// Link id.
    pub link_id: i64,
    /// Its batch.
    pub batch_id: i64,
    /// End of its validity (ms).
    pub expires_at: i64,
}

/// Moves up to `limit` expired `created` links to `refunded` and returns
/// them. Only rows this call changed are returned, so each link is refunded
/// by exactly one sweeper.
pub async fn mark_expired_refunded(
    tx: &mut Tx,
    now: i64,
    limit: i64,
) -> StoreResult<Vec<Refunded>> {
    let rows = sqlx::query(
        "UPDATE links SET status = 'refunded', refunded_at = $1 WHERE status = 'created' AND expires_at <= $1 \
         AND id IN (SELECT id FROM links WHERE status = 'created' AND expires_at <= $1 ORDER BY id LIMIT $2) \
         RETURNING id, batch_id, expires_at",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Refunded {
                link_id: r.try_get(0)?,
                batch_id: r.try_get(1)?,
                expires_at: r.try_get(2)?,
            })
        })
        .collect()
}

/// A batch's company and per-link charge.
#[derive(Clone, Debug)]
pub struct BatchCharge {
    /// Owning company.
    pub company_id: i64,
    /// Charged per link, minor units of `base_currency`.
    pub link_charge_minor: i64,
    /// The company's base currency.
    pub base_currency: String,
    /// The batch's campaign.
    pub campaign_id: i64,
}

/// The company and per-link charge of a batch.
pub async fn batch_charge(conn: &mut AnyConnection, batch_id: i64) -> StoreResult<BatchCharge> {
    let row = sqlx::query(
        "SELECT company_id, link_charge_minor, base_currency, campaign_id FROM link_batches WHERE id = $1",
    )
    .bind(batch_id)
    .fetch_one(conn)
    .await?;
    Ok(BatchCharge {
        company_id: row.try_get(0)?,
        link_charge_minor: row.try_get(1)?,
        base_currency: row.try_get(2)?,
        campaign_id: row.try_get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("Diwali"), "%diwali%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern(""), "%%");
    }
}

/// A company's campaigns (not deleted), oldest first, for the operator.
pub async fn company_campaigns<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
) -> StoreResult<Vec<CampaignRow>> {
    sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.company_id = $1 AND c.deleted_at IS NULL ORDER BY c.id"
    ))
    .bind(company_id)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(campaign)
    .collect()
}

/// How many of a campaign's links have one stored status, and how many of
/// those are past their date at the time asked.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusCount {
    /// `created`, `redeemed` or `refunded`.
    pub status: String,
    /// Links with that status.
    pub links: i64,
    /// Of those, links whose `expires_at` is at or before the time asked.
    pub past_expiry: i64,
}

/// A campaign's links counted by stored status (as of `now` for
/// `past_expiry`), in status order.
pub async fn status_counts<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    campaign_id: i64,
    now: i64,
) -> StoreResult<Vec<StatusCount>> {
    sqlx::query(
        "SELECT l.status AS status, CAST(COUNT(*) AS BIGINT) AS links, \
         CAST(SUM(CASE WHEN l.expires_at <= $3 THEN 1 ELSE 0 END) AS BIGINT) AS past_expiry \
         FROM links l JOIN link_batches b ON b.id = l.batch_id \
         WHERE b.company_id = $1 AND b.campaign_id = $2 GROUP BY l.status ORDER BY l.status",
    )
    .bind(company_id)
    .bind(campaign_id)
    .bind(now)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(super::read)
    .collect()
}
