//! The resource API, `POST /v1/oauth/api`: a bearer token and a body
//! `{"tag", "query", "variables"}` whose `query` names the operation
//! (`<tag>.<query|mutation>.<name>`). One module per tag holds its
//! operations; [`dispatch`] routes by name after checking the tag's scope.
//!
//! Every operation receives the [`Caller`] and must scope every query to
//! `caller.company_id`.
//!
//! May touch: `oauth::bearer` (authenticates the caller), `domain::scopes`,
//! `state`; the operations add `domain` (writes) and `store` (reads). Never
//! `web`.

pub mod error;
pub mod fields;
pub mod plum_pro;
pub mod xoxo_link;

use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde_json::{Map, Value};

use self::error::ApiError;
use crate::{
    domain::scopes::{truncate, Scope},
    oauth::bearer::{self, Caller},
    state::AppState,
};

/// Routes of the resource API.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/oauth/api", post(api))
}

/// A parsed request body.
#[derive(Debug)]
pub struct Operation {
    /// Full operation name, e.g. `plumProAPI.mutation.getVouchers`.
    pub query: String,
    /// `variables`, an object (empty when absent).
    pub variables: Map<String, Value>,
}

/// The API tags and the scope each needs.
const TAGS: &[(&str, Scope)] = &[
    ("plumProAPI", Scope::PlumProApi),
    ("xoxo_link", Scope::XoxoLink),
];

async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let caller = bearer::authenticate(&state, &headers)
        .await
        .map_err(ApiError::Bearer)?;
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::app(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PLE10001",
                    "The request body is too large.",
                    "Invalid request",
                )
            } else {
                ApiError::validation("The request body could not be read.")
            }
        })?;
    let operation = parse(&body)?;
    dispatch(&state, &caller, operation).await
}

/// Parses the body into an [`Operation`].
pub fn parse(body: &[u8]) -> Result<Operation, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(format!("The body is not valid JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(ApiError::validation(
            "The body must be a JSON object with `tag`, `query` and `variables`.",
        ));
    };
    let query = match object.remove("query") {
        Some(Value::String(q)) => q,
        Some(_) => return Err(ApiError::validation("`query` must be a string.")),
        None => return Err(ApiError::validation("`query` is required.")),
    };
    let variables = match object.remove("variables") {
        Some(Value::Object(v)) => v,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::validation("`variables` must be an object.")),
    };
    let tag = match object.remove("tag") {
        Some(Value::String(t)) => Some(t),
        None | Some(Value::Null) => None,
        Some(_) => return Err(ApiError::validation("`tag` must be a string.")),
    };
    if let Some(tag) = tag {
        if query.split('.').next() != Some(tag.as_str()) {
            return Err(ApiError::validation(format!(
                "`tag` `{}` does not match the operation `{}`.",
                truncate(&tag, 40),
                truncate(&query, 80)
            )));
        }
    }
    Ok(Operation { query, variables })
}

/// Checks the scope of the operation's tag and runs it.
pub async fn dispatch(
    state: &AppState,
    caller: &Caller,
    operation: Operation,
) -> Result<Response, ApiError> {
    let tag = operation.query.split('.').next().unwrap_or_default();
    let unknown = || {
        ApiError::validation(format!(
            "Unknown operation `{}`.",
            truncate(&operation.query, 80)
        ))
    };
    let (_, scope) = TAGS
        .iter()
        .find(|(name, _)| *name == tag)
        .ok_or_else(unknown)?;
    if !caller.scopes.contains(*scope) {
        return Err(ApiError::InsufficientScope(scope.as_str()));
    }
    let name = operation.query.rsplit('.').next().unwrap_or_default();
    if let Some(limit) = state.config.api_rate_limits.get(name) {
        let now = state.clock.now_ms();
        let window = now / 60_000 * 60_000;
        let bucket = format!("api:{}:{name}", caller.client_id);
        if state
            .limiter
            .hit(bucket, window)
            .await
            .map_err(ApiError::Internal)?
            > i64::from(*limit)
        {
            return Err(ApiError::RateLimited(
                ((window + 60_000 - now) / 1000) as u64,
            ));
        }
    }
    let vars = &operation.variables;
    let data = match operation.query.as_str() {
        "plumProAPI.mutation.getVouchers" => {
            // Written from prepared JSON text, not built as a value.
            let body = plum_pro::get_vouchers::run(state, caller, vars).await?;
            return Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response());
        }
        "plumProAPI.mutation.getFilters" => plum_pro::get_filters::run(state, caller, vars).await?,
        "plumProAPI.query.getBalance" => plum_pro::get_balance::run(state, caller, vars).await?,
        "plumProAPI.mutation.placeOrder" => plum_pro::place_order::run(state, caller, vars).await?,
        "plumProAPI.mutation.getOrderDetails" => {
            plum_pro::get_order_details::run(state, caller, vars).await?
        }
        "plumProAPI.mutation.getOrderHistory" => {
            plum_pro::get_order_history::run(state, caller, vars).await?
        }
        "xoxo_link.query.campaignList" => {
            xoxo_link::campaign_list::run(state, caller, vars).await?
        }
        "xoxo_link.mutation.campaignDetails" => {
            xoxo_link::campaign_details::run(state, caller, vars).await?
        }
        "xoxo_link.mutation.generateLink" => {
            xoxo_link::generate_link::run(state, caller, vars).await?
        }
        "xoxo_link.mutation.generateLinkEmail" => {
            xoxo_link::generate_link::run_email(state, caller, vars).await?
        }
        _ => return Err(unknown()),
    };
    Ok(Json(serde_json::json!({ "data": data })).into_response())
}
