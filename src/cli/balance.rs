//! `galley balance ...`: a company's balance, read for the operator.
//!
//! Reads the company row straight from the store (a read needs no rule)
//! and shapes the output; also the helper the other read commands use to
//! show stored minor units as [`Money`].
//!
//! May touch: `store::companies` (reads), `domain::money` (formatting),
//! `cli::session`. Never another entry point.

use anyhow::anyhow;
use clap::Subcommand;
use serde_json::json;

use super::session::{Output, Session};
use crate::{
    domain::money::{Currency, Money},
    store,
};

/// `galley balance ...`
#[derive(Debug, Subcommand)]
pub enum BalanceCommand {
    /// A company's balance, in its base currency.
    Show {
        /// Company id.
        #[arg(long)]
        company: i64,
    },
}

/// Runs a `galley balance` command.
pub(super) async fn run(s: &Session, command: BalanceCommand) -> anyhow::Result<Output> {
    match command {
        BalanceCommand::Show { company } => {
            let row = store::companies::find(s.db.reader(), company)
                .await?
                .ok_or_else(|| super::session::not_found(format!("company {company} not found")))?;
            let balance = money(row.balance_minor, &row.base_currency)?;
            Ok(Output::new(
                json!({
                    "company_id": company,
                    "balance": balance.to_json(),
                    "currency": balance.currency.as_str(),
                }),
                format!("balance of company {company}: {balance}"),
            ))
        }
    }
}

/// Stored minor units of a stored currency code as [`Money`] (a code that
/// does not parse is corrupt data: an error naming it).
pub(super) fn money(minor: i64, currency: &str) -> anyhow::Result<Money> {
    let currency =
        Currency::parse(currency).map_err(|e| anyhow!("a stored amount's currency: {e}"))?;
    Ok(Money { minor, currency })
}
