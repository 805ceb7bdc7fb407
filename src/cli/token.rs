//! `galley token ...`: tokens.
//!
//! Parses the flags, issues the tokens and shapes the output; no product
//! rules; `galley demo` issues its tokens through [`issue_for_admin`] too.
//!
//! May touch: `domain::tokens` (`issue_for_admin`), `cli::session`. Never
//! another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::tokens::{self as issue, TokenResponse};

/// `galley token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an access and refresh token to an admin through a client.
    Issue {
        /// The client.
        #[arg(long)]
        client_id: String,
        /// An admin of the client's company.
        #[arg(long)]
        admin_email: String,
        /// Scopes, comma-separated, within the client's.
        #[arg(long)]
        scopes: String,
    },
}

/// Runs a `galley token` command.
pub(super) async fn run(s: &Session, command: TokenCommand) -> anyhow::Result<Output> {
    match command {
        TokenCommand::Issue {
            client_id,
            admin_email,
            scopes,
        } => {
            let issued = issue_for_admin(s, &client_id, &admin_email, &scopes).await?;
            Ok(Output::new(
                json!({
                    "access_token": issued.access_token,
                    "refresh_token": issued.refresh_token,
                    "expires_in": issued.expires_in,
                }),
                format!(
                    "access_token:  {}\nrefresh_token: {}\nexpires_in:    {} s",
                    issued.access_token,
                    issued.refresh_token.as_deref().unwrap_or("-"),
                    issued.expires_in
                ),
            ))
        }
    }
}

/// Issues an access and refresh token to an admin through a client.
pub(super) async fn issue_for_admin(
    s: &Session,
    client_id: &str,
    admin_email: &str,
    scopes: &str,
) -> anyhow::Result<TokenResponse> {
    issue::issue_for_admin(
        &s.db,
        &s.clock,
        &s.config.tokens,
        client_id,
        admin_email,
        scopes,
    )
    .await
    .map_err(explain)
}
