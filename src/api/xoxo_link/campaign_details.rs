//! `xoxo_link.mutation.campaignDetails`: one of the company's campaigns
//! with the vouchers its recipients choose from.
//!
//! May touch: `store::links` and `store::catalog` (reads), `oauth::bearer`
//! (the caller), `state`, the shared `api` helpers. Never `web`.

use serde_json::{json, Map, Value};

use crate::{
    api::{error::ApiError, fields::Fields},
    oauth::bearer::Caller,
    state::AppState,
    store::{catalog, links},
};

/// Operation name in the response.
pub const NAME: &str = "campaignDetails";

/// Runs the operation.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    super::answer(
        NAME,
        details(state, caller, variables).await,
        json!({ "data": [] }),
    )
}

async fn details(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let fields = Fields::from_variables(variables, "data", &["campaignId"])?;
    let id = fields
        .int("campaignId", 1, crate::api::fields::MAX_ID)?
        .ok_or_else(|| fields.missing("campaignId"))?;
    let campaign = links::find_campaign(state.db.reader(), caller.company_id, id)
        .await?
        .ok_or_else(|| ApiError::validation(format!("campaign {id} was not found")))?;
    let vouchers: Vec<Value> = catalog::of_campaign(state.db.reader(), campaign.id)
        .await?
        .iter()
        .map(|p| json!({ "name": p.name, "image": p.image_url }))
        .collect();
    Ok(super::success(
        NAME,
        json!({
            "data": [{
                "campaignId": campaign.id,
                "campaignName": campaign.name,
                "denomination_value": super::denomination_value(&campaign),
                "currency_code": campaign.currency_code,
                "countryName": campaign.country_name,
                "status": i64::from(campaign.enabled),
                "vouchers": vouchers,
            }]
        }),
    ))
}
