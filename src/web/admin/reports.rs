//! Reports: the company's orders (product, quantity, amount, status,
//! receiver, PO number, date, voucher codes) and reward links (status,
//! recipient, campaign, batch, dates), filtered by date and status, a page
//! of [`PAGE`] rows at a time by keyset (`?after=<id>` for older rows,
//! `?before=<id>` for newer ones, never OFFSET), and the CSV of exactly
//! what the filter selects (every page of it, up to [`CSV_MAX`] rows).
//!
//! Voucher codes are bearer secrets: a plain admin sees their last four
//! characters, a super admin the whole code, on the page and in the CSV.
//! Text that clients or recipients wrote (PO numbers, e-mail addresses,
//! names) is defused in the CSV ([`kit::csv_cell`]).
//!
//! A pending order (waiting for codes) can be canceled from the orders
//! report: it is refunded by [`crate::domain::orders::cancel`].
//!
//! May touch: `store::reports` (reads), `domain::links` (statuses),
//! `domain::orders` (cancel), `domain::money` (amounts), `state`, the
//! portal kit in `super`.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
    Form, Router,
};
use minijinja::{context, Value};
use serde::Deserialize;

use super::CsrfOnly;

use super::{
    kit::{self, Period},
    see_other, Portal,
};
use crate::{
    clock,
    domain::{links::LinkStatus, money::amount_text},
    state::AppState,
    store::{
        links::LinkRow,
        orders::{OrderRow, OrderStatus},
        reports::{self, LinkFilter, OrderFilter, Page},
        StoreError,
    },
};

/// Rows per page.
pub const PAGE: i64 = 50;
/// Rows read per query for a CSV.
const CSV_CHUNK: i64 = 1_000;
/// Most rows of one CSV: a larger selection asks for a narrower filter.
pub const CSV_MAX: usize = 200_000;
/// Days a report covers when no date is chosen.
const DEFAULT_DAYS: i64 = 30;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/reports/orders", get(orders_page))
        .route("/admin/reports/orders.csv", get(orders_csv))
        .route("/admin/reports/orders/{id}/cancel", post(cancel_order))
        .route("/admin/reports/links", get(links_page))
        .route("/admin/reports/links.csv", get(links_csv))
}

/// The filter form and the page cursor of both reports.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
    after: Option<String>,
    before: Option<String>,
    campaign: Option<String>,
    batch: Option<String>,
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// An id from the query, or what is wrong with it.
fn id_param(text: Option<&str>, field: &str) -> Result<Option<i64>, String> {
    match non_empty(text) {
        None => Ok(None),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| format!("“{field}” must be a positive whole number")),
    }
}

impl Filter {
    fn period(&self, now: i64) -> Result<Period, String> {
        Period::parse(self.from.as_deref(), self.to.as_deref(), now, DEFAULT_DAYS)
    }

    fn page(&self) -> Result<Page, String> {
        match (
            id_param(self.after.as_deref(), "after")?,
            id_param(self.before.as_deref(), "before")?,
        ) {
            (Some(_), Some(_)) => Err("choose “after” or “before”, not both".into()),
            (Some(id), None) => Ok(Page::After(id)),
            (None, Some(id)) => Ok(Page::Before(id)),
            (None, None) => Ok(Page::First),
        }
    }

    fn status(&self) -> Option<&str> {
        non_empty(self.status.as_deref())
    }

    /// The filter's query string (no cursor), for links and the CSV.
    fn query(&self, period: &Period, extra: &[(&str, Option<i64>)]) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", &period.from_text())
            .append_pair("to", &period.to_text())
            .append_pair("status", self.status().unwrap_or_default());
        for (name, value) in extra {
            if let Some(v) = value {
                q.append_pair(name, &v.to_string());
            }
        }
        q.finish()
    }
}

/// Trims a page read with one row more than shown: the rows to show and
/// whether there are newer and older rows.
fn paginate<T>(mut rows: Vec<T>, page: Page) -> (Vec<T>, bool, bool) {
    let extra = rows.len() as i64 > PAGE;
    match page {
        Page::First => {
            rows.truncate(PAGE as usize);
            (rows, false, extra)
        }
        Page::After(_) => {
            rows.truncate(PAGE as usize);
            (rows, true, extra)
        }
        Page::Before(_) => {
            if extra {
                rows.remove(0);
            }
            (rows, extra, true)
        }
    }
}

/// A voucher code as a plain admin sees it: its last four characters.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() <= 4 {
        return "••••".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

// ---- Orders ----

