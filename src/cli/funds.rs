//! `galley funds ...`: company funds: add them, or deduct them (never below
//! a zero balance).
//!
//! Parses the flags, calls [`crate::domain::ledger`] and shapes the output;
//! no product rules.
//!
//! May touch: `domain::ledger` (writes as the operator), `cli::session`.
//! Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::{self, ledger, Actor};

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
    /// Deduct funds from a company's balance (in its base currency); refused
    /// when the balance would go below zero.
    Deduct {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Amount, e.g. 250 or 250.50.
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
        FundsCommand::Deduct { company, amount } => {
            let balance = ledger::deduct_funds(&s.db, &s.clock, &Actor::Cli, company, &amount)
                .await
                .map_err(|e| match e {
                    domain::Error::NotFound(what) => {
                        super::session::not_found(format!("{what} {company} not found"))
                    }
                    other => explain(other),
                })?;
            Ok(Output::new(
                json!({ "company_id": company, "balance": balance.to_json(), "currency": balance.currency.as_str() }),
                format!("balance of company {company}: {balance}"),
            ))
        }
    }
}
