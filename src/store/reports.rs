//! The admin portal's reports: a company's orders and links, newest first,
//! one page at a time by keyset (`after`/`before` a row, never OFFSET), so
//! that the thousandth page costs what the first does.
//!
//! Orders walk `orders_company_created_id` (company, created_at, id);
//! links walk the links' primary key backwards, or `links_status_id`
//! (status, id) when a status is chosen. The optional filters are added
//! to the statement only when set (an `($n = '' OR ...)` term would keep
//! the planner from using the index).
//!
//! May touch: `sqlx`, `store` (`links` and `orders` row types). Never
//! `domain` or an entry point.

use sqlx::{any::AnyArguments, query::Query, Any, Row};

use super::{
    links::{LinkRow, LINK_COLUMNS, LINK_JOIN},
    orders::{self, OrderRow, OrderStatus},
    StoreResult,
};

/// Which page of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The newest rows.
    First,
    /// The rows older than this row (the next page).
    After(i64),
    /// The rows newer than this row (the previous page).
    Before(i64),
}

/// A value bound to a report statement.
enum Arg {
    Int(i64),
    Text(String),
}

/// A statement being assembled: its text and its arguments, numbered in
/// order (`$1`, `$2`, ...; both engines accept them through `Any`).
#[derive(Default)]
struct Statement {
    sql: String,
    args: Vec<Arg>,
}

impl Statement {
    /// Appends `sql`, where each `?` becomes the next placeholder bound to
    /// the next of `args`.
    fn push(&mut self, sql: &str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for (i, part) in sql.split('?').enumerate() {
            if i > 0 {
                if let Some(arg) = args.next() {
                    self.args.push(arg);
                }
                self.sql.push_str(&format!("${}", self.args.len()));
            }
            self.sql.push_str(part);
        }
        self
    }

    fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_str()),
            };
        }
        query
    }
}

/// The filter of the links report.
#[derive(Clone, Debug, Default)]
pub struct LinkFilter {
    /// The company.
    pub company_id: i64,
    /// Created at or after (ms).
    pub from: i64,
    /// Created before (ms).
    pub to: i64,
    /// Only this stored status (`created`, `redeemed`, `refunded`).
    pub status: Option<&'static str>,
    /// Only links past their date at `now` (`Some(true)`) or not yet
    /// (`Some(false)`).
    pub past_expiry: Option<bool>,
    /// The time `past_expiry` is judged at (ms).
    pub now: i64,
    /// Only this campaign.
    pub campaign_id: Option<i64>,
    /// Only this batch.
    pub batch_id: Option<i64>,
}

/// A page of at most `limit` links of `filter`, newest first.
pub async fn links_page<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    filter: &LinkFilter,
    page: Page,
    limit: i64,
) -> StoreResult<Vec<LinkRow>> {
    let mut s = Statement::default();
    s.push(
        &format!(
            "SELECT {LINK_COLUMNS} FROM {LINK_JOIN} WHERE b.company_id = ? \
             AND l.created_at >= ? AND l.created_at < ?"
        ),
        [
            Arg::Int(filter.company_id),
            Arg::Int(filter.from),
            Arg::Int(filter.to),
        ],
    );
    if let Some(status) = filter.status {
        s.push(" AND l.status = ?", [Arg::Text(status.into())]);
    }
    match filter.past_expiry {
        Some(true) => s.push(" AND l.expires_at <= ?", [Arg::Int(filter.now)]),
        Some(false) => s.push(" AND l.expires_at > ?", [Arg::Int(filter.now)]),
        None => &mut s,
    };
    if let Some(id) = filter.campaign_id {
        s.push(" AND b.campaign_id = ?", [Arg::Int(id)]);
    }
    if let Some(id) = filter.batch_id {
        s.push(" AND l.batch_id = ?", [Arg::Int(id)]);
    }
    let ascending = match page {
        Page::First => false,
        Page::After(id) => {
            s.push(" AND l.id < ?", [Arg::Int(id)]);
            false
        }
        Page::Before(id) => {
            s.push(" AND l.id > ?", [Arg::Int(id)]);
            true
        }
    };
    s.push(
        if ascending {
            " ORDER BY l.id ASC LIMIT ?"
        } else {
            " ORDER BY l.id DESC LIMIT ?"
        },
        [Arg::Int(limit)],
    );
    let mut rows: Vec<LinkRow> = s
        .query()
        .fetch_all(exec)
        .await?
        .into_iter()
        .map(super::read)
        .collect::<StoreResult<_>>()?;
    if ascending {
        rows.reverse();
    }
    Ok(rows)
}

