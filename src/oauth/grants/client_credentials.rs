//! `client_credentials` (RFC 6749 §4.4): the client acts for its own company.
//! No refresh token is issued.

use super::requested_scopes;
use crate::{
    app::AppState,
    domain::scopes::{GrantType, TokenType},
    oauth::{
        clients::{allowed_scopes, allows_grant},
        error::{ErrorCode, OAuthError},
        issue::{mint, Grant, TokenResponse},
        params::Params,
    },
    store::clients::ClientRow,
};

/// Handles the grant.
pub async fn grant(
    state: &AppState,
    client: &ClientRow,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !allows_grant(client, GrantType::ClientCredentials) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the client_credentials grant",
        ));
    }
    let scopes = requested_scopes(params.get("scope"), allowed_scopes(client))?;
    let subject = format!("company:{}", client.company_id);
    let (rows, response) = mint(
        &state.config.tokens,
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
        state.clock.now_ms(),
    );
    state.tokens.insert(rows).await?;
    Ok(response)
}
