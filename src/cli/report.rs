//! The output of `galley link report`: every link as a CSV line (text) and
//! as a JSON object (`--json`), dates in ISO 8601, values as decimal text.
//!
//! Formatting only: the links come from [`super::link`], their status from
//! [`crate::domain::links::LinkStatus`].
//!
//! May touch: `domain::links` (the status), `domain::money` (amount text),
//! `clock` (dates), `store::links` (the row type), `cli::session`. Never
//! another entry point.

use serde_json::{json, Value};

use super::session::{explain, Output};
use crate::{
    clock::iso_date,
    domain::{links, money::amount_text},
    store::links::LinkRow,
};

/// The CSV columns, which are also the JSON keys.
const COLUMNS: [&str; 13] = [
    "link_id",
    "batch_id",
    "campaign_id",
    "campaign",
    "status",
    "email",
    "value",
    "currency",
    "created_at",
    "expires_at",
    "redeemed_at",
    "refunded_at",
    "order_id",
];

/// A link report being built, one link at a time.
pub(super) struct LinkReport {
    now: i64,
    rows: Vec<Value>,
    csv: csv::Writer<Vec<u8>>,
}

impl LinkReport {
    /// An empty report (the CSV header only); statuses as of `now` (ms).
    pub(super) fn new(now: i64) -> anyhow::Result<Self> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(COLUMNS)?;
        Ok(LinkReport {
            now,
            rows: Vec::new(),
            csv,
        })
    }

    /// Adds a link's line and JSON object.
    pub(super) fn add(&mut self, l: &LinkRow) -> anyhow::Result<()> {
        let status = links::LinkStatus::of(l, self.now)
            .map_err(explain)?
            .as_str();
        let value = amount_text(l.denomination_minor, &l.currency_code);
        let date = |ms: Option<i64>| ms.map(iso_date).unwrap_or_default();
        self.csv.write_record([
            l.id.to_string(),
            l.batch_id.to_string(),
            l.campaign_id.to_string(),
            l.campaign_name.clone(),
            status.to_string(),
            l.email.clone().unwrap_or_default(),
            value.clone(),
            l.currency_code.clone(),
            date(Some(l.created_at)),
            date(Some(l.expires_at)),
            date(l.redeemed_at),
            date(l.refunded_at),
            l.order_id.map(|o| o.to_string()).unwrap_or_default(),
        ])?;
        self.rows.push(json!({
            "link_id": l.id, "batch_id": l.batch_id, "campaign_id": l.campaign_id, "campaign": l.campaign_name,
            "status": status, "email": l.email, "value": value, "currency": l.currency_code,
            "created_at": date(Some(l.created_at)), "expires_at": date(Some(l.expires_at)),
            "redeemed_at": l.redeemed_at.map(iso_date), "refunded_at": l.refunded_at.map(iso_date),
            "order_id": l.order_id,
        }));
        Ok(())
    }

    /// The finished report of `company`: the CSV text and the JSON object.
    pub(super) fn finish(self, company: i64) -> anyhow::Result<Output> {
        let text = String::from_utf8(self.csv.into_inner()?)?;
        Ok(Output::new(
            json!({ "company_id": company, "links": self.rows }),
            text.trim_end().to_string(),
        ))
    }
}