/// The filter of the orders report.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// The company.
    pub company_id: i64,
    /// Placed at or after (ms).
    pub from: i64,
    /// Placed before (ms).
    pub to: i64,
    /// Only this status.
    pub status: Option<OrderStatus>,
}

/// A page of at most `limit` orders of `filter`, newest first (by time,
/// then id). A cursor that is not one of the company's orders reads as
/// the first page.
pub async fn orders_page(
    pool: &sqlx::AnyPool,
    filter: &OrderFilter,
    page: Page,
    limit: i64,
) -> StoreResult<Vec<OrderRow>> {
    let cursor = match page {
        Page::First => None,
        Page::After(id) | Page::Before(id) => {
            let found =
                sqlx::query("SELECT created_at FROM orders WHERE company_id = $1 AND id = $2")
                    .bind(filter.company_id)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            match found {
                Some(row) => Some((row.try_get::<i64, _>(0)?, id)),
                None => None,
            }
        }
    };
    let mut s = Statement::default();
    s.push(
        &format!(
            "SELECT {} FROM orders WHERE company_id = ? AND created_at >= ? AND created_at < ?",
            orders::COLUMNS
        ),
        [
            Arg::Int(filter.company_id),
            Arg::Int(filter.from),
            Arg::Int(filter.to),
        ],
    );
    if let Some(status) = filter.status {
        s.push(" AND order_status = ?", [Arg::Text(status.as_str().into())]);
    }
    let ascending = matches!((page, cursor), (Page::Before(_), Some(_)));
    if let Some((at, id)) = cursor {
        let (op, args) = (
            if ascending { ">" } else { "<" },
            [Arg::Int(at), Arg::Int(at), Arg::Int(id)],
        );
        s.push(
            &format!(" AND (created_at {op} ? OR (created_at = ? AND id {op} ?))"),
            args,
        );
    }
    s.push(
        if ascending {
            " ORDER BY created_at ASC, id ASC LIMIT ?"
        } else {
            " ORDER BY created_at DESC, id DESC LIMIT ?"
        },
        [Arg::Int(limit)],
    );
    let mut rows: Vec<OrderRow> = s
        .query()
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(orders::order)
        .collect::<StoreResult<_>>()?;
    if ascending {
        rows.reverse();
    }
    Ok(rows)
}

/// The voucher codes of `order_ids`: `(order id, code)`, in allocation
/// order.
pub async fn order_codes<'e>(
    exec: impl sqlx::any::AnyExecutor<'e>,
    order_ids: &[i64],
) -> StoreResult<Vec<(i64, String)>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers read from the database: written into the statement
    // as literals, one statement whatever their number.
    let list = order_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query(&format!(
        "SELECT order_id, code FROM voucher_codes WHERE order_id IN ({list}) ORDER BY id"
    ))
    .fetch_all(exec)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_arguments() {
        let mut s = Statement::default();
        s.push("a = ? AND b = ?", [Arg::Int(1), Arg::Int(2)])
            .push(" AND c = ?", [Arg::Text("x".into())]);
        assert_eq!(s.sql, "a = $1 AND b = $2 AND c = $3");
        assert_eq!(s.args.len(), 3);
    }
}