fn order_status(text: Option<&str>) -> Result<Option<OrderStatus>, String> {
    match text {
        None => Ok(None),
        Some(t) => t
            .parse::<OrderStatus>()
            .map(Some)
            .map_err(|_| "“status” must be complete, pending or canceled".to_string()),
    }
}

/// The codes of `orders`, as the admin may see them, by order id.
async fn codes_of(
    state: &AppState,
    orders: &[OrderRow],
    whole: bool,
) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let mut by_order: HashMap<i64, Vec<String>> = HashMap::new();
    for (order_id, code) in reports::order_codes(state.db.reader(), &ids).await? {
        let shown = if whole { code } else { mask_code(&code) };
        by_order.entry(order_id).or_default().push(shown);
    }
    Ok(by_order)
}

/// `GET /admin/reports/orders`.
async fn orders_page(
    State(state): State<AppState>,
    portal: Portal,
    Query(filter): Query<Filter>,
) -> Response {
    let now = state.clock.now_ms();
    let parsed = filter
        .period(now)
        .and_then(|period| Ok((period, filter.page()?, order_status(filter.status())?)));
    let (period, page, status) = match parsed {
        Ok(p) => p,
        Err(message) => return portal.message(&state, StatusCode::BAD_REQUEST, &message),
    };
    let of = OrderFilter {
        company_id: portal.company.id,
        from: period.from,
        to: period.to,
        status,
    };
    let read = async {
        let rows = reports::orders_page(state.db.reader(), &of, page, PAGE + 1).await?;
        let (rows, newer, older) = paginate(rows, page);
        let codes = codes_of(&state, &rows, portal.is_super()).await?;
        Ok::<_, StoreError>((rows, newer, older, codes))
    };
    let (rows, newer, older, codes) = match read.await {
        Ok(found) => found,
        Err(e) => return portal.failure(&state, e.into()),
    };
    let query = filter.query(&period, &[]);
    let base = format!(
        "{}/admin/reports/orders",
        state.config.public_url.base_path()
    );
    let shown: Vec<Value> = rows
        .iter()
        .map(|o| {
            context! {
                id => o.id, product => o.product_name, quantity => o.quantity,
                amount => amount_text(o.order_total_minor, &o.currency_code), currency => o.currency_code,
                charged => amount_text(o.amount_charged_minor, &o.base_currency), base_currency => o.base_currency,
                status => o.order_status.as_str(), receiver => o.email, po_number => o.po_number,
                created_at => o.created_at, codes => codes.get(&o.id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    portal.page(
        &state,
        StatusCode::OK,
        "admin/report_orders.html",
        context! {
            nav => "reports", tab => "orders", rows => shown,
            from => period.from_text(), to => period.to_text(), status => filter.status(),
            statuses => ["complete", "pending", "canceled"],
            newer_url => newer.then(|| rows.first().map(|o| format!("{base}?{query}&before={}", o.id))).flatten(),
            older_url => older.then(|| rows.last().map(|o| format!("{base}?{query}&after={}", o.id))).flatten(),
            csv_url => format!("{base}.csv?{query}"),
            whole_codes => portal.is_super(),
        },
    )
}

/// `GET /admin/reports/orders.csv`: every order of the filter.
async fn orders_csv(
    State(state): State<AppState>,
    portal: Portal,
    Query(filter): Query<Filter>,
) -> Response {
    let now = state.clock.now_ms();
    let parsed = filter
        .period(now)
        .and_then(|period| Ok((period, order_status(filter.status())?)));
    let (period, status) = match parsed {
        Ok(p) => p,
        Err(message) => return portal.message(&state, StatusCode::BAD_REQUEST, &message),
    };
    let of = OrderFilter {
        company_id: portal.company.id,
        from: period.from,
        to: period.to,
        status,
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "order_id",
        "time_utc",
        "product",
        "quantity",
        "amount",
        "currency",
        "charged",
        "base_currency",
        "status",
        "receiver",
        "po_number",
        "codes",
    ];
    if let Err(e) = out.write_record(header) {
        return portal.failure(&state, crate::domain::Error::Internal(e.into()));
    }
    let mut page = Page::First;
    let mut written = 0usize;
    loop {
        let read = async {
            let rows = reports::orders_page(state.db.reader(), &of, page, CSV_CHUNK).await?;
            let codes = codes_of(&state, &rows, portal.is_super()).await?;
            Ok::<_, StoreError>((rows, codes))
        };
        let (rows, codes) = match read.await {
            Ok(found) => found,
            Err(e) => return portal.failure(&state, e.into()),
        };
        written += rows.len();
        if written > CSV_MAX {
            return too_many(&state, &portal);
        }
        for o in &rows {
            let line = [
                o.id.to_string(),
                clock::date_time(o.created_at),
                kit::csv_cell(&o.product_name),
                o.quantity.to_string(),
                amount_text(o.order_total_minor, &o.currency_code),
                o.currency_code.clone(),
                amount_text(o.amount_charged_minor, &o.base_currency),
                o.base_currency.clone(),
                o.order_status.as_str().to_string(),
                kit::csv_cell(&o.email),
                kit::csv_cell(&o.po_number),
                kit::csv_cell(&codes.get(&o.id).cloned().unwrap_or_default().join(" ")),
            ];
            if let Err(e) = out.write_record(line) {
                return portal.failure(&state, crate::domain::Error::Internal(e.into()));
            }
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == CSV_CHUNK => page = Page::After(last.id),
            _ => break,
        }
    }
    finish_csv(
        &state,
        &portal,
        out,
        &format!("orders-{}-{}.csv", period.from_text(), period.to_text()),
    )
}

fn too_many(state: &AppState, portal: &Portal) -> Response {
    portal.message(
        state,
        StatusCode::BAD_REQUEST,
        &format!("This selection has more than {CSV_MAX} rows: choose fewer days or a status."),
    )
}

fn finish_csv(
    state: &AppState,
    portal: &Portal,
    out: csv::Writer<Vec<u8>>,
    name: &str,
) -> Response {
    match out.into_inner() {
        Ok(body) => kit::csv_response(name, body),
        Err(e) => portal.failure(
            state,
            crate::domain::Error::Internal(anyhow::anyhow!("{e}")),
        ),
    }
}

// ---- Links ----

/// The link statuses the filter offers.
const LINK_STATUSES: [LinkStatus; 4] = [
    LinkStatus::Created,
    LinkStatus::Expired,
    LinkStatus::Redeemed,
    LinkStatus::Refunded,
];

/// The store's filter of a link status: stored status and expiry side.
fn link_status(text: Option<&str>) -> Result<(Option<&'static str>, Option<bool>), String> {
    match text {
        None => Ok((None, None)),
        Some("created") => Ok((Some("created"), Some(false))),
        Some("expired") => Ok((Some("created"), Some(true))),
        Some("redeemed") => Ok((Some("redeemed"), None)),
        Some("refunded") => Ok((Some("refunded"), None)),
        Some(_) => Err("“status” must be created, expired, redeemed or refunded".into()),
    }
}

fn link_filter(filter: &Filter, company_id: i64, now: i64) -> Result<(Period, LinkFilter), String> {
    let period = filter.period(now)?;
    let (status, past_expiry) = link_status(filter.status())?;
    let lf = LinkFilter {
        company_id,
        from: period.from,
        to: period.to,
        status,
        past_expiry,
        now,
        campaign_id: id_param(filter.campaign.as_deref(), "campaign")?,
        batch_id: id_param(filter.batch.as_deref(), "batch")?,
    };
    Ok((period, lf))
}

fn status_of(link: &LinkRow, now: i64) -> &'static str {
    LinkStatus::of(link, now).map_or("unknown", LinkStatus::as_str)
}

/// `GET /admin/reports/links`.
async fn links_page(
    State(state): State<AppState>,
    portal: Portal,
    Query(filter): Query<Filter>,
) -> Response {
    let now = state.clock.now_ms();
    let parsed = link_filter(&filter, portal.company.id, now)
        .and_then(|(period, lf)| Ok((period, lf, filter.page()?)));
    let (period, lf, page) = match parsed {
        Ok(p) => p,
        Err(message) => return portal.message(&state, StatusCode::BAD_REQUEST, &message),
    };
    let rows = match reports::links_page(state.db.reader(), &lf, page, PAGE + 1).await {
        Ok(rows) => rows,
        Err(e) => return portal.failure(&state, e.into()),
    };
    let (rows, newer, older) = paginate(rows, page);
    let query = filter.query(
        &period,
        &[("campaign", lf.campaign_id), ("batch", lf.batch_id)],
    );
    let base = format!(
        "{}/admin/reports/links",
        state.config.public_url.base_path()
    );
    let shown: Vec<Value> = rows
        .iter()
        .map(|l| {
            context! {
                id => l.id, status => status_of(l, now), email => l.email,
                campaign => l.campaign_name, campaign_id => l.campaign_id, batch_id => l.batch_id,
                value => amount_text(l.denomination_minor, &l.currency_code), currency => l.currency_code,
                created_at => l.created_at, expires_at => l.expires_at,
                redeemed_at => l.redeemed_at, refunded_at => l.refunded_at,
            }
        })
        .collect();
    let statuses: Vec<&str> = LINK_STATUSES.iter().map(|s| s.as_str()).collect();
    portal.page(
        &state,
        StatusCode::OK,
        "admin/report_links.html",
        context! {
            nav => "reports", tab => "links", rows => shown, statuses,
            from => period.from_text(), to => period.to_text(), status => filter.status(),
            campaign => lf.campaign_id, batch => lf.batch_id,
            newer_url => newer.then(|| rows.first().map(|l| format!("{base}?{query}&before={}", l.id))).flatten(),
            older_url => older.then(|| rows.last().map(|l| format!("{base}?{query}&after={}", l.id))).flatten(),
            csv_url => format!("{base}.csv?{query}"),
        },
    )
}

/// `GET /admin/reports/links.csv`: every link of the filter.
async fn links_csv(
    State(state): State<AppState>,
    portal: Portal,
    Query(filter): Query<Filter>,
) -> Response {
    let now = state.clock.now_ms();
    let (period, lf) = match link_filter(&filter, portal.company.id, now) {
        Ok(p) => p,
        Err(message) => return portal.message(&state, StatusCode::BAD_REQUEST, &message),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "link_id",
        "status",
        "email",
        "campaign_id",
        "campaign",
        "batch_id",
        "value",
        "currency",
        "created_utc",
        "expires_utc",
        "redeemed_utc",
        "refunded_utc",
    ];
    if let Err(e) = out.write_record(header) {
        return portal.failure(&state, crate::domain::Error::Internal(e.into()));
    }
    let date = |ms: Option<i64>| ms.map(clock::date_time).unwrap_or_default();
    let mut page = Page::First;
    let mut written = 0usize;
    loop {
        let rows = match reports::links_page(state.db.reader(), &lf, page, CSV_CHUNK).await {
            Ok(rows) => rows,
            Err(e) => return portal.failure(&state, e.into()),
        };
        written += rows.len();
        if written > CSV_MAX {
            return too_many(&state, &portal);
        }
        for l in &rows {
            let line = [
                l.id.to_string(),
                status_of(l, now).to_string(),
                kit::csv_cell(l.email.as_deref().unwrap_or_default()),
                l.campaign_id.to_string(),
                kit::csv_cell(&l.campaign_name),
                l.batch_id.to_string(),
                amount_text(l.denomination_minor, &l.currency_code),
                l.currency_code.clone(),
                date(Some(l.created_at)),
                date(Some(l.expires_at)),
                date(l.redeemed_at),
                date(l.refunded_at),
            ];
            if let Err(e) = out.write_record(line) {
                return portal.failure(&state, crate::domain::Error::Internal(e.into()));
            }
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == CSV_CHUNK => page = Page::After(last.id),
            _ => break,
        }
    }
    finish_csv(
        &state,
        &portal,
        out,
        &format!("links-{}-{}.csv", period.from_text(), period.to_text()),
    )
}

/// `POST /admin/reports/orders/{id}/cancel`: cancels an order still waiting
/// for codes and refunds it ([`crate::domain::orders::cancel`]).
async fn cancel_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return portal.failure(&state, crate::domain::Error::NotFound("order"));
    };
    match crate::domain::orders::cancel(
        &state.db,
        &*state.clock,
        &portal.actor(),
        portal.company.id,
        id,
    )
    .await
    {
        Ok(_) => see_other(&state, "/admin/reports/orders?status=canceled"),
        Err(e) => portal.failure(&state, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_masked_to_their_last_four() {
        assert_eq!(mask_code("CCD-500-0001"), "••••0001");
        assert_eq!(mask_code("abc"), "••••");
    }

    #[test]
    fn pages_know_their_neighbours() {
        let rows: Vec<i64> = (0..=PAGE).collect();
        let (shown, newer, older) = paginate(rows.clone(), Page::First);
        assert_eq!((shown.len() as i64, newer, older), (PAGE, false, true));
        let (shown, newer, older) = paginate(rows, Page::Before(1));
        assert_eq!((shown[0], newer, older), (1, true, true));
        let (_, newer, older) = paginate(vec![1, 2], Page::After(9));
        assert_eq!((newer, older), (true, false));
    }

    #[test]
    fn hostile_filters_are_refused_with_a_reason() {
        assert!(link_status(Some("gone")).is_err());
        assert!(order_status(Some("x")).is_err());
        assert!(id_param(Some("99999999999999999999999"), "after").is_err());
        assert!(id_param(Some("-1"), "after").is_err());
    }
}
