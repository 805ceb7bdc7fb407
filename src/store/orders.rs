//! Orders and the allocation of voucher codes to them: the `orders` and
//! `voucher_codes` tables, plus the product row lock that serialises
//! allocation. Status columns are read into [`OrderStatus`] and
//! [`DeliveryStatus`] here, once.
//!
//! May touch: `sqlx`, `store` (`Tx`, `DynSql`). Never `domain` or an entry
//! point.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    str::FromStr,
};

use sqlx::{any::AnyRow, AnyConnection, Row};

use super::{DynSql, StoreResult, Tx};

/// Stored status text that is not one of the column's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{column} `{value}` must be {expected}")]
pub struct UnknownStatus {
    /// The column.
    pub column: &'static str,
    /// The text found.
    pub value: String,
    /// The values allowed.
    pub expected: &'static str,
}

/// `orders.order_status` (`orderStatus` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Placed and delivered.
    Complete,
    /// Charged, waiting for codes (a delayed product without stock).
    Pending,
    /// A pending order the operator canceled; its charge was refunded.
    Canceled,
}

impl OrderStatus {
    /// The stored and wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Complete => "complete",
            OrderStatus::Pending => "pending",
            OrderStatus::Canceled => "canceled",
        }
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, UnknownStatus> {
        match text {
            "complete" => Ok(OrderStatus::Complete),
            "pending" => Ok(OrderStatus::Pending),
            "canceled" => Ok(OrderStatus::Canceled),
            other => Err(UnknownStatus {
                column: "order_status",
                value: other.to_string(),
                expected: "complete, pending or canceled",
            }),
        }
    }
}

/// `orders.delivery_status` (`deliveryStatus` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// The codes are the order's.
    Delivered,
    /// Waiting for codes.
    Pending,
    /// Canceled before any code was delivered.
    Canceled,
}

impl DeliveryStatus {
    /// The stored and wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Canceled => "canceled",
        }
    }
}

impl FromStr for DeliveryStatus {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, UnknownStatus> {
        match text {
            "delivered" => Ok(DeliveryStatus::Delivered),
            "pending" => Ok(DeliveryStatus::Pending),
            "canceled" => Ok(DeliveryStatus::Canceled),
            other => Err(UnknownStatus {
                column: "delivery_status",
                value: other.to_string(),
                expected: "delivered, pending or canceled",
            }),
        }
    }
}

/// Both serialize as their text: wire JSON and e-mail templates show them.
impl serde::Serialize for OrderStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl serde::Serialize for DeliveryStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a status column; text that does not parse is a decode error
/// (an internal error for the caller, logged with the column and value).
fn status<T: FromStr<Err = UnknownStatus>>(row: &AnyRow, index: usize) -> StoreResult<T> {
    let text: String = row.try_get(index)?;
    text.parse().map_err(|e: UnknownStatus| {
        sqlx::Error::ColumnDecode {
            index: e.column.to_string(),
            source: Box::new(e),
        }
        .into()
    })
}

/// An order as stored.
#[derive(Clone, Debug)]
pub struct OrderRow {
    /// `orderId`.
    pub id: i64,
    /// The ordering company.
    pub company_id: i64,
    /// The client's idempotency key.
    pub po_number: String,
    /// Product.
    pub product_id: i64,
    /// Product name at order time.
    pub product_name: String,
    /// Voucher value, minor units of `currency_code`.
    pub denomination_minor: i64,
    /// Number of vouchers.
    pub quantity: i64,
    /// Currency of the vouchers.
    pub currency_code: String,
    /// Base-currency units per voucher-currency unit (decimal text).
    pub currency_value: String,
    /// denomination × quantity, voucher currency.
    pub order_total_minor: i64,
    /// Discount, voucher currency.
    pub discount_minor: i64,
    /// Discount percent (decimal text).
    pub discount_percent: String,
    /// Debited from the balance, base currency.
    pub amount_charged_minor: i64,
    /// The company's base currency.
    pub base_currency: String,
    /// Complete, or pending while waiting for codes.
    pub order_status: OrderStatus,
    /// Delivered, or pending while waiting for codes.
    pub delivery_status: DeliveryStatus,
    /// Receiver e-mail.
    pub email: String,
    /// Receiver phone.
    pub contact: String,
    /// Client's tag.
    pub tag: String,
    /// 1 when the receiver is e-mailed.
    pub notify_receiver: i64,
    /// Order time (ms).
    pub created_at: i64,
    /// Delivery time (ms).
    pub delivered_at: Option<i64>,
}

