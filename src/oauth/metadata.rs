//! `GET /.well-known/oauth-authorization-server` (RFC 8414).
//!
//! May touch: `domain::scopes`, `state` (the configuration). Never `api` or
//! `web`.

use axum::{extract::State, Json};
use serde_json::{json, Value};

use crate::{
    domain::scopes::{GrantType, Scope},
    state::AppState,
};

/// The metadata document. The `token_endpoint` is the `user` one, where
/// every grant works.
pub async fn metadata(State(state): State<AppState>) -> Json<Value> {
    let url = &state.config.public_url;
    let auth_methods = ["client_secret_basic", "client_secret_post"];
    Json(json!({
        "issuer": url.base(),
        "authorization_endpoint": url.join("/v1/oauth/authorize"),
        "token_endpoint": url.join("/v1/oauth/token/user"),
        "revocation_endpoint": url.join("/v1/oauth/revoke"),
        "introspection_endpoint": url.join("/v1/oauth/introspect"),
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": url.join("/docs"),
    }))
}
