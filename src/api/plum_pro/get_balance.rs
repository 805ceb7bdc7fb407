//! `plumProAPI.query.getBalance`: the company's balance in its base
//! currency, as `value` and as `points` (1 point = 1 unit). Reads the
//! ledger only.
//!
//! May touch: `domain::ledger` (the balance), `oauth::bearer` (the caller),
//! `state`, the shared `api` helpers. Never `web`.

use serde_json::{json, Map, Value};

use crate::{
    api::{error::ApiError, fields::Fields},
    domain::{ledger, Error},
    oauth::bearer::Caller,
    state::AppState,
};

/// Operation name in the response.
pub const NAME: &str = "getBalance";

/// Runs the operation.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    variables: &Map<String, Value>,
) -> Result<Value, ApiError> {
    Fields::from_variables(variables, "data", &[])?;
    let balance = ledger::balance(&state.db, caller.company_id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => {
                ApiError::Internal(anyhow::anyhow!("the token's company is missing"))
            }
            other => ApiError::Internal(other.into()),
        })?;
    let value = balance.to_json();
    Ok(super::success(
        NAME,
        json!({ "points": value.clone(), "value": value, "currency": balance.currency.as_str() }),
    ))
}