pub(super) const COLUMNS: &str = "id, company_id, po_number, product_id, product_name, denomination_minor, quantity, currency_code, \
    currency_value, order_total_minor, discount_minor, discount_percent, amount_charged_minor, base_currency, order_status, \
    delivery_status, email, contact, tag, notify_receiver, created_at, delivered_at";

/// Reads a row of [`COLUMNS`], parsing its status columns.
pub(super) fn order(row: AnyRow) -> StoreResult<OrderRow> {
    Ok(OrderRow {
        id: row.try_get(0)?,
        company_id: row.try_get(1)?,
        po_number: row.try_get(2)?,
        product_id: row.try_get(3)?,
        product_name: row.try_get(4)?,
        denomination_minor: row.try_get(5)?,
        quantity: row.try_get(6)?,
        currency_code: row.try_get(7)?,
        currency_value: row.try_get(8)?,
        order_total_minor: row.try_get(9)?,
        discount_minor: row.try_get(10)?,
        discount_percent: row.try_get(11)?,
        amount_charged_minor: row.try_get(12)?,
        base_currency: row.try_get(13)?,
        order_status: status(&row, 14)?,
        delivery_status: status(&row, 15)?,
        email: row.try_get(16)?,
        contact: row.try_get(17)?,
        tag: row.try_get(18)?,
        notify_receiver: row.try_get(19)?,
        created_at: row.try_get(20)?,
        delivered_at: row.try_get(21)?,
    })
}

/// A voucher code of an order.
#[derive(Clone, Debug)]
pub struct CodeRow {
    /// The code.
    pub code: String,
    /// Its PIN, if any.
    pub pin: Option<String>,
    /// `YYYY-MM-DD`, if known.
    pub validity: Option<String>,
}

/// Locks a product's row, which serialises the allocation of its codes on
/// PostgreSQL (two allocations picking the same free codes would otherwise
/// leave the later one short). SQLite has one writer: nothing to do.
pub async fn lock_product(tx: &mut Tx, product_id: i64) -> StoreResult<()> {
    if tx.backend_name() == "SQLite" {
        return Ok(());
    }
    sqlx::query("UPDATE products SET kind = kind WHERE id = $1")
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the receiver e-mail of an order (a link's recipient asked for the
/// voucher by e-mail).
pub async fn set_email(tx: &mut Tx, order_id: i64, email: &str) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET email = $1, notify_receiver = 1 WHERE id = $2")
        .bind(email)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Orders per statement (21 parameters each).
const ORDERS_PER_STATEMENT: usize = 500;

/// Inserts orders (their `id` is ignored); returns their ids in the order
/// given. A repeated (company, poNumber) is a unique violation.
pub async fn insert_many(tx: &mut Tx, rows: &[OrderRow]) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ORDERS_PER_STATEMENT) {
        let mut sql = DynSql::new(
            tx,
            "INSERT INTO orders (company_id, client_id, po_number, product_id, product_name, denomination_minor, quantity, \
             currency_code, currency_value, order_total_minor, discount_minor, discount_percent, amount_charged_minor, \
             base_currency, order_status, delivery_status, email, contact, tag, notify_receiver, created_at, delivered_at) VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.param().push(", '', ").params(20);
        });
        sql.push(" RETURNING id, company_id, po_number");
        let mut query = sqlx::query(sql.sql());
        for o in chunk {
            query = query
                .bind(o.company_id)
                .bind(&o.po_number)
                .bind(o.product_id)
                .bind(&o.product_name)
                .bind(o.denomination_minor)
                .bind(o.quantity)
                .bind(&o.currency_code)
                .bind(&o.currency_value)
                .bind(o.order_total_minor)
                .bind(o.discount_minor)
                .bind(&o.discount_percent)
                .bind(o.amount_charged_minor)
                .bind(&o.base_currency)
                .bind(o.order_status.as_str())
                .bind(o.delivery_status.as_str())
                .bind(&o.email)
                .bind(&o.contact)
                .bind(&o.tag)
                .bind(o.notify_receiver)
                .bind(o.created_at)
                .bind(o.delivered_at);
        }
        // RETURNING promises no order: match the ids by (company, poNumber).
        let mut returned = HashMap::with_capacity(chunk.len());
        for row in query.fetch_all(&mut **tx).await? {
            returned.insert(
                (row.try_get::<i64, _>(1)?, row.try_get::<String, _>(2)?),
                row.try_get::<i64, _>(0)?,
            );
        }
        for o in chunk {
            let id = returned
                .get(&(o.company_id, o.po_number.clone()))
                .ok_or(sqlx::Error::RowNotFound)?;
            ids.push(*id);
        }
    }
    Ok(ids)
}

