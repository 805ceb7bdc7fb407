//! `client_credentials` (RFC 6749 §4.4): reads `scope`; issuance is
//! [`crate::domain::tokens::credentials`].
//!
//! May touch: `domain::tokens::credentials` (issuance), `store::clients`
//! (the row type), `oauth::params`, `oauth::error`. Never `api` or `web`.

use crate::{
    domain::tokens::{credentials, TokenResponse, Tokens},
    oauth::{error::OAuthError, params::Params},
    store::clients::ClientRow,
};

/// Handles the grant.
pub async fn grant(
    tokens: &Tokens,
    client: &ClientRow,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    Ok(credentials::issue(tokens, client, params.get("scope")).await?)
}
