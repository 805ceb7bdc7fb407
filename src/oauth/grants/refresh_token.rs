//! `refresh_token` (RFC 6749 §6) with rotation and replay detection
//! (RFC 9700 §4.14.2).
//!
//! The presented token is claimed with one conditional update, so of many
//! concurrent presentations exactly one wins. A token presented again after
//! it was rotated means it leaked: unless it is still inside the configured
//! reuse interval, every token of its family is revoked.

use serde_json::json;

use super::requested_scopes;
use crate::{
    app::AppState,
    crypto,
    domain::scopes::{GrantType, Scope, ScopeSet, TokenType},
    oauth::{
        clients::allows_grant,
        error::{ErrorCode, OAuthError},
        issue::{issue, Grant, TokenResponse},
        params::Params,
    },
    store::{audit, clients::ClientRow, tokens, tokens::TokenRow},
};

/// Handles the grant.
pub async fn grant(
    state: &AppState,
    client: &ClientRow,
    params: &Params,
    endpoint: TokenType,
) -> Result<TokenResponse, OAuthError> {
    if !allows_grant(client, GrantType::RefreshToken) {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client may not use the refresh_token grant"));
    }
    let presented = params.require("refresh_token")?;
    let hash = crypto::hash_secret(presented);
    let now = state.clock.now_ms();

    let mut tx = state.db.begin().await?;
    if let Some(old) = tokens::claim_refresh(&mut tx, &hash, &client.client_id, now).await? {
        let response = reissue(state, &mut tx, &old, params, endpoint, now).await?;
        tx.commit().await?;
        return Ok(response);
    }
    tx.rollback().await?;

    let Some(row) = tokens::find_by_hash(state.db.reader(), &hash).await? else {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    };
    if row.kind != tokens::REFRESH || row.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    }
    if row.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("the refresh token has been revoked"));
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let Some(rotated_at) = row.rotated_at else {
        // Live, yet not claimable: only a concurrent change can explain it.
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    };
    let grace = state.config.tokens.refresh_reuse_interval.as_millis() as i64;
    let mut tx = state.db.begin().await?;
    if grace > 0 && now - rotated_at <= grace {
        let response = reissue(state, &mut tx, &row, params, endpoint, now).await?;
        tx.commit().await?;
        return Ok(response);
    }
    let revoked = tokens::revoke_family(&mut tx, &row.family_id, now).await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(row.company_id),
            actor: &format!("client:{}", client.client_id),
            action: "token.reuse_detected",
            subject: &format!("token_family:{}", row.family_id),
            detail: json!({ "revoked_tokens": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(family = %row.family_id, revoked, "refresh token reused; family revoked");
    metrics::counter!("galley_refresh_reuse_detected_total").increment(1);
    Err(OAuthError::invalid_grant(
        "the refresh token was already used; every token of this grant has been revoked",
    ))
}

async fn reissue(
    state: &AppState,
    tx: &mut crate::store::Tx,
    old: &TokenRow,
    params: &Params,
    endpoint: TokenType,
    now: i64,
) -> Result<TokenResponse, OAuthError> {
    let granted = ScopeSet::parse(&old.scopes).map_err(|e| OAuthError::internal(anyhow::anyhow!(e)))?;
    let scopes = requested_scopes(params, granted)?;
    let token_type: TokenType = old.token_type.parse().map_err(|e: String| OAuthError::internal(anyhow::anyhow!(e)))?;
    if endpoint == TokenType::Company && !granted.contains(Scope::CompanySession) {
        return Err(OAuthError::invalid_grant("this refresh token was not issued with the company_session scope"));
    }
    Ok(issue(
        tx,
        &state.config.tokens,
        &Grant {
            client_id: &old.client_id,
            company_id: old.company_id,
            subject: &old.subject,
            scopes,
            token_type,
            grant_type: GrantType::RefreshToken,
            family_id: Some(&old.family_id),
            parent_id: Some(old.id),
            with_refresh: true,
        },
        now,
    )
    .await?)
}
