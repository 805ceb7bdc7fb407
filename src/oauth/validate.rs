//! `GET /v1/oauth/token`: is this access token valid, and for how long?
//! (Documented in `docs/api.md`, "Other endpoints".)
//!
//! May touch: `oauth::bearer`, `oauth::error`, `state`. Never `api` or
//! `web`.

use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::{
    bearer::{authenticate, bearer_token, BearerError},
    error::{ErrorCode, OAuthError},
};
use crate::state::AppState;

/// The validation endpoint.
pub async fn validate(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authenticate(&state, &headers).await {
        Ok(caller) => {
            let token = bearer_token(&headers).unwrap_or_default();
            let left_ms = (caller.expires_at - state.clock.now_ms()).max(0);
            Json(json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": left_ms / 1000,
                "scope": caller.scopes.to_string(),
            }))
            .into_response()
        }
        Err(BearerError::Missing) => OAuthError::new(
            ErrorCode::InvalidToken,
            "an Authorization: Bearer header is required",
        )
        .into_response(),
        Err(BearerError::Invalid(why)) => {
            OAuthError::new(ErrorCode::InvalidToken, why).into_response()
        }
        Err(BearerError::Internal(e)) => OAuthError::internal(e).into_response(),
    }
}
