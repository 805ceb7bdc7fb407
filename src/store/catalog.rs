//! The operator-wide catalog: products, voucher-code inventory and
//! exchange rates. Touches the `products`, `voucher_codes` (imports and
//! counts), `fx_rates` and `catalog_meta` tables. Product values stay the
//! stored text here; `domain::catalog::Product::from_row` parses them once.
//!
//! May touch: `sqlx`, `store` (`Tx`, `DynSql`). Never `domain` or an entry
//! point.

use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{DynSql, StoreResult, Tx};

/// A product as stored (decimal fields as decimal text).
#[derive(Clone, Debug, Default)]
pub struct ProductRow {
    /// Product id (`productId`).
    pub id: i64,
    /// Brand name.
    pub name: String,
    /// HTML description.
    pub description: String,
    /// HTML terms.
    pub terms: String,
    /// HTML expiry and validity.
    pub expiry_validity: String,
    /// HTML redemption instructions.
    pub redemption_instructions: String,
    /// Comma-separated categories.
    pub categories: String,
    /// Image URL.
    pub image_url: String,
    /// ISO 4217 currency of the vouchers.
    pub currency_code: String,
    /// Currency name.
    pub currency_name: String,
    /// ISO country code.
    pub country_code: String,
    /// Country name.
    pub country_name: String,
    /// JSON array of `{code, name}`.
    pub countries: String,
    /// Decimal text.
    pub exchange_rate_rule: String,
    /// `fixed_denomination` or `open_value` (`domain::catalog::ValueType`).
    pub value_type: String,
    /// Decimal text.
    pub min_value: String,
    /// Decimal text.
    pub max_value: String,
    /// `"10,20,50"`.
    pub denominations: String,
    /// `"0"` or `"1 - 7"`.
    pub tat_in_days: String,
    /// Free text (e.g. `online`).
    pub usage_type: String,
    /// `realtime` or `delayed` (`domain::catalog::DeliveryType`).
    pub delivery_type: String,
    /// Decimal text, percent.
    pub fee: String,
    /// Decimal text, percent.
    pub discount: String,
    /// Most vouchers per order.
    pub order_quantity_limit: i64,
    /// `inventory` or `generated` (`domain::catalog::Kind`).
    pub kind: String,
    /// Last change (ms).
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, description, terms, expiry_validity, redemption_instructions, categories, image_url, \
    currency_code, currency_name, country_code, country_name, countries, exchange_rate_rule, value_type, min_value, \
    max_value, denominations, tat_in_days, usage_type, delivery_type, fee, discount, order_quantity_limit, kind, updated_at";

/// Reads a row of [`COLUMNS`].
fn product(row: AnyRow) -> StoreResult<ProductRow> {
    Ok(ProductRow {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        description: row.try_get(2)?,
        terms: row.try_get(3)?,
        expiry_validity: row.try_get(4)?,
        redemption_instructions: row.try_get(5)?,
        categories: row.try_get(6)?,
        image_url: row.try_get(7)?,
        currency_code: row.try_get(8)?,
        currency_name: row.try_get(9)?,
        country_code: row.try_get(10)?,
        country_name: row.try_get(11)?,
        countries: row.try_get(12)?,
        exchange_rate_rule: row.try_get(13)?,
        value_type: row.try_get(14)?,
        min_value: row.try_get(15)?,
        max_value: row.try_get(16)?,
        denominations: row.try_get(17)?,
        tat_in_days: row.try_get(18)?,
        usage_type: row.try_get(19)?,
        delivery_type: row.try_get(20)?,
        fee: row.try_get(21)?,
        discount: row.try_get(22)?,
        order_quantity_limit: row.try_get(23)?,
        kind: row.try_get(24)?,
        updated_at: row.try_get(25)?,
    })
}

/// The largest product id in use (0 when the catalog is empty).
pub async fn max_id(conn: &mut AnyConnection) -> StoreResult<i64> {
    let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM products")
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// Inserts or replaces a product by id.
pub async fn upsert(tx: &mut Tx, p: &ProductRow) -> StoreResult<()> {
    let columns: Vec<&str> = COLUMNS.split(", ").map(str::trim).collect();
    let mut sql = DynSql::new(tx, &format!("INSERT INTO products ({COLUMNS}) VALUES ("));
    sql.params(columns.len())
        .push(") ON CONFLICT (id) DO UPDATE SET ");
    let updates: Vec<String> = columns
        .iter()
        .skip(1)
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    sql.push(&updates.join(", "));
    sqlx::query(sql.sql())
        .bind(p.id)
        .bind(&p.name)
        .bind(&p.description)
        .bind(&p.terms)
        .bind(&p.expiry_validity)
        .bind(&p.redemption_instructions)
        .bind(&p.categories)
        .bind(&p.image_url)
        .bind(&p.currency_code)
        .bind(&p.currency_name)
        .bind(&p.country_code)
        .bind(&p.country_name)
        .bind(&p.countries)
        .bind(&p.exchange_rate_rule)
        .bind(&p.value_type)
        .bind(&p.min_value)
        .bind(&p.max_value)
        .bind(&p.denominations)
        .bind(&p.tat_in_days)
        .bind(&p.usage_type)
        .bind(&p.delivery_type)
        .bind(&p.fee)
        .bind(&p.discount)
        .bind(p.order_quantity_limit)
        .bind(&p.kind)
        .bind(p.updated_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A product by id.
pub async fn find<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    id: i64,
) -> StoreResult<Option<ProductRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM products WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?
        .map(product)
        .transpose()
}

/// The products with these ids (missing ids are left out), in id order.
pub async fn find_many(conn: &mut AnyConnection, ids: &[i64]) -> StoreResult<Vec<ProductRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = DynSql::new(
        conn,
        &format!("SELECT {COLUMNS} FROM products WHERE id IN ("),
    );
    sql.params(ids.len()).push(") ORDER BY id");
    let mut query = sqlx::query(sql.sql());
    for id in ids {
        query = query.bind(*id);
    }
    query
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(product)
        .collect()
}

/// The products of a campaign, in the campaign's order.
pub async fn of_campaign<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    campaign_id: i64,
) -> StoreResult<Vec<ProductRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM products JOIN campaign_products ON campaign_products.product_id = products.id \
         WHERE campaign_products.campaign_id = $1 ORDER BY campaign_products.position"
    ))
    .bind(campaign_id)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(product)
    .collect()
}

