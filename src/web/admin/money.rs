//! Balance and ledger: the company's balance, a chart of it over time, a
//! chart of orders and redemptions per day, and the ledger entries with
//! filters (dates, kind) and their CSV export. Funds are added by the
//! operator (`galley funds add`); the page says so.
//!
//! May touch: `store::ledger` and `store::activity` (reads), `domain::money`
//! (amounts), `state`, the portal kit in `super`.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
    Router,
};
use minijinja::context;
use serde::Deserialize;

use super::{
    kit::{self, Period, DAY_MS},
    Portal,
};
use crate::{
    domain::money::amount_text,
    state::AppState,
    store::{activity, ledger},
};

/// Entries shown on the page (the CSV holds every one of the filter).
const SHOWN: usize = 500;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/balance", get(show))
        .route("/admin/balance/ledger.csv", get(csv))
}

/// The filter form.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
}

impl Filter {
    fn kind(&self) -> Option<&str> {
        self.kind
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
    }
}

/// What the ledger's kinds are called on the page.
fn kind_label(kind: &str) -> &str {
    match kind {
        "fund" => "Funds added",
        "deduct" => "Funds deducted",
        "charge" => "Order",
        "link_charge" => "Reward links",
        "link_refund" => "Expired links refunded",
        other => other,
    }
}

/// `GET /admin/balance`.
async fn show(
    State(state): State<AppState>,
    portal: Portal,
    Query(filter): Query<Filter>,
) -> Response {
    let now = state.clock.now_ms();
    let period = match Period::parse(filter.from.as_deref(), filter.to.as_deref(), now, 30) {
        Ok(p) => p,
        Err(message) => return portal.message(&state, StatusCode::BAD_REQUEST, &message),
    };
    let company = portal.company.id;
    let currency = portal.company.base_currency.clone();
    let read = async {
        let entries = ledger::entries(state.db.reader(), company, period.from, period.to).await?;
        let opening = activity::balance_before(state.db.reader(), company, period.from).await?;
        let orders =
            activity::orders_per_day(state.db.reader(), company, period.from, period.to).await?;
        let redeemed =
            activity::redemptions_per_day(state.db.reader(), company, period.from, period.to)
                .await?;
        let kinds = activity::ledger_kinds(state.db.reader(), company).await?;
        Ok::<_, crate::store::StoreError>((entries, opening, orders, redeemed, kinds))
    };
    let (entries, opening, orders, redeemed, kinds) = match read.await {
        Ok(found) => found,
        Err(e) => return portal.failure(&state, e.into()),
    };

    // The balance at the end of each day of the range.
    let mut closing = opening;
    let mut entry = entries.iter().peekable();
    let balance_points: Vec<(String, f64)> = period
        .days()
        .map(|day| {
            while let Some(e) = entry.next_if(|e| e.created_at < (day + 1) * DAY_MS) {
                closing = e.balance_minor;
            }
            let value = amount_text(closing, &currency)
                .parse::<f64>()
                .unwrap_or(0.0);
            (crate::clock::day(day * DAY_MS), value)
        })
        .collect();
    let count =
        |rows: &[(i64, i64)], day: i64| rows.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
    let activity_rows: Vec<(String, f64, f64)> = period
        .days()
        .map(|day| {
            (
                crate::clock::day(day * DAY_MS),
                count(&orders, day) as f64,
                count(&redeemed, day) as f64,
            )
        })
        .collect();

    let wanted = filter.kind();
    let matching: Vec<_> = entries
        .iter()
        .rev()
        .filter(|e| wanted.is_none_or(|k| e.kind == k))
        .collect();
    let rows: Vec<_> = matching
        .iter()
        .take(SHOWN)
        .map(|e| {
            context! {
                id => e.id, created_at => e.created_at, kind => kind_label(&e.kind),
                amount_minor => e.amount_minor, balance_minor => e.balance_minor,
                reference => e.reference,
            }
        })
        .collect();
    let kinds: Vec<_> = kinds
        .iter()
        .map(|k| context! { value => k, label => kind_label(k), selected => wanted == Some(k.as_str()) })
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &period.from_text())
        .append_pair("to", &period.to_text())
        .append_pair("kind", wanted.unwrap_or_default())
        .finish();
    portal.page(
        &state,
        StatusCode::OK,
        "admin/balance.html",
        context! {
            nav => "balance", rows, kinds, currency,
            total => matching.len(), shown => SHOWN,
            from => period.from_text(), to => period.to_text(),
            csv_url => format!("{}/admin/balance/ledger.csv?{query}", state.config.public_url.base_path()),
            balance_chart => kit::line_chart(&balance_points, &portal.company.base_currency),
            activity_chart => kit::pair_bar_chart(&activity_rows, "orders", "redemptions"),
        },
    )
}

/// `GET /admin/balance/ledger.csv`: the filtered entries, oldest first.
async fn csv(
    State(state): State<AppState>,
    portal: Portal,
    Query(filter): Query<Filter>,
) -> Response {
    let now = state.clock.now_ms();
    let period = match Period::parse(filter.from.as_deref(), filter.to.as_deref(), now, 30) {
        Ok(p) => p,
        Err(message) => return portal.message(&state, StatusCode::BAD_REQUEST, &message),
    };
    let entries =
        match ledger::entries(state.db.reader(), portal.company.id, period.from, period.to).await {
            Ok(e) => e,
            Err(e) => return portal.failure(&state, e.into()),
        };
    let mut out = csv::Writer::from_writer(Vec::new());
    let wanted = filter.kind();
    let written = out
        .write_record([
            "id",
            "time_utc",
            "kind",
            "amount",
            "currency",
            "balance_after",
            "reference",
        ])
        .and_then(|()| {
            entries
                .iter()
                .filter(|e| wanted.is_none_or(|k| e.kind == k))
                .try_for_each(|e| {
                    out.write_record([
                        e.id.to_string(),
                        crate::clock::date_time(e.created_at),
                        e.kind.clone(),
                        amount_text(e.amount_minor, &e.currency),
                        e.currency.clone(),
                        amount_text(e.balance_minor, &e.currency),
                        e.reference.clone().unwrap_or_default(),
                    ])
                })
        });
    match written
        .map_err(anyhow::Error::from)
        .and_then(|()| out.into_inner().map_err(|e| anyhow::anyhow!("{e}")))
    {
        Ok(body) => kit::csv_response(
            &format!("ledger-{}-{}.csv", period.from_text(), period.to_text()),
            body,
        ),
        Err(e) => portal.failure(&state, crate::domain::Error::Internal(e)),
    }
}
