//! `POST /v1/oauth/token/{token_type}`: authenticates the client and hands
//! the request to the module of its grant type.
//!
//! May touch: `domain::tokens` (through the grants and the token writer in
//! `state`), `domain::scopes`, `oauth::clients`, `oauth::grants`, `state`.
//! Never `api` or `web`.

use axum::{
    extract::{Path, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};

use super::{clients, error::ErrorCode, error::OAuthError, grants, params::Params};
use crate::{
    domain::{
        scopes::{GrantType, TokenType},
        tokens::TokenResponse,
    },
    state::AppState,
};

/// The token endpoint.
pub async fn token(
    State(state): State<AppState>,
    Path(token_type): Path<String>,
    params: Params,
) -> Response {
    let grant_name = params.get("grant_type").unwrap_or("none").to_string();
    let result = handle(&state, &token_type, &params).await;
    let outcome = match &result {
        Ok(_) => "success",
        Err(e) => e.code().as_str(),
    };
    let grant_label = match grant_name.parse::<GrantType>() {
        Ok(grant) => grant.as_str(),
        Err(_) => "unsupported",
    };
    metrics::counter!("galley_token_grants_total", "grant_type" => grant_label, "outcome" => outcome).increment(1);
    match result {
        Ok(body) => {
            let mut response = Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
                .headers_mut()
                .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: &AppState,
    token_type: &str,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    // `/v1/oauth/token/admin` is no endpoint: 404, in the OAuth error body.
    let endpoint: TokenType = token_type.parse().map_err(|e: String| {
        OAuthError::invalid_request(e).with_status(axum::http::StatusCode::NOT_FOUND)
    })?;
    let grant: GrantType = params
        .require("grant_type")?
        .parse()
        .map_err(|e: String| OAuthError::new(ErrorCode::UnsupportedGrantType, e))?;
    let client = clients::authenticate(state, params).await?;
    match grant {
        GrantType::RefreshToken => {
            grants::refresh_token::grant(&state.tokens, &client, params, endpoint).await
        }
        GrantType::ClientCredentials => {
            grants::client_credentials::grant(&state.tokens, &client, params).await
        }
        GrantType::AuthorizationCode => {
            grants::authorization_code::grant(&state.tokens, &client, params, endpoint).await
        }
    }
}
