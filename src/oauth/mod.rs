//! The OAuth 2.0 authorization server: token endpoint and grants (one module
//! each), validation, revocation (RFC 7009), introspection (RFC 7662),
//! metadata (RFC 8414) and bearer authentication for the resource API.
//!
//! Errors here are [`error::OAuthError`] (RFC 6749 bodies).
//!
//! May touch: `domain` (writes and rules), `store` (reads), `pages`
//! (sessions, CSRF), `state`, `crypto`. Never `api` or `web`: `api` uses
//! `bearer`, not the other way round.

pub mod authorize;
pub mod bearer;
pub mod clients;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod metadata;
pub mod params;
pub mod revoke;
pub mod token;
pub mod validate;

use axum::{
    routing::{get, post},
    Router,
};

use crate::state::AppState;

/// Routes of the authorization server, relative to the base path.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(authorize::router())
        .route("/v1/oauth/token/{token_type}", post(token::token))
        .route("/v1/oauth/token", get(validate::validate))
        .route("/v1/oauth/revoke", post(revoke::revoke))
        .route("/v1/oauth/introspect", post(introspect::introspect))
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::metadata),
        )
}
