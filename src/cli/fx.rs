//! `galley fx ...`: exchange rates for charging other currencies.
//!
//! Parses the flags, calls [`crate::domain::catalog::set_rate`] and shapes
//! the output; no product rules.
//!
//! May touch: `domain::catalog` (`set_rate`), `cli::session`. Never another
//! entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::{catalog, Actor};

/// `galley fx ...`
#[derive(Debug, Subcommand)]
pub enum FxCommand {
    /// Set the rate: units of --to per unit of --from.
    Set {
        /// Currency of the vouchers, e.g. USD.
        #[arg(long)]
        from: String,
        /// Currency charged, e.g. INR.
        #[arg(long)]
        to: String,
        /// Decimal rate, e.g. 83.12.
        #[arg(long, allow_hyphen_values = true)]
        rate: String,
    },
}

/// Runs a `galley fx` command.
pub(super) async fn run(s: &Session, command: FxCommand) -> anyhow::Result<Output> {
    match command {
        FxCommand::Set { from, to, rate } => {
            let rate = catalog::set_rate(&s.db, &s.clock, &Actor::Cli, &from, &to, &rate)
                .await
                .map_err(explain)?;
            let (from, to, rate) = (
                from.to_ascii_uppercase(),
                to.to_ascii_uppercase(),
                rate.to_text(),
            );
            Ok(Output::new(
                json!({ "from": from, "to": to, "rate": rate }),
                format!("1 {from} = {rate} {to}"),
            ))
        }
    }
}
