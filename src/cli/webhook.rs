//! `galley webhook ...`: a company's webhook endpoints.
//!
//! Parses the flags, calls [`crate::domain::webhooks`] (writes) or reads
//! the store (`list`) and shapes the output; no product rules. The signing
//! secret is printed once, by `add` and `rotate-secret`.
//!
//! May touch: `domain::webhooks` (writes as the operator), `store`
//! (`companies`, `webhooks`: reads), `clock`, `cli::session`. Never another
//! entry point.

use clap::Subcommand;
use serde_json::json;

use super::session::{explain, not_found, Output, Session};
use crate::{
    clock::iso_date,
    domain::{
        webhooks::{self, NewWebhook, Settings},
        Actor,
    },
    store,
};

/// `galley webhook ...`
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint; prints its signing secret once.
    Add {
        /// Owning company id.
        #[arg(long)]
        company: i64,
        /// Target URL (https).
        #[arg(long)]
        url: String,
        /// A static value sent as the `x-api-key` header.
        #[arg(long, default_value = "")]
        api_key: String,
        /// Events, comma-separated (default: all): order.delivered,
        /// order.canceled, link.redeemed, link.expired.
        #[arg(long, default_value = "")]
        events: String,
    },
    /// A company's endpoints (never their secrets).
    List {
        /// Company id.
        #[arg(long)]
        company: i64,
    },
    /// Stop deliveries to an endpoint (they wait until it is enabled).
    Disable {
        /// Endpoint id.
        #[arg(long)]
        id: i64,
    },
    /// Resume deliveries to an endpoint.
    Enable {
        /// Endpoint id.
        #[arg(long)]
        id: i64,
    },
    /// Delete an endpoint; its pending deliveries fail.
    Delete {
        /// Endpoint id.
        #[arg(long)]
        id: i64,
    },
    /// A new signing secret, printed once; the old one keeps signing too
    /// for --keep-old-hours (both signatures in the header).
    RotateSecret {
        /// Endpoint id.
        #[arg(long)]
        id: i64,
        /// Hours the old secret keeps signing (0 to 168).
        #[arg(long, default_value_t = 24)]
        keep_old_hours: i64,
    },
}

/// Runs a `galley webhook` command.
pub(super) async fn run(s: &Session, command: WebhookCommand) -> anyhow::Result<Output> {
    match command {
        WebhookCommand::Add {
            company,
            url,
            api_key,
            events,
        } => {
            let created = webhooks::add(
                &s.db,
                &s.clock,
                &Actor::Cli,
                Settings::from_config(&s.config),
                NewWebhook {
                    company_id: company,
                    url,
                    api_key,
                    events,
                },
            )
            .await
            .map_err(explain)?;
            Ok(Output::new(
                json!({
                    "webhook_id": created.id, "company_id": company,
                    "events": created.events.split(',').collect::<Vec<_>>(),
                    "signing_secret": created.secret,
                }),
                format!(
                    "webhook {} added for {}\nsigning secret (shown once): {}",
                    created.id, created.events, created.secret
                ),
            ))
        }
        WebhookCommand::List { company } => list(s, company).await,
        WebhookCommand::Disable { id } => set_enabled(s, id, false).await,
        WebhookCommand::Enable { id } => set_enabled(s, id, true).await,
        WebhookCommand::Delete { id } => {
            let company = company_of(s, id).await?;
            webhooks::delete(&s.db, &s.clock, &Actor::Cli, company, id)
                .await
                .map_err(explain)?;
            Ok(Output::new(
                json!({ "webhook_id": id, "deleted": true }),
                format!("webhook {id} deleted"),
            ))
        }
        WebhookCommand::RotateSecret { id, keep_old_hours } => {
            let company = company_of(s, id).await?;
            let secret = webhooks::rotate_secret(
                &s.db,
                &s.clock,
                &Actor::Cli,
                company,
                id,
                keep_old_hours.saturating_mul(3600),
            )
            .await
            .map_err(explain)?;
            Ok(Output::new(
                json!({ "webhook_id": id, "signing_secret": secret, "old_secret_signs_for_hours": keep_old_hours }),
                format!(
                    "webhook {id}: new signing secret (shown once): {secret}\nthe old secret keeps signing for {keep_old_hours} hours"
                ),
            ))
        }
    }
}

/// The company of endpoint `id`, or a not-found failure.
async fn company_of(s: &Session, id: i64) -> anyhow::Result<i64> {
    store::webhooks::company_of_endpoint(s.db.reader(), id)
        .await?
        .ok_or_else(|| not_found(format!("webhook {id} not found")))
}

/// `enable` and `disable`.
async fn set_enabled(s: &Session, id: i64, enabled: bool) -> anyhow::Result<Output> {
    let company = company_of(s, id).await?;
    webhooks::set_enabled(&s.db, &s.clock, &Actor::Cli, company, id, enabled)
        .await
        .map_err(explain)?;
    let state = if enabled { "enabled" } else { "disabled" };
    Ok(Output::new(
        json!({ "webhook_id": id, "enabled": enabled }),
        format!("webhook {id} {state}"),
    ))
}

/// `galley webhook list`.
async fn list(s: &Session, company: i64) -> anyhow::Result<Output> {
    let reader = s.db.reader();
    store::companies::find(reader, company)
        .await?
        .ok_or_else(|| not_found(format!("company {company} not found")))?;
    let rows = store::webhooks::list_endpoints(reader, company).await?;
    let mut items = Vec::new();
    let mut lines = vec!["id\turl\tevents\tstate".to_string()];
    for e in &rows {
        let state = if e.enabled == 1 {
            "enabled".to_string()
        } else if e.disabled_reason.is_empty() {
            "disabled".to_string()
        } else {
            format!("disabled ({})", e.disabled_reason)
        };
        items.push(json!({
            "webhook_id": e.id, "url": e.url, "events": e.events.split(',').collect::<Vec<_>>(),
            "enabled": e.enabled == 1, "disabled_reason": e.disabled_reason,
            "api_key": !e.api_key.is_empty(), "created_at": iso_date(e.created_at),
        }));
        lines.push(format!("{}\t{}\t{}\t{state}", e.id, e.url, e.events));
    }
    if rows.is_empty() {
        lines = vec![format!("company {company} has no webhook endpoints")];
    }
    Ok(Output::new(
        json!({ "company_id": company, "webhooks": items }),
        lines.join("\n"),
    ))
}
