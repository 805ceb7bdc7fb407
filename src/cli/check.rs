//! `galley check`: checks a live database's invariants — today, that every
//! company's balance equals the sum of its ledger entries — and says which
//! company breaks one. Exits with status 1 when any does.
//!
//! May touch: `store::ledger` (reads), `cli::session`. Never another entry
//! point.

use serde_json::json;

use super::session::{Output, Session};
use crate::store::ledger;

/// Runs `galley check`.
pub(super) async fn run(s: &Session, (): ()) -> anyhow::Result<Output> {
    let mismatches = ledger::mismatches(s.db.reader()).await?;
    if mismatches.is_empty() {
        return Ok(Output::new(
            json!({ "ok": true, "mismatches": [] }),
            "ok: every company's balance equals the sum of its ledger entries".to_string(),
        ));
    }
    let lines: Vec<String> = mismatches
        .iter()
        .map(|m| {
            format!(
                "company {}: balance {} minor units, ledger entries sum to {}",
                m.company_id, m.balance_minor, m.ledger_minor
            )
        })
        .collect();
    anyhow::bail!(
        "{} compan{} whose balance is not the sum of the ledger:\n  {}\nThe ledger is the record; investigate before moving more money.",
        mismatches.len(),
        if mismatches.len() == 1 { "y" } else { "ies" },
        lines.join("\n  ")
    )
}
