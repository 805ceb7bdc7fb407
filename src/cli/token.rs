//! `galley token ...`: tokens: issue one to an admin, revoke one.
//!
//! Parses the flags, issues or revokes the tokens and shapes the output; no
//! product rules; `galley demo` issues its tokens through
//! [`issue_for_admin`] too.
//!
//! May touch: `domain::tokens` (`issue_for_admin`, `revoke_by_operator`),
//! `store::tokens` (the lookup by hash), `crypto` (`hash_secret`),
//! `cli::session`. Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::{
    clock::Clock,
    crypto,
    domain::{
        tokens::{self as issue, TokenResponse},
        Actor,
    },
    store::tokens as stored,
};

/// `galley token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an access token (and a refresh token if the client has the
    /// refresh_token grant) to an admin through a client.
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
    /// Revoke an access or refresh token (a refresh token takes every token
    /// of its grant with it).
    Revoke {
        /// The token (or env GALLEY_TOKEN).
        #[arg(long, env = "GALLEY_TOKEN", hide_env_values = true)]
        token: String,
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
            let mut out = json!({
                "access_token": issued.access_token,
                "expires_in": issued.expires_in,
            });
            let mut text = format!("access_token:  {}\n", issued.access_token);
            if let Some(refresh) = &issued.refresh_token {
                out["refresh_token"] = json!(refresh);
                text.push_str(&format!("refresh_token: {refresh}\n"));
            }
            text.push_str(&format!("expires_in:    {} s", issued.expires_in));
            Ok(Output::new(out, text))
        }
        TokenCommand::Revoke { token } => {
            let hash = crypto::hash_secret(token.trim());
            let row = stored::find_by_hash(s.db.reader(), &hash)
                .await?
                .ok_or_else(|| super::session::not_found("token not found"))?;
            let revoked =
                issue::revoke_by_operator(&s.db, s.clock.now_ms(), &Actor::Cli, &row).await?;
            let text = if revoked == 0 {
                format!("{} token {} was already revoked", row.kind, row.id)
            } else {
                format!(
                    "{} token {} revoked ({revoked} live token(s) of client {} revoked)",
                    row.kind, row.id, row.client_id
                )
            };
            Ok(Output::new(
                json!({
                    "token_id": row.id,
                    "kind": row.kind,
                    "client_id": row.client_id,
                    "company_id": row.company_id,
                    "revoked": true,
                    "revoked_tokens": revoked,
                }),
                text,
            ))
        }
    }
}

/// Issues an access token (and a refresh token when the client has the
/// `refresh_token` grant) to an admin through a client.
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
