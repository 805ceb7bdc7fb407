//! `galley ledger`: a company's ledger entries, for the operator: every
//! change of its balance with the balance after it, as CSV (text) or as
//! `{"entries": [...]}` with `--json`; dates in ISO 8601.
//!
//! Reads the store straight (a read needs no rule) and shapes the output;
//! no product rules.
//!
//! May touch: `store::companies`, `store::ledger` (reads), `domain::money`
//! (amount text), `clock` (dates), `cli::balance` (money), `cli::session`.
//! Never another entry point.

use anyhow::{anyhow, bail};
use clap::Args;
use serde_json::json;

use super::{
    balance::money,
    session::{Output, Session},
};
use crate::{clock::iso_date, domain::money::amount_text, store};

/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// The CSV columns, which are also the JSON keys.
const COLUMNS: [&str; 7] = [
    "entry_id",
    "created_at",
    "kind",
    "amount",
    "currency",
    "reference",
    "balance",
];

/// `galley ledger ...`
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// Company id.
    #[arg(long)]
    company: i64,
    /// First day (UTC), YYYY-MM-DD; default: the first entry.
    #[arg(long)]
    from: Option<String>,
    /// Last day (UTC, included), YYYY-MM-DD; default: the last entry.
    #[arg(long)]
    to: Option<String>,
}

/// Runs `galley ledger`.
pub(super) async fn run(s: &Session, args: LedgerArgs) -> anyhow::Result<Output> {
    let from = match &args.from {
        Some(day) => day_start("--from", day)?,
        None => i64::MIN,
    };
    let to = match &args.to {
        Some(day) => day_start("--to", day)? + DAY_MS,
        None => i64::MAX,
    };
    if from >= to {
        bail!("--to is before --from");
    }
    let company = args.company;
    let reader = s.db.reader();
    store::companies::find(reader, company)
        .await?
        .ok_or_else(|| super::session::not_found(format!("company {company} not found")))?;
    let entries = store::ledger::entries(reader, company, from, to).await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(COLUMNS)?;
    let mut rows = Vec::with_capacity(entries.len());
    for e in &entries {
        let amount = money(e.amount_minor, &e.currency)?;
        let balance = money(e.balance_minor, &e.currency)?;
        let created_at = iso_date(e.created_at);
        csv.write_record([
            e.id.to_string(),
            created_at.clone(),
            e.kind.clone(),
            amount_text(e.amount_minor, &e.currency),
            e.currency.clone(),
            e.reference.clone().unwrap_or_default(),
            amount_text(e.balance_minor, &e.currency),
        ])?;
        rows.push(json!({
            "entry_id": e.id,
            "created_at": created_at,
            "kind": e.kind,
            "amount": amount.to_json(),
            "currency": e.currency,
            "reference": e.reference,
            "balance": balance.to_json(),
        }));
    }
    let text = String::from_utf8(csv.into_inner()?)?;
    Ok(Output::new(
        json!({ "company_id": company, "entries": rows }),
        text.trim_end().to_string(),
    ))
}

/// The first millisecond of a UTC day written `YYYY-MM-DD`; `flag` names
/// the option in the error.
fn day_start(flag: &str, day: &str) -> anyhow::Result<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day.trim(), format)
        .map_err(|_| anyhow!("{flag} `{day}` is not a date such as 2024-01-31"))?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}