/// Inserts an order; returns its id (see [`insert_many`]).
pub async fn insert(tx: &mut Tx, o: &OrderRow) -> StoreResult<i64> {
    insert_many(tx, std::slice::from_ref(o))
        .await?
        .pop()
        .ok_or_else(|| sqlx::Error::RowNotFound.into())
}

/// The poNumbers among `pos` that the company already used.
pub async fn existing_pos(
    conn: &mut AnyConnection,
    company_id: i64,
    pos: &[&str],
) -> StoreResult<HashSet<String>> {
    if pos.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sql = DynSql::new(conn, "SELECT po_number FROM orders WHERE company_id = ");
    sql.param()
        .push(" AND po_number IN (")
        .params(pos.len())
        .push(")");
    let mut query = sqlx::query(sql.sql()).bind(company_id);
    for po in pos {
        query = query.bind(*po);
    }
    query
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
}

/// Up to `limit` unsold codes of a product and denomination with their
/// ids, oldest first. On PostgreSQL the caller holds the product's lock
/// ([`lock_product`]) so that they stay unsold until it assigns them.
pub async fn free_codes(
    conn: &mut AnyConnection,
    product_id: i64,
    denomination_minor: i64,
    limit: i64,
    today: &str,
) -> StoreResult<Vec<(i64, CodeRow)>> {
    sqlx::query(
        "SELECT id, code, pin, validity FROM voucher_codes \
         WHERE product_id = $1 AND denomination_minor = $2 AND order_id IS NULL \
         AND (validity IS NULL OR validity >= $4) ORDER BY id LIMIT $3",
    )
    .bind(product_id)
    .bind(denomination_minor)
    .bind(limit)
    .bind(today)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok((
            r.try_get(0)?,
            CodeRow {
                code: r.try_get(1)?,
                pin: r.try_get(2)?,
                validity: r.try_get(3)?,
            },
        ))
    })
    .collect()
}

/// (code id, order id) pairs per statement.
const ASSIGNMENTS_PER_STATEMENT: usize = 1000;

/// Assigns unsold codes to orders, `(code id, order id)`; returns how many
/// were assigned (fewer than given when some were sold meanwhile).
pub async fn assign_codes(tx: &mut Tx, pairs: &[(i64, i64)]) -> StoreResult<u64> {
    let mut assigned = 0;
    for chunk in pairs.chunks(ASSIGNMENTS_PER_STATEMENT) {
        let mut sql = DynSql::new(
            tx,
            "UPDATE voucher_codes SET order_id = v.column2 FROM (VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.params(2);
        });
        sql.push(") AS v WHERE voucher_codes.id = v.column1 AND voucher_codes.order_id IS NULL");
        let mut query = sqlx::query(sql.sql());
        for (code_id, order_id) in chunk {
            query = query.bind(*code_id).bind(*order_id);
        }
        assigned += query.execute(&mut **tx).await?.rows_affected();
    }
    Ok(assigned)
}

/// Assigns up to `quantity` unsold codes (oldest first) to the order;
/// returns the codes assigned, in allocation order.
pub async fn allocate(
    conn: &mut AnyConnection,
    order_id: i64,
    product_id: i64,
    denomination_minor: i64,
    quantity: i64,
    today: &str,
) -> StoreResult<Vec<CodeRow>> {
    let rows = sqlx::query(
        "UPDATE voucher_codes SET order_id = $1 WHERE order_id IS NULL AND id IN (SELECT id FROM voucher_codes \
         WHERE product_id = $2 AND denomination_minor = $3 AND order_id IS NULL \
         AND (validity IS NULL OR validity >= $5) ORDER BY id LIMIT $4) \
         RETURNING id, code, pin, validity",
    )
    .bind(order_id)
    .bind(product_id)
    .bind(denomination_minor)
    .bind(quantity)
    .bind(today)
    .fetch_all(conn)
    .await?;
    let mut codes = rows
        .into_iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>(0)?,
                CodeRow {
                    code: r.try_get(1)?,
                    pin: r.try_get(2)?,
                    validity: r.try_get(3)?,
                },
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    codes.sort_unstable_by_key(|(id, _)| *id);
    Ok(codes.into_iter().map(|(_, code)| code).collect())
}

