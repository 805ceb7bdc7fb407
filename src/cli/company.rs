//! `galley company ...`: companies (tenants).
//!
//! Parses the flags, calls [`crate::domain::companies`] (writes) or reads
//! the store (`list`, `show`) and shapes the output; no product rules.
//!
//! May touch: `domain::companies` (writes as the operator), `store`
//! (`companies`, `clients`: reads), `config` (`Redacted`), `cli::balance`
//! (money), `cli::session`. Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::{
    balance::money,
    session::{explain, Output, Session},
};
use crate::{
    config::Redacted,
    domain::{companies, Actor},
    store,
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
    /// Every company with its base currency, country and balance.
    List,
    /// One company: its balance, admins and number of clients.
    Show {
        /// Company id.
        #[arg(long)]
        id: i64,
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
        CompanyCommand::List => list(s).await,
        CompanyCommand::Show { id } => show(s, id).await,
    }
}

/// `galley company list`.
async fn list(s: &Session) -> anyhow::Result<Output> {
    let rows = store::companies::list(s.db.reader()).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut lines = vec!["id\tname\tbase_currency\tcountry\tbalance".to_string()];
    for c in &rows {
        let balance = money(c.balance_minor, &c.base_currency)?;
        let country = c.country_code.as_deref().unwrap_or("-");
        lines.push(format!(
            "{}\t{}\t{}\t{country}\t{balance}",
            c.id, c.name, c.base_currency
        ));
        items.push(json!({
            "company_id": c.id,
            "name": c.name,
            "base_currency": c.base_currency,
            "country": c.country_code,
            "balance": balance.to_json(),
        }));
    }
    if rows.is_empty() {
        lines = vec!["no companies".to_string()];
    }
    Ok(Output::new(json!({ "companies": items }), lines.join("\n")))
}

/// `galley company show`.
async fn show(s: &Session, id: i64) -> anyhow::Result<Output> {
    let reader = s.db.reader();
    let c = store::companies::find(reader, id)
        .await?
        .ok_or_else(|| super::session::not_found(format!("company {id} not found")))?;
    let admins = crate::domain::companies::list_admins(&s.db, id)
        .await
        .map_err(super::session::explain)?;
    let clients = store::clients::count_for_company(reader, id).await?;
    let balance = money(c.balance_minor, &c.base_currency)?;
    let country = c.country_code.as_deref().unwrap_or("-");
    let mut text = format!(
        "company {id}: {}\nbase currency: {}\ncountry: {country}\nbalance: {balance}\nclients: {clients}\nadmins:",
        c.name, c.base_currency
    );
    for a in &admins {
        text.push_str(&format!("\n  {} ({})", a.email, a.role.as_str()));
    }
    let admins: Vec<_> = admins
        .iter()
        .map(|a| json!({ "admin_id": a.id, "email": a.email, "role": a.role.as_str() }))
        .collect();
    Ok(Output::new(
        json!({
            "company_id": id,
            "name": c.name,
            "base_currency": c.base_currency,
            "country": c.country_code,
            "balance": balance.to_json(),
            "currency": c.base_currency,
            "client_count": clients,
            "admins": admins,
        }),
        text,
    ))
}
