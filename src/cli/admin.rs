//! `galley admin ...`: a company's admins (add, remove, list), for the
//! operator who has no portal session, e.g. when the last admin left.
//!
//! Parses the flags, calls [`crate::domain::companies`] as the operator and
//! shapes the output (never a password or its hash); no product rules.
//!
//! May touch: `domain::companies` (writes as the operator, and its reads),
//! `config` (`Redacted`), `cli::session`. Never another entry point.

use std::fmt::Display;

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::{
    config::Redacted,
    domain::{
        self,
        companies::{self, AdminRole},
        Actor,
    },
};

/// `galley admin ...`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an admin to a company.
    Add {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// The admin's e-mail address (unique across all companies).
        #[arg(long)]
        email: String,
        /// The admin's password (or env GALLEY_ADMIN_PASSWORD).
        #[arg(long, env = "GALLEY_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Make the admin a super admin.
        #[arg(long = "super")]
        super_admin: bool,
    },
    /// Remove an admin (their tokens are revoked); a company's last super
    /// admin cannot be removed.
    Remove {
        /// The admin's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// List a company's admins, super admins first.
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
    },
}

/// Runs a `galley admin` command.
pub(super) async fn run(s: &Session, command: AdminCommand) -> anyhow::Result<Output> {
    match command {
        AdminCommand::Add {
            company,
            email,
            password,
            super_admin,
        } => {
            let role = if super_admin {
                AdminRole::SuperAdmin
            } else {
                AdminRole::Admin
            };
            let admin = companies::add_admin(
                &s.db,
                &s.clock,
                &Actor::Cli,
                company,
                &email,
                Redacted(password),
                role,
            )
            .await
            .map_err(not_found(company))?;
            Ok(Output::new(
                json!({
                    "admin_id": admin.id,
                    "company_id": admin.company_id,
                    "email": admin.email,
                    "role": admin.role.as_str(),
                }),
                format!(
                    "{} {} added to company {} (admin {})",
                    admin.role.as_str(),
                    admin.email,
                    admin.company_id,
                    admin.id
                ),
            ))
        }
        AdminCommand::Remove { email } => {
            let admin = companies::remove_admin(&s.db, &s.clock, &Actor::Cli, &email)
                .await
                .map_err(not_found(email.trim()))?;
            Ok(Output::new(
                json!({
                    "admin_id": admin.id,
                    "company_id": admin.company_id,
                    "email": admin.email,
                    "removed": true,
                }),
                format!(
                    "admin {} removed from company {} (their tokens are revoked)",
                    admin.email, admin.company_id
                ),
            ))
        }
        AdminCommand::List { company } => {
            let admins = companies::list_admins(&s.db, company)
                .await
                .map_err(not_found(company))?;
            let text = admins
                .iter()
                .map(|a| format!("{}  {}  {}", a.id, a.email, a.role.as_str()))
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::new(
                json!({
                    "company_id": company,
                    "admins": admins
                        .iter()
                        .map(|a| json!({ "admin_id": a.id, "email": a.email, "role": a.role.as_str() }))
                        .collect::<Vec<_>>(),
                }),
                text,
            ))
        }
    }
}

/// Like [`explain`], naming what was not found ("company 7 not found").
fn not_found(id: impl Display) -> impl FnOnce(domain::Error) -> anyhow::Error {
    move |e| match e {
        domain::Error::NotFound(what) => {
            super::session::not_found(format!("{what} {id} not found"))
        }
        other => explain(other),
    }
}
