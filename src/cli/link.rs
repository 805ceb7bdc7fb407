//! `galley link ...`: reward links.
//!
//! Checks the company, pages through [`crate::domain::links::report`] and
//! hands each link to [`super::report`] for the CSV or JSON output; no
//! product rules.
//!
//! May touch: `domain::links` (`report`), `store::companies` (reads),
//! `clock`, `cli::report`, `cli::session`. Never another entry point.

use clap::Subcommand;

use super::{
    report::LinkReport,
    session::{explain, Output, Session},
};
use crate::{clock::Clock, domain::links, store};

/// Links read per query.
const PAGE: i64 = 1000;

/// `galley link ...`
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// A company's links with their status (CSV, or JSON with --json).
    Report {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Only this campaign.
        #[arg(long)]
        campaign: Option<i64>,
        /// Only this batch (one generation call).
        #[arg(long)]
        batch: Option<i64>,
    },
}

/// Runs a `galley link` command.
pub(super) async fn run(s: &Session, command: LinkCommand) -> anyhow::Result<Output> {
    match command {
        LinkCommand::Report {
            company,
            campaign,
            batch,
        } => {
            store::companies::find(s.db.reader(), company)
                .await?
                .ok_or_else(|| super::session::not_found(format!("company {company} not found")))?;
            let mut report = LinkReport::new(s.clock.now_ms())?;
            let mut offset = 0;
            loop {
                let page = links::report(&s.db, company, campaign, batch, PAGE, offset)
                    .await
                    .map_err(explain)?;
                for link in &page {
                    report.add(link)?;
                }
                if (page.len() as i64) < PAGE {
                    break;
                }
                offset += PAGE;
            }
            report.finish(company)
        }
    }
}
