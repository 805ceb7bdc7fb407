//! The OAuth error type: RFC 6749 §5.2 bodies `{error, error_description}`.
//!
//! Kept apart from the resource API's envelope ([`crate::api::error`]).
//! Internal failures answer an opaque `server_error`; their detail is logged
//! once, here, and never sent to the client.
//!
//! May touch: `domain::tokens` (`TokenError`), `store` (`StoreError`).
//! Never `api` or `web`.

use std::borrow::Cow;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// RFC 6749 / RFC 6750 error codes used by Galley.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed or missing parameter.
    InvalidRequest,
    /// Client authentication failed (401).
    InvalidClient,
    /// Code, refresh token or credentials are invalid, expired or revoked.
    InvalidGrant,
    /// The client may not use this grant.
    UnauthorizedClient,
    /// Grant type not supported.
    UnsupportedGrantType,
    /// Scope unknown or not allowed.
    InvalidScope,
    /// Bearer token unknown, expired or revoked (RFC 6750).
    InvalidToken,
    /// Unexpected failure (500).
    ServerError,
}

impl ErrorCode {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::ServerError => "server_error",
        }
    }
}

/// An OAuth error response.
#[derive(Debug)]
pub struct OAuthError {
    code: ErrorCode,
    description: Cow<'static, str>,
    status: StatusCode,
    internal: Option<anyhow::Error>,
}

impl OAuthError {
    /// An error with the status RFC 6749 gives its code (400, or 401 for
    /// `invalid_client` and `invalid_token`).
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        let status = match code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            code,
            description: description.into(),
            status,
            internal: None,
        }
    }

    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant`.
    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// `invalid_scope`.
    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    /// `invalid_client` (401 with a `WWW-Authenticate: Basic` challenge).
    pub fn invalid_client() -> Self {
        Self::new(ErrorCode::InvalidClient, "client authentication failed")
    }

    /// Replaces the HTTP status (e.g. 413 for an oversized body).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// An unexpected failure; `detail` is logged, never shown.
    pub fn internal(detail: impl Into<anyhow::Error>) -> Self {
        Self {
            code: ErrorCode::ServerError,
            description: "the server could not complete the request".into(),
            status: StatusCode::INTERNAL_SERVER_ERROR,
            internal: Some(detail.into()),
        }
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(e: crate::store::StoreError) -> Self {
        OAuthError::internal(e)
    }
}

impl From<crate::domain::tokens::TokenError> for OAuthError {
    fn from(e: crate::domain::tokens::TokenError) -> Self {
        use crate::domain::tokens::TokenError;
        match e {
            TokenError::InvalidGrant(why) => OAuthError::invalid_grant(why),
            TokenError::UnauthorizedClient(why) => {
                OAuthError::new(ErrorCode::UnauthorizedClient, why)
            }
            TokenError::InvalidScope(why) => OAuthError::invalid_scope(why),
            TokenError::Store(e) => OAuthError::internal(e),
            TokenError::Internal(e) => OAuthError::internal(e),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let Some(detail) = &self.internal {
            tracing::error!(error = %format!("{detail:#}"), "internal error");
        }
        let body = json!({ "error": self.code.as_str(), "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        match self.code {
            ErrorCode::InvalidClient => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"galley\""),
                );
            }
            ErrorCode::InvalidToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"galley\", error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}
