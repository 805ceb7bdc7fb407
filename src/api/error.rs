//! The resource API's error envelope (`docs/api.md`, "Errors"):
//! `{"code", "errorId", "errorInfo", "error"}` with HTTP status = `code`,
//! plus the RFC 6750 bodies for bearer failures.
//!
//! Internal failures answer an opaque message; the detail is logged once.
//!
//! May touch: `oauth::bearer` (its `BearerError`), `store` (its
//! `StoreError`, answered as an opaque server error). Never `web`.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use crate::oauth::bearer::BearerError;

/// An error of `POST /v1/oauth/api`.
#[derive(Debug)]
pub enum ApiError {
    /// Application error in the Plum envelope.
    App {
        /// HTTP status and `code`.
        status: StatusCode,
        /// `PLE10001`, ...
        error_id: &'static str,
        /// What happened, for people.
        info: String,
        /// Short title.
        error: String,
    },
    /// Bearer authentication failed.
    Bearer(BearerError),
    /// The token lacks the scope the operation needs.
    InsufficientScope(&'static str),
    /// Over the per-minute limit; retry after this many seconds.
    RateLimited(u64),
    /// Unexpected failure; logged, never shown.
    Internal(anyhow::Error),
}

impl ApiError {
    /// `PLE10001` 400: validation failed; `info` says which field and why.
    pub fn validation(info: impl Into<String>) -> Self {
        ApiError::App {
            status: StatusCode::BAD_REQUEST,
            error_id: "PLE10001",
            info: info.into(),
            error: "Invalid request".into(),
        }
    }

    /// Any application error of `docs/api.md` ("Errors").
    pub fn app(
        status: StatusCode,
        error_id: &'static str,
        info: impl Into<String>,
        error: impl Into<String>,
    ) -> Self {
        ApiError::App {
            status,
            error_id,
            info: info.into(),
            error: error.into(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

fn bearer_challenge(error: Option<&str>, scope: Option<&str>) -> HeaderValue {
    let mut value = String::from("Bearer realm=\"galley\"");
    if let Some(error) = error {
        value.push_str(&format!(", error=\"{error}\""));
    }
    if let Some(scope) = scope {
        value.push_str(&format!(", scope=\"{scope}\""));
    }
    // `error` and `scope` are Galley's own ASCII names; the bare challenge
    // stands in should that ever change.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("Bearer realm=\"galley\""))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body, challenge) = match self {
            ApiError::App {
                status,
                error_id,
                info,
                error,
            } => (
                status,
                json!({ "code": status.as_u16(), "errorId": error_id, "errorInfo": info, "error": error }),
                None,
            ),
            ApiError::Bearer(BearerError::Missing) => (
                StatusCode::UNAUTHORIZED,
                json!({
                    "code": 401,
                    "errorId": "PIPE10013",
                    "errorInfo": "Send the access token in an `Authorization: Bearer <token>` header.",
                    "error": "Invalid authorization header",
                }),
                Some(bearer_challenge(None, None)),
            ),
            ApiError::Bearer(BearerError::Invalid(why)) => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_token", "error_description": why }),
                Some(bearer_challenge(Some("invalid_token"), None)),
            ),
            ApiError::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                json!({
                    "error": "insufficient_scope",
                    "error_description": format!("this operation needs the `{scope}` scope"),
                }),
                Some(bearer_challenge(Some("insufficient_scope"), Some(scope))),
            ),
            ApiError::RateLimited(retry_after) => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({ "errors": [{ "message": "auth.request_limit_exceeded", "penaltySeconds": 60 }] })),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
                return response;
            }
            ApiError::Bearer(BearerError::Internal(e)) => {
                return ApiError::Internal(e.into()).into_response()
            }
            ApiError::Internal(detail) => {
                tracing::error!(error = %format!("{detail:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({
                        "code": 500,
                        "errorId": "PLE10000",
                        "errorInfo": "The server could not complete the request. Try again later.",
                        "error": "Internal error",
                    }),
                    None,
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
