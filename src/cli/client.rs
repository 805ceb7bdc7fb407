//! `galley client ...`: OAuth clients (apps): create, approve, rotate the
//! secret, list a company's apps, show, update (callback URL, name) and
//! delete one.
//!
//! Parses the flags, calls [`crate::domain::clients`] as the operator and
//! shapes the output (never a secret except the one just minted); no
//! product rules.
//!
//! May touch: `domain::clients` (writes as the operator, and its reads),
//! `domain` (`check_name`, to refuse a bad update before writing anything),
//! `store::clients` (the row type), `cli::session`. Never another entry
//! point.

use std::fmt::Display;

use clap::Subcommand;
use serde_json::{json, Value};

use super::session::{explain, Output, Session};
use crate::{
    domain::{
        self,
        clients::{self, NewClient, RedirectUri},
        Actor,
    },
    store::clients::ClientRow,
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
    /// Reject a public app submitted for review; its developer reads the
    /// reason in the developer hub.
    Reject {
        /// The client.
        #[arg(long)]
        client_id: String,
        /// Why, in words the developer can act on.
        #[arg(long)]
        reason: String,
    },
    /// Replace the client secret; the old one stops working at once.
    RotateSecret {
        /// The client.
        #[arg(long)]
        client_id: String,
    },
    /// List a company's clients (never their secrets).
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
    },
    /// Show one client (never its secret).
    Show {
        /// The client.
        #[arg(long)]
        client_id: String,
    },
    /// Change a client's callback URL and/or name.
    Update {
        /// The client.
        #[arg(long)]
        client_id: String,
        /// The new OAuth callback URL.
        #[arg(long)]
        redirect_uri: Option<String>,
        /// The new app name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Delete a client: its tokens are revoked and its id stops working.
    Delete {
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
        ClientCommand::Reject { client_id, reason } => {
            clients::reject(&s.db, &s.clock, &Actor::Cli, &client_id, &reason)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "client_id": client_id, "approved": false, "review": "rejected" }),
                format!("app {client_id} rejected; its developer sees the reason"),
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
        ClientCommand::List { company } => {
            let list = clients::list(&s.db, company)
                .await
                .map_err(not_found(company))?;
            let text = if list.is_empty() {
                format!("company {company} has no clients")
            } else {
                list.iter().map(line).collect::<Vec<_>>().join("\n")
            };
            Ok(Output::new(
                json!({ "company_id": company, "clients": list.iter().map(describe).collect::<Vec<_>>() }),
                text,
            ))
        }
        ClientCommand::Show { client_id } => {
            let client = clients::find(&s.db, &client_id)
                .await
                .map_err(not_found(&client_id))?;
            Ok(Output::new(describe(&client), details(&client)))
        }
        ClientCommand::Update {
            client_id,
            redirect_uri,
            name,
        } => {
            if redirect_uri.is_none() && name.is_none() {
                anyhow::bail!("nothing to update: give --redirect-uri and/or --name");
            }
            // Refuse a bad value before changing anything.
            if let Some(uri) = &redirect_uri {
                RedirectUri::parse(uri.trim()).map_err(explain)?;
            }
            if let Some(name) = &name {
                domain::check_name("app name", name, 100).map_err(explain)?;
            }
            clients::find(&s.db, &client_id)
                .await
                .map_err(not_found(&client_id))?;
            if let Some(uri) = &redirect_uri {
                clients::change_redirect_uri(&s.db, &s.clock, &Actor::Cli, &client_id, uri)
                    .await
                    .map_err(not_found(&client_id))?;
            }
            if let Some(name) = &name {
                clients::rename(&s.db, &s.clock, &Actor::Cli, &client_id, name)
                    .await
                    .map_err(not_found(&client_id))?;
            }
            let client = clients::find(&s.db, &client_id)
                .await
                .map_err(not_found(&client_id))?;
            Ok(Output::new(
                describe(&client),
                format!("client {client_id} updated\n{}", details(&client)),
            ))
        }
        ClientCommand::Delete { client_id } => {
            clients::delete(&s.db, &s.clock, &Actor::Cli, &client_id)
                .await
                .map_err(not_found(&client_id))?;
            Ok(Output::new(
                json!({ "client_id": client_id, "deleted": true }),
                format!("client {client_id} deleted (its tokens are revoked)"),
            ))
        }
    }
}

/// Like [`explain`], naming the id that was not found ("client abc not
/// found").
fn not_found(id: impl Display) -> impl FnOnce(domain::Error) -> anyhow::Error {
    move |e| match e {
        domain::Error::NotFound(what) => {
            super::session::not_found(format!("{what} {id} not found"))
        }
        other => explain(other),
    }
}

/// A client as one JSON object: everything but the secret.
fn describe(c: &ClientRow) -> Value {
    json!({
        "client_id": c.client_id,
        "company_id": c.company_id,
        "name": c.name,
        "visibility": c.visibility,
        "approved": c.approved == 1,
        "redirect_uri": c.redirect_uri,
        "scopes": c.scopes.split_whitespace().collect::<Vec<_>>(),
        "grant_types": c.grant_types.split_whitespace().collect::<Vec<_>>(),
        "signup_company_id": c.signup_company_id,
    })
}

/// A client as one line of `galley client list`.
fn line(c: &ClientRow) -> String {
    format!(
        "{}  {}  {}{}  {}  scopes: {}  grants: {}",
        c.client_id,
        c.name,
        c.visibility,
        if clients::is_public(c) && c.approved != 1 {
            " (not approved)"
        } else {
            ""
        },
        c.redirect_uri,
        c.scopes,
        c.grant_types
    )
}

/// A client as the lines of `galley client show`.
fn details(c: &ClientRow) -> String {
    format!(
        "client_id:     {}\ncompany:       {}\nname:          {}\nvisibility:    {}\napproved:      {}\nredirect_uri:  {}\nscopes:        {}\ngrant_types:   {}",
        c.client_id,
        c.company_id,
        c.name,
        c.visibility,
        if c.approved == 1 { "yes" } else { "no" },
        c.redirect_uri,
        c.scopes,
        c.grant_types
    )
}
