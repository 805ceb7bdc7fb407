//! `galley client ...`: OAuth clients (apps).
//!
//! Parses the flags, calls the client functions and shapes the output; no
//! product rules. This file is the CLI's one place that calls
//! `crate::oauth::clients` (`galley demo` registers its app through
//! [`create`] and [`rotate_secret`]).

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::oauth::clients;
pub(super) use crate::oauth::clients::{CreatedClient, NewClient};

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
            let created = create(s, new).await?;
            Ok(Output::new(
                json!({ "client_id": created.client_id, "client_secret": created.client_secret }),
                format!(
                    "client_id:     {}\nclient_secret: {}\n(the secret is shown only now)",
                    created.client_id, created.client_secret
                ),
            ))
        }
        ClientCommand::Approve { client_id } => {
            clients::approve(&s.db, &s.clock, &client_id)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "client_id": client_id, "approved": true }),
                format!("app {client_id} approved"),
            ))
        }
        ClientCommand::RotateSecret { client_id } => {
            let rotated = rotate_secret(s, &client_id).await?;
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

/// Registers a client; its secret is in the result, this once.
pub(super) async fn create(s: &Session, new: NewClient) -> anyhow::Result<CreatedClient> {
    clients::create(&s.db, &s.clock, new).await.map_err(explain)
}

/// Replaces a client's secret; the new one is in the result, this once.
pub(super) async fn rotate_secret(s: &Session, client_id: &str) -> anyhow::Result<CreatedClient> {
    clients::rotate_secret(&s.db, &s.clock, client_id)
        .await
        .map_err(explain)
}