/// Returns an order's codes to the inventory (a partial allocation that
/// cannot complete the order).
pub async fn release(conn: &mut AnyConnection, order_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE voucher_codes SET order_id = NULL WHERE order_id = $1")
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Minted codes per statement (5 parameters each).
const CODES_PER_STATEMENT: usize = 1000;

/// Stores minted codes already assigned to an order.
pub async fn insert_minted(
    tx: &mut Tx,
    order_id: i64,
    product_id: i64,
    denomination_minor: i64,
    codes: &[String],
    now: i64,
) -> StoreResult<()> {
    for chunk in codes.chunks(CODES_PER_STATEMENT) {
        let mut sql = DynSql::new(
            tx,
            "INSERT INTO voucher_codes (product_id, denomination_minor, code, order_id, created_at) VALUES ",
        );
        sql.rows(chunk.len(), |row| {
            row.params(5);
        });
        let mut query = sqlx::query(sql.sql());
        for code in chunk {
            query = query
                .bind(product_id)
                .bind(denomination_minor)
                .bind(code)
                .bind(order_id)
                .bind(now);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks an order complete and delivered.
pub async fn mark_delivered(conn: &mut AnyConnection, order_id: i64, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET order_status = $1, delivery_status = $2, delivered_at = $3 WHERE id = $4")
        .bind(OrderStatus::Complete.as_str())
        .bind(DeliveryStatus::Delivered.as_str())
        .bind(now)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Cancels a company's order if it is still pending; returns the canceled
/// order (`None` when it is not pending, or not the company's).
pub async fn cancel_pending(
    tx: &mut Tx,
    company_id: i64,
    order_id: i64,
) -> StoreResult<Option<OrderRow>> {
    let found = sqlx::query(&format!(
        "UPDATE orders SET order_status = $1, delivery_status = $2 \
         WHERE id = $3 AND company_id = $4 AND order_status = $5 RETURNING {COLUMNS}"
    ))
    .bind(OrderStatus::Canceled.as_str())
    .bind(DeliveryStatus::Canceled.as_str())
    .bind(order_id)
    .bind(company_id)
    .bind(OrderStatus::Pending.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    found.map(order).transpose()
}

/// The codes of an order, in allocation order.
pub async fn codes<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    order_id: i64,
) -> StoreResult<Vec<CodeRow>> {
    let rows = sqlx::query(
        "SELECT code, pin, validity FROM voucher_codes WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(exec)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(CodeRow {
                code: r.try_get(0)?,
                pin: r.try_get(1)?,
                validity: r.try_get(2)?,
            })
        })
        .collect()
}

/// A company's order by id.
pub async fn find<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    id: i64,
) -> StoreResult<Option<OrderRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE company_id = $1 AND id = $2"
    ))
    .bind(company_id)
    .bind(id)
    .fetch_optional(exec)
    .await?
    .map(order)
    .transpose()
}

/// A company's order by poNumber.
pub async fn find_by_po<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    po: &str,
) -> StoreResult<Option<OrderRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE company_id = $1 AND po_number = $2"
    ))
    .bind(company_id)
    .bind(po)
    .fetch_optional(exec)
    .await?
    .map(order)
    .transpose()
}

/// A company's orders placed in `[from, to)` (ms), newest first, optionally
/// with a tag.
pub async fn history<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    company_id: i64,
    from: i64,
    to: i64,
    tag: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<OrderRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE company_id = $1 AND created_at >= $2 AND created_at < $3 \
         AND ($4 = '' OR tag = $4) ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(company_id)
    .bind(from)
    .bind(to)
    .bind(tag.unwrap_or(""))
    .bind(limit)
    .bind(offset)
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(order)
    .collect()
}

/// Pending orders of a product and denomination, oldest first.
pub async fn pending(
    conn: &mut AnyConnection,
    product_id: i64,
    denomination_minor: i64,
) -> StoreResult<Vec<OrderRow>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders WHERE product_id = $1 AND denomination_minor = $2 AND order_status = $3 \
         ORDER BY created_at, id"
    ))
    .bind(product_id)
    .bind(denomination_minor)
    .bind(OrderStatus::Pending.as_str())
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(order)
    .collect()
}
