//! `galley client ...`: OAuth clients (apps).
//!
//! Parses the flags, calls [`crate::domain::clients`] as the operator and
//! shapes the output; no product rules.
//!
//! May touch: `domain::clients` (writes as the operator), `cli::session`.
//! Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::{
    clients::{self, NewClient},
    Actor,
};

/// `galley client ...`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an OAuth client; prints its id and secret once.
    Create {
        /// Owning company id.
        #[arg(long)]
        company: i64,
        /// App name.
        #[arg(long)]
        name: String,
        /// The one OAuth callback URL.
        #[arg(long)]
        redirect_uri: String,
        /// Allowed scopes, comma-separated.
        #[arg(long)]
        scopes: String,
        /// Usable by other companies' users once approved.
        #[arg(long)]
        public: bool,
        /// Allowed grant types, comma-separated (default
        /// authorization_code,refresh_token).
        #[arg(long)]
        grant_types: Option<String>,
        /// For a public app: the company whose users sign up through it
        /// (default: the app's own company).
        #[arg(long)]
        signup_company: Option<i64>,
    },
    /// Approve a public app, so that users of other companies may use it.
    Approve {
        /// The client.
        #[arg(long)]
        client_id: String,
    },
    /// Replace the client secret; the old one stops working at once.
    RotateSecret {
        /// The client.
        #[arg(long)]
        client_id: String,
    },
}

/// Runs a `galley client` command.
pub(super) async fn run(s: &Session, command: ClientCommand) -> anyhow::Result<Output> {
    match command {
        ClientCommand::Create {
            company,
            name,
            redirect_uri,
            scopes,
            public,
            grant_types,
            signup_company,
        } => {
            let new = NewClient {
                company_id: company,
                name,
                redirect_uri,
                scopes,
                grant_types,
                public,
                signup_company,
            };
            let created = clients::create(&s.db, &s.clock, &Actor::Cli, new)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "client_id": created.client_id, "client_secret": created.client_secret }),
                format!(
                    "client_id:     {}\nclient_secret: {}\n(the secret is shown only now)",
                    created.client_id, created.client_secret
                ),
            ))
        }
        ClientCommand::Approve { client_id } => {
            clients::approve(&s.db, &s.clock, &Actor::Cli, &client_id)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "client_id": client_id, "approved": true }),
                format!("app {client_id} approved"),
            ))
        }
        ClientCommand::RotateSecret { client_id } => {
            let rotated = clients::rotate_secret(&s.db, &s.clock, &Actor::Cli, &client_id)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "client_id": rotated.client_id, "client_secret": rotated.client_secret }),
                format!(
                    "new client_secret: {}\n(the old secret no longer works)",
                    rotated.client_secret
                ),
            ))
        }
    }
}
