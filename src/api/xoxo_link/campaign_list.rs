//! `xoxo_link.query.campaignList`: a page of the company's campaigns,
//! filtered by a name substring and, optionally, by status.
//!
//! May touch: `store::links` (reads), `oauth::bearer` (the caller),
//! `state`, the shared `api` helpers. Never `web`.

use serde_json::{json, Map, Value};

use crate::{
    api::{error::ApiError, fields::Fields},
    oauth::bearer::Caller,
    state::AppState,
    store::links::{self, CampaignFilter},
};

/// Operation name in the response.
pub const NAME: &str = "campaignList";

/// Runs the operation.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let result = list(state, caller, variables).await;
    let empty = match &result {
        Err(ApiError::App { info, .. }) => {
            json!({ "data": [], "count": 0, "errors": [{ "message": info }] })
        }
        _ => json!({}),
    };
    super::answer(NAME, result, empty)
}

async fn list(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let fields = Fields::from_variables(
        variables,
        "add_data",
        &["limit", "offset", "name", "enabled"],
    )?;
    let limit = fields.int("limit", 1, 1000)?.unwrap_or(10);
    let offset = fields.int("offset", 0, 10_000_000)?.unwrap_or(0);
    let filter = CampaignFilter {
        name: fields
            .string("name", 120)?
            .unwrap_or_default()
            .trim()
            .to_string(),
        enabled: fields.optional_flag("enabled")?,
    };
    let mut conn = state
        .db
        .reader()
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (campaigns, count) =
        links::list_campaigns(&mut conn, caller.company_id, &filter, limit, offset).await?;
    let data: Vec<Value> = campaigns
        .iter()
        .map(|c| {
            json!({
                "campaignId": c.id,
                "campaignName": c.name,
                "denomination_value": super::denomination_value(c),
                "countryName": c.country_name,
                "currencyCode": c.currency_code,
                "created_date": super::iso_date(c.created_at),
                "product_count": c.product_count,
                "status": i64::from(c.enabled),
            })
        })
        .collect();
    Ok(super::success(
        NAME,
        json!({ "data": data, "count": count, "errors": [] }),
    ))
}
