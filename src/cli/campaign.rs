//! `galley campaign ...`: Xoxo Link campaigns.
//!
//! Parses the flags, calls [`crate::domain::campaigns`] (writes) or reads
//! the store (`list`, `show`) and shapes the output; no product rules.
//!
//! May touch: `domain::campaigns` (writes as the operator), `domain::links`
//! (status names), `store` (`companies`, `links`, `catalog`: reads),
//! `clock`, `cli::balance` (money), `cli::session`. Never another entry
//! point.

use clap::Subcommand;
use serde_json::{json, Map, Value};

use super::{
    balance::money,
    session::{explain, Output, Session},
};
use crate::{
    clock::{iso_date, Clock},
    domain::{campaigns, links::LinkStatus, Actor},
    store::{self, links::CampaignRow},
};

/// `galley campaign ...`
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign (enabled) whose links are worth --denomination.
    Create {
        /// Owning company id.
        #[arg(long)]
        company: i64,
        /// Campaign name.
        #[arg(long)]
        name: String,
        /// Value of each link, e.g. 500.
        #[arg(long)]
        denomination: String,
        /// Currency of that value (ISO 4217), e.g. INR.
        #[arg(long)]
        currency: String,
        /// Country: ISO 3166 alpha-2 (IN) or its name (India).
        #[arg(long)]
        country: String,
        /// Products to choose from, comma-separated ids; each must sell
        /// vouchers of this value, currency and country.
        #[arg(long, value_delimiter = ',', required = true)]
        products: Vec<i64>,
    },
    /// Allow new links again.
    Enable {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
    /// Stop new links (existing links stay redeemable).
    Disable {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
    /// Delete a campaign that has no redeemable links left.
    Delete {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
    /// A company's campaigns (deleted ones are left out).
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
    },
    /// One campaign: its value, products and links by status.
    Show {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
}

/// Runs a `galley campaign` command.
pub(super) async fn run(s: &Session, command: CampaignCommand) -> anyhow::Result<Output> {
    match command {
        CampaignCommand::Create {
            company,
            name,
            denomination,
            currency,
            country,
            products,
        } => {
            let new = campaigns::NewCampaign {
                company_id: company,
                name,
                denomination,
                currency,
                country,
                product_ids: products,
            };
            let id = campaigns::create(&s.db, &s.clock, &Actor::Cli, new)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "campaign_id": id }),
                format!("campaign {id} created (enabled)"),
            ))
        }
        CampaignCommand::Enable { id } => set_enabled(s, id, true).await,
        CampaignCommand::Disable { id } => set_enabled(s, id, false).await,
        CampaignCommand::Delete { id } => {
            campaigns::delete(&s.db, &s.clock, &Actor::Cli, id)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "campaign_id": id, "deleted": true }),
                format!("campaign {id} deleted"),
            ))
        }
        CampaignCommand::List { company } => list(s, company).await,
        CampaignCommand::Show { id } => show(s, id).await,
    }
}

/// `enable` and `disable`.
async fn set_enabled(s: &Session, id: i64, enabled: bool) -> anyhow::Result<Output> {
    campaigns::set_enabled(&s.db, &s.clock, &Actor::Cli, id, enabled)
        .await
        .map_err(explain)?;
    let state = if enabled { "enabled" } else { "disabled" };
    Ok(Output::new(
        json!({ "campaign_id": id, "enabled": enabled }),
        format!("campaign {id} {state}"),
    ))
}

/// A campaign's fields common to `list` and `show`: JSON and one line.
fn summary(c: &CampaignRow) -> anyhow::Result<(Value, String)> {
    let value = money(c.denomination_minor, &c.currency_code)?;
    let state = if c.enabled { "enabled" } else { "disabled" };
    let json = json!({
        "campaign_id": c.id,
        "company_id": c.company_id,
        "name": c.name,
        "value": value.to_json(),
        "currency": c.currency_code,
        "country": c.country_code,
        "country_name": c.country_name,
        "enabled": c.enabled,
        "created_at": iso_date(c.created_at),
        "product_count": c.product_count,
    });
    let line = format!(
        "{}\t{}\t{value}\t{}\t{state}\t{}",
        c.id, c.name, c.country_code, c.product_count
    );
    Ok((json, line))
}

/// `galley campaign list`.
async fn list(s: &Session, company: i64) -> anyhow::Result<Output> {
    let reader = s.db.reader();
    store::companies::find(reader, company)
        .await?
        .ok_or_else(|| super::session::not_found(format!("company {company} not found")))?;
    let rows = store::links::company_campaigns(reader, company).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut lines = vec!["id\tname\tvalue\tcountry\tstate\tproducts".to_string()];
    for c in &rows {
        let (json, line) = summary(c)?;
        items.push(json);
        lines.push(line);
    }
    if rows.is_empty() {
        lines = vec![format!("company {company} has no campaigns")];
    }
    Ok(Output::new(
        json!({ "company_id": company, "campaigns": items }),
        lines.join("\n"),
    ))
}

/// `galley campaign show`: the link counts are one grouped query over the
/// campaign's batches.
async fn show(s: &Session, id: i64) -> anyhow::Result<Output> {
    let reader = s.db.reader();
    let c = store::links::campaign_by_id(reader, id)
        .await?
        .ok_or_else(|| super::session::not_found(format!("campaign {id} not found")))?;
    let products = store::catalog::of_campaign(reader, id).await?;
    let now = s.clock.now_ms();
    let counts = store::links::status_counts(reader, c.company_id, id, now).await?;
    let statuses = [
        LinkStatus::Created,
        LinkStatus::Expired,
        LinkStatus::Redeemed,
        LinkStatus::Refunded,
    ];
    let mut by_status: Map<String, Value> = statuses
        .iter()
        .map(|st| (st.as_str().to_string(), Value::from(0)))
        .collect();
    for row in &counts {
        if row.status == LinkStatus::Created.as_str() {
            by_status.insert("created".into(), (row.links - row.past_expiry).into());
            by_status.insert("expired".into(), row.past_expiry.into());
        } else {
            by_status.insert(row.status.clone(), row.links.into());
        }
    }
    let (mut json, _) = summary(&c)?;
    let value = money(c.denomination_minor, &c.currency_code)?;
    let state = if c.enabled { "enabled" } else { "disabled" };
    let mut text = format!(
        "campaign {id}: {}\ncompany: {}\nvalue: {value}\ncountry: {} ({})\nstate: {state}\nproducts:",
        c.name, c.company_id, c.country_name, c.country_code
    );
    for p in &products {
        text.push_str(&format!("\n  {} {}", p.id, p.name));
    }
    text.push_str("\nlinks:");
    for st in statuses {
        let n = by_status.get(st.as_str()).cloned().unwrap_or_default();
        text.push_str(&format!(" {} {n},", st.as_str()));
    }
    text.pop();
    json["products"] = products
        .iter()
        .map(|p| json!({ "product_id": p.id, "name": p.name }))
        .collect();
    json["links"] = Value::Object(by_status);
    Ok(Output::new(json, text))
}
