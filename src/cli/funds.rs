//! `galley funds ...`: company funds.
//!
//! Parses the flags, calls [`crate::domain::ledger`] and shapes the output;
//! no product rules.
//!
//! May touch: `domain::ledger` (writes as the operator), `cli::session`.
//! Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::{ledger, Actor};

/// `galley funds ...`
#[derive(Debug, Subcommand)]
pub enum FundsCommand {
    /// Add funds to a company's balance (in its base currency).
    Add {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Amount, e.g. 1000 or 1000.50.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
    },
}

/// Runs a `galley funds` command.
pub(super) async fn run(s: &Session, command: FundsCommand) -> anyhow::Result<Output> {
    match command {
        FundsCommand::Add { company, amount } => {
            let balance = ledger::add_funds(&s.db, &s.clock, &Actor::Cli, company, &amount)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "company_id": company, "balance": balance.to_json(), "currency": balance.currency.as_str() }),
                format!("balance of company {company}: {balance}"),
            ))
        }
    }
}
