//! `authorization_code` (RFC 6749 §4.1.3) with PKCE (RFC 7636): reads
//! `code`, `redirect_uri` and `code_verifier`; the exchange and its checks
//! are [`crate::domain::tokens::code`].
//!
//! May touch: `domain::tokens::code` (the exchange), `domain::scopes`,
//! `store::clients` (the row type), `oauth::params`, `oauth::error`. Never
//! `api` or `web`.

use crate::{
    domain::{
        scopes::TokenType,
        tokens::{code, TokenResponse, Tokens},
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
    let presented = code::Presented {
        code: params.require("code")?,
        redirect_uri: params.get("redirect_uri"),
        verifier: params.get("code_verifier"),
        endpoint,
    };
    Ok(code::exchange(tokens, client, presented).await?)
}
