//! The Xoxo Link API (tag `xoxo_link`, scope `xoxo_link`), one module per
//! operation. Wire format: the live Xoxo Link service's, plus `count`,
//! `errors` and the generated batch's details (`docs/api.md`,
//! `/openapi.json`). Unlike the Rewards API, input an operation
//! cannot accept is answered with HTTP 200 and `success: 0` plus a human
//! `message`, as the live service does.
//!
//! May touch: `domain` (its errors, `money`), `store::links` (the campaign
//! row type), `api::error`. Never `web`.

pub mod campaign_details;
pub mod campaign_list;
pub mod generate_link;

use serde_json::{json, Map, Value};

use crate::{
    api::error::ApiError,
    domain::{
        self,
        money::{amount_text, Currency},
    },
    store::links::CampaignRow,
};

/// `{"<key>": {"success": 1, ...fields}}`.
pub fn success(key: &str, fields: Value) -> Value {
    let mut body = Map::new();
    body.insert("success".into(), json!(1));
    if let Value::Object(fields) = fields {
        body.extend(fields);
    }
    json!({ key: body })
}

/// Turns a refusal into `{"<key>": {"success": 0, "message", ...empty}}`;
/// other errors pass through. `empty` holds the payload fields a client
/// may read even on failure (an empty `links` list, ...).
pub fn answer(key: &str, result: Result<Value, ApiError>, empty: Value) -> Result<Value, ApiError> {
    let message = match result {
        Ok(value) => return Ok(value),
        Err(ApiError::App { info, .. }) => info,
        Err(other) => return Err(other),
    };
    let mut body = Map::new();
    body.insert("success".into(), json!(0));
    body.insert("message".into(), json!(message));
    if let Value::Object(empty) = empty {
        body.extend(empty);
    }
    Ok(json!({ key: body }))
}

/// A domain refusal as an [`ApiError`] whose text becomes the `message`.
pub fn refusal(e: domain::Error) -> ApiError {
    match e {
        domain::Error::Invalid(message) | domain::Error::Conflict(message) => {
            ApiError::validation(message)
        }
        domain::Error::NotFound(what) => ApiError::validation(format!("{what} was not found")),
        domain::Error::Store(e) => ApiError::Internal(e.into()),
        domain::Error::Internal(e) => ApiError::Internal(e),
    }
}

/// `denomination_value`: the campaign's value as a JSON number.
pub fn denomination_value(campaign: &CampaignRow) -> Value {
    match Currency::parse(&campaign.currency_code) {
        Ok(currency) => domain::money::Money {
            minor: campaign.denomination_minor,
            currency,
        }
        .to_json(),
        Err(_) => Value::Null,
    }
}

/// The value with its currency, for messages: `500 INR`.
pub fn value_text(campaign: &CampaignRow) -> String {
    format!(
        "{} {}",
        amount_text(campaign.denomination_minor, &campaign.currency_code),
        campaign.currency_code
    )
}

pub use crate::clock::iso_date;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_the_live_service_writes_them() {}

    #[test]
    fn refusals_become_success_0_with_a_message() {
        let out = answer(
            "generateLink",
            Err(ApiError::validation("campaign 9 was not found")),
            json!({ "links": [] }),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({ "generateLink": { "success": 0, "message": "campaign 9 was not found", "links": [] } })
        );
        assert!(answer(
            "x",
            Err(ApiError::Internal(anyhow::anyhow!("db down"))),
            json!({})
        )
        .is_err());
    }
}
