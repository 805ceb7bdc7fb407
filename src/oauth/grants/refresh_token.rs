//! `refresh_token` (RFC 6749 §6): reads `refresh_token` and `scope`; the
//! rotation and replay detection are [`crate::domain::tokens::refresh`].
//!
//! May touch: `domain::tokens::refresh` (the rotation), `domain::scopes`,
//! `store::clients` (the row type), `oauth::params`, `oauth::error`. Never
//! `api` or `web`.

use crate::{
    domain::{
        scopes::TokenType,
        tokens::{refresh, TokenResponse, Tokens},
    },
    oauth::{error::OAuthError, params::Params},
    store::clients::ClientRow,
};

/// Handles the grant.
pub async fn grant(
    tokens: &Tokens,
    client: &ClientRow,
    params: &Params,
    endpoint: TokenType,
) -> Result<TokenResponse, OAuthError> {
    let presented = params.require("refresh_token")?;
    Ok(refresh::rotate(tokens, client, presented, params.get("scope"), endpoint).await?)
}