/// Every product, in id order (the catalog is operator-sized: filters and
/// pages are applied by the caller).
pub async fn all<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<Vec<ProductRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM products ORDER BY id"))
        .fetch_all(exec)
        .await?
        .into_iter()
        .map(product)
        .collect()
}

/// Adds voucher codes; a code already known for the product is a unique
/// violation (the whole import then rolls back).
pub async fn insert_codes(
    tx: &mut Tx,
    product_id: i64,
    denomination_minor: i64,
    codes: &[(String, Option<String>, Option<String>)],
    now: i64,
) -> StoreResult<()> {
    for chunk in codes.chunks(200) {
        let mut sql = DynSql::new(
            tx,
            "INSERT INTO voucher_codes (product_id, denomination_minor, code, pin, validity, created_at) VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.params(6);
        });
        let mut query = sqlx::query(sql.sql());
        for (code, pin, validity) in chunk {
            query = query
                .bind(product_id)
                .bind(denomination_minor)
                .bind(code)
                .bind(pin)
                .bind(validity)
                .bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Unsold codes of a product and denomination.
pub async fn free_codes<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    product_id: i64,
    denomination_minor: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM voucher_codes WHERE product_id = $1 AND denomination_minor = $2 AND order_id IS NULL",
    )
    .bind(product_id)
    .bind(denomination_minor)
    .fetch_one(exec)
    .await?;
    Ok(row.try_get(0)?)
}

/// Sets an exchange rate (decimal text: units of `to` per unit of `from`).
pub async fn set_rate(tx: &mut Tx, from: &str, to: &str, rate: &str, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO fx_rates (from_currency, to_currency, rate, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (from_currency, to_currency) DO UPDATE SET rate = excluded.rate, updated_at = excluded.updated_at",
    )
    .bind(from)
    .bind(to)
    .bind(rate)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The rate from `from` to `to`, if set.
pub async fn rate<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    from: &str,
    to: &str,
) -> StoreResult<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT rate FROM fx_rates WHERE from_currency = $1 AND to_currency = $2")
            .bind(from)
            .bind(to)
            .fetch_optional(exec)
            .await?;
    Ok(row.map(|(r,)| r))
}

/// The rate from `from` to `to`, read in the caller's transaction.
pub async fn rate_in(tx: &mut super::Tx, from: &str, to: &str) -> StoreResult<Option<String>> {
    rate(&mut **tx, from, to).await
}

/// The catalog's version, bumped by every import.
pub async fn version<'e>(exec: impl sqlx::any::AnyExecutor<'e>) -> StoreResult<i64> {
    let row = sqlx::query("SELECT version FROM catalog_meta WHERE id = 1")
        .fetch_one(exec)
        .await?;
    Ok(row.try_get(0)?)
}

/// Bumps the catalog's version in the import's transaction.
pub async fn bump_version(tx: &mut Tx) -> StoreResult<()> {
    sqlx::query("UPDATE catalog_meta SET version = version + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which of `codes` the product's inventory holds already.
pub async fn existing_codes(
    conn: &mut sqlx::AnyConnection,
    product_id: i64,
    codes: &[&str],
) -> StoreResult<Vec<String>> {
    let mut found = Vec::new();
    for chunk in codes.chunks(500) {
        let mut sql = DynSql::new(conn, "SELECT code FROM voucher_codes WHERE product_id = ");
        sql.param()
            .push(" AND code IN (")
            .params(chunk.len())
            .push(")");
        let mut query = sqlx::query_as::<_, (String,)>(sql.sql()).bind(product_id);
        for code in chunk {
            query = query.bind(*code);
        }
        found.extend(query.fetch_all(&mut *conn).await?.into_iter().map(|(c,)| c));
    }
    Ok(found)
}
