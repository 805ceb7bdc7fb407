//! Bearer-token authentication (RFC 6750) for the validation endpoint and
//! the resource API.
//!
//! May touch: `store::tokens` (reads, through the batched reader in
//! `state`), `domain::scopes`, `crypto` (hashes the token), `state`. Never
//! `api` or `web`.

use axum::http::{header, HeaderMap};

use crate::{crypto, domain::scopes::ScopeSet, state::AppState, store::tokens};

/// The caller behind a valid access token.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The company every query is scoped to.
    pub company_id: i64,
    /// Client the token was issued to.
    pub client_id: String,
    /// `admin:<id>`, `user:<id>` or `company:<id>`.
    pub subject: String,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// Expiry (ms).
    pub expires_at: i64,
}

/// Why bearer authentication failed.
#[derive(Debug)]
pub enum BearerError {
    /// No `Authorization` header, or another scheme.
    Missing,
    /// Unknown, malformed, expired or revoked token; the reason is for the
    /// `error_description`.
    Invalid(&'static str),
    /// Storage failed (already an opaque OAuth server error).
    Internal(crate::store::StoreError),
}

/// Longest bearer token looked up.
const MAX_TOKEN_LEN: usize = 512;

/// Extracts the token of an `Authorization: Bearer` header.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(BearerError::Missing)?;
    let value = value.to_str().map_err(|_| BearerError::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Missing);
    }
    let token = token.trim();
    let b64token = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || token.len() > MAX_TOKEN_LEN || !token.chars().all(b64token) {
        return Err(BearerError::Invalid("the access token is malformed"));
    }
    Ok(token)
}

/// Authenticates the request's bearer access token.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, BearerError> {
    let token = bearer_token(headers)?;
    let row = state
        .reader
        .token(crypto::hash_secret(token))
        .await
        .map_err(BearerError::Internal)?
        .ok_or(BearerError::Invalid("the access token is not valid"))?;
    if row.kind != tokens::ACCESS {
        return Err(BearerError::Invalid("the access token is not valid"));
    }
    if row.revoked_at.is_some() {
        return Err(BearerError::Invalid("the access token has been revoked"));
    }
    if row.expires_at <= state.clock.now_ms() {
        return Err(BearerError::Invalid("the access token has expired"));
    }
    Ok(Caller {
        company_id: row.company_id,
        client_id: row.client_id,
        subject: row.subject,
        scopes: ScopeSet::parse(&row.scopes).unwrap_or_default(),
        expires_at: row.expires_at,
    })
}
