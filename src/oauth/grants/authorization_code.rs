//! `authorization_code` (RFC 6749 §4.1.3) with PKCE (RFC 7636).
//!
//! A code is claimed once, atomically. Presenting it again revokes every
//! token issued from it (RFC 6749 §4.1.2, RFC 9700 §4.2.4). The
//! `redirect_uri` must equal the authorization request's; a `code_verifier`
//! must match the `S256` challenge, and one sent for a code issued without a
//! challenge is refused (no PKCE downgrade).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

use crate::{
    app::AppState,
    crypto,
    domain::scopes::{GrantType, Scope, ScopeSet, TokenType},
    oauth::{
        clients::allows_grant,
        error::{ErrorCode, OAuthError},
        issue::{issue, revoke_replayed_grant, Grant, TokenResponse},
        params::Params,
    },
    store::{clients::ClientRow, codes},
};

/// Handles the grant.
pub async fn grant(
    state: &AppState,
    client: &ClientRow,
    params: &Params,
    endpoint: TokenType,
) -> Result<TokenResponse, OAuthError> {
    exchange(
        state,
        client,
        params.require("code")?,
        params.get("redirect_uri"),
        params.get("code_verifier"),
        endpoint,
    )
    .await
}

/// Exchanges a code for tokens (also used in-process by the demo app).
pub async fn exchange(
    state: &AppState,
    client: &ClientRow,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    endpoint: TokenType,
) -> Result<TokenResponse, OAuthError> {
    if !allows_grant(client, GrantType::AuthorizationCode) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization_code grant",
        ));
    }
    let hash = crypto::hash_secret(code);
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let Some(row) = codes::claim(&mut tx, &hash, now).await? else {
        tx.rollback().await?;
        return Err(reused_or_unknown(state, &hash, now).await?);
    };
    // Any failure below still consumes the code: it was presented once.
    let checked = check(&row, client, redirect_uri, verifier, endpoint, now);
    let result = match checked {
        Ok(scopes) => {
            let subject = format!("user:{}", row.user_id);
            issue(
                &mut tx,
                &state.config.tokens,
                &Grant {
                    client_id: &client.client_id,
                    company_id: row.company_id,
                    subject: &subject,
                    scopes,
                    token_type: endpoint,
                    grant_type: GrantType::AuthorizationCode,
                    family_id: Some(&row.family_id),
                    parent_id: None,
                    with_refresh: allows_grant(client, GrantType::RefreshToken),
                },
                now,
            )
            .await
            .map_err(OAuthError::from)
        }
        Err(e) => Err(e),
    };
    tx.commit().await?;
    result
}

fn check(
    row: &codes::CodeRow,
    client: &ClientRow,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    endpoint: TokenType,
    now: i64,
) -> Result<ScopeSet, OAuthError> {
    if row.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant(
            "the code has expired (codes live 5 minutes)",
        ));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri must equal the one of the authorization request",
        ));
    }
    match (row.code_challenge.as_deref(), verifier) {
        (Some(challenge), Some(verifier)) => {
            let valid_form = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !valid_form || !crypto::hashes_equal(&computed, challenge) {
                return Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required for this code",
            ))
        }
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "no code_challenge was sent for this code; code_verifier is refused",
            ))
        }
        (None, None) => {}
    }
    let scopes =
        ScopeSet::parse(&row.scopes).map_err(|e| OAuthError::internal(anyhow::anyhow!(e)))?;
    if endpoint == TokenType::Company && !scopes.contains(Scope::CompanySession) {
        return Err(OAuthError::invalid_grant(
            "company tokens need the company_session scope",
        ));
    }
    Ok(scopes)
}

/// A code that could not be claimed: unknown, or used before — then every
/// token issued from it is revoked.
async fn reused_or_unknown(
    state: &AppState,
    hash: &str,
    now: i64,
) -> Result<OAuthError, OAuthError> {
    let Some(row) = codes::find(state.db.reader(), hash).await? else {
        return Ok(OAuthError::invalid_grant("the code is not valid"));
    };
    revoke_replayed_grant(
        &state.db,
        &row.family_id,
        row.company_id,
        &row.client_id,
        "code.reuse_detected",
        now,
    )
    .await?;
    Ok(OAuthError::invalid_grant(
        "the code was already used; the tokens issued from it have been revoked",
    ))
}
