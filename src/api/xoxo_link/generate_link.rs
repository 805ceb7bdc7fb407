//! `xoxo_link.mutation.generateLink` and
//! `xoxo_link.mutation.generateLinkEmail` (answered under the key
//! `generateLink`, as the live service does): links for a campaign,
//! charged at generation, all or none.
//!
//! May touch: `domain::links` (generation; every write), `oauth::bearer`
//! (the caller), `state`, the shared `api` helpers. Never `web`.

use serde_json::{json, Map, Value};

use crate::{
    api::{error::ApiError, fields::Fields},
    domain::links::{self, Generate, Settings},
    oauth::bearer::Caller,
    state::AppState,
};

/// Key of both operations' answers.
pub const NAME: &str = "generateLink";

/// `generateLink`: `links_quantity` links.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    super::answer(
        NAME,
        generate(state, caller, variables, false).await,
        json!({ "links": [] }),
    )
}

/// `generateLinkEmail`: one link per address of `email_ids`, each e-mailed.
pub async fn run_email(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    super::answer(
        NAME,
        generate(state, caller, variables, true).await,
        json!({ "links": [] }),
    )
}

async fn generate(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
    by_email: bool,
) -> Result<Value, ApiError> {
    let allowed: &[&str] = if by_email {
        &["campaignId", "email_ids", "link_expiry"]
    } else {
        &["campaignId", "links_quantity", "link_expiry"]
    };
    let fields = Fields::from_variables(variables, "data", allowed)?;
    let campaign_id = fields
        .int("campaignId", 1, crate::api::fields::MAX_ID)?
        .ok_or_else(|| fields.missing("campaignId"))?;
    let expiry = fields
        .string("link_expiry", 20)?
        .ok_or_else(|| fields.missing("link_expiry"))?;
    let (quantity, emails) = if by_email {
        let emails = fields
            .string("email_ids", state.config.max_body_bytes)?
            .ok_or_else(|| fields.missing("email_ids"))?;
        (0, Some(emails))
    } else {
        (
            fields
                .int("links_quantity", i64::MIN, i64::MAX)?
                .ok_or_else(|| fields.missing("links_quantity"))?,
            None,
        )
    };
    let settings = Settings::from_config(&state.config);
    let request = Generate {
        campaign_id,
        quantity,
        emails,
        expiry,
        client_id: caller.client_id.clone(),
    };
    let generated = links::generate(
        &state.db,
        &*state.clock,
        &settings,
        caller.company_id,
        request,
    )
    .await
    .map_err(super::refusal)?;
    let count = generated.urls.len();
    let c = &generated.campaign;
    let message = format!(
        "{count} link{} of {} generated{}; {} charged",
        if count == 1 { "" } else { "s" },
        super::value_text(c),
        if by_email {
            " and queued for e-mail"
        } else {
            ""
        },
        generated.charged,
    );
    Ok(super::success(
        NAME,
        json!({
            "message": message,
            "links": generated.urls,
            "batchId": generated.batch_id.to_string(),
            "campaignName": c.name,
            "campaignId": c.id.to_string(),
            "denomination_value": super::denomination_value(c),
            "countryName": c.country_name,
            "currencyCode": c.currency_code,
        }),
    ))
}
