//! `client_credentials` (RFC 6749 §4.4): the client acts for its own
//! company. No refresh token is issued.
//!
//! May touch: `domain::tokens` (minting), `domain::clients`,
//! `domain::scopes`, `store::clients` (the row type). Never an entry point.

use super::{mint, requested_scopes, require_grant, Grant, TokenError, TokenResponse, Tokens};
use crate::{
    domain::{
        clients,
        scopes::{GrantType, TokenType},
    },
    store::clients::ClientRow,
};

/// Issues a company access token to `client`, narrowed to `requested`
/// scopes if given.
pub async fn issue(
    tokens: &Tokens,
    client: &ClientRow,
    requested: Option<&str>,
) -> Result<TokenResponse, TokenError> {
    require_grant(client, GrantType::ClientCredentials)?;
    let scopes = requested_scopes(requested, clients::allowed_scopes(client))?;
    let subject = format!("company:{}", client.company_id);
    let (rows, response) = mint(
        &tokens.settings,
        &Grant {
            client_id: &client.client_id,
            company_id: client.company_id,
            subject: &subject,
            scopes,
            token_type: TokenType::Company,
            grant_type: GrantType::ClientCredentials,
            family_id: None,
            parent_id: None,
            with_refresh: false,
        },
        tokens.clock.now_ms(),
    );
    tokens.writer.insert(rows).await?;
    Ok(response)
}
