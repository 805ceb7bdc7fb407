//! `galley company ...`: companies (tenants).
//!
//! Parses the flags, calls [`crate::domain::companies`] and shapes the
//! output; no product rules.
//!
//! May touch: `domain::companies` (writes as the operator), `config`
//! (`Redacted`), `cli::session`. Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::{
    config::Redacted,
    domain::{companies, Actor},
};

/// `galley company ...`
#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company and its super admin.
    Create {
        /// Company name.
        #[arg(long)]
        name: String,
        /// Charged currency (ISO 4217), e.g. INR.
        #[arg(long)]
        base_currency: String,
        /// Super admin's e-mail address.
        #[arg(long)]
        admin_email: String,
        /// Super admin's password (or env GALLEY_ADMIN_PASSWORD).
        #[arg(long, env = "GALLEY_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        /// Country of the company's recipients (ISO 3166 alpha-2, optional):
        /// products not available there cannot be ordered.
        #[arg(long)]
        country: Option<String>,
    },
}

/// Runs a `galley company` command.
pub(super) async fn run(s: &Session, command: CompanyCommand) -> anyhow::Result<Output> {
    match command {
        CompanyCommand::Create {
            name,
            base_currency,
            admin_email,
            admin_password,
            country,
        } => {
            let new = companies::NewCompany {
                name,
                base_currency,
                country,
                admin_email,
                admin_password: Redacted(admin_password),
            };
            let created = companies::create(&s.db, &s.clock, &Actor::Cli, new)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "company_id": created.company_id, "admin_id": created.admin_id }),
                format!(
                    "company {} created (super admin {})",
                    created.company_id, created.admin_id
                ),
            ))
        }
    }
}
