//! `galley campaign ...`: Xoxo Link campaigns.
//!
//! Parses the flags, calls [`crate::domain::campaigns`] and shapes the
//! output; no product rules.
//!
//! May touch: `domain::campaigns` (writes as the operator), `cli::session`.
//! Never another entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::{campaigns, Actor};

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
