//! `galley operator ...`: the people who review public apps on the
//! operator pages (`/operator`), named by the server's operator.
//!
//! May touch: `domain::operators` (writes as the operator, and its reads),
//! `config` (`Redacted`), `cli::session`. Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::{
    config::Redacted,
    domain::{operators, Actor},
};

/// `galley operator ...`
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Name a reviewer of public apps; they log in at /operator/login.
    Add {
        /// Their e-mail address.
        #[arg(long)]
        email: String,
        /// Their password (or env GALLEY_OPERATOR_PASSWORD).
        #[arg(long, env = "GALLEY_OPERATOR_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Remove a reviewer (their sessions end).
    Remove {
        /// Their e-mail address.
        #[arg(long)]
        email: String,
    },
    /// List the reviewers.
    List,
}

/// Runs a `galley operator` command.
pub(super) async fn run(s: &Session, command: OperatorCommand) -> anyhow::Result<Output> {
    match command {
        OperatorCommand::Add { email, password } => {
            let id = operators::add(&s.db, &s.clock, &Actor::Cli, &email, Redacted(password))
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "operator_id": id, "email": email.trim().to_lowercase() }),
                format!(
                    "{} may now review public apps at /operator (operator {id})",
                    email.trim()
                ),
            ))
        }
        OperatorCommand::Remove { email } => {
            operators::remove(&s.db, &s.clock, &Actor::Cli, &email)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "email": email.trim().to_lowercase(), "removed": true }),
                format!("{} no longer reviews apps", email.trim()),
            ))
        }
        OperatorCommand::List => {
            let emails = operators::list(&s.db).await.map_err(explain)?;
            let text = if emails.is_empty() {
                "no operators: add one with galley operator add".to_string()
            } else {
                emails.join("\n")
            };
            Ok(Output::new(json!({ "operators": emails }), text))
        }
    }
}
