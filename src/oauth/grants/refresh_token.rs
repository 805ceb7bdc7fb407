//! `refresh_token` (RFC 6749 §6) with rotation and replay detection
//! (RFC 9700 §4.14.2).
//!
//! The presented token is claimed through the token writer, so of many
//! concurrent presentations exactly one wins. A token presented again after
//! it was rotated means it leaked: unless it is still inside the configured
//! reuse interval, every token of its family is revoked.

use super::requested_scopes;
use crate::{
    app::AppState,
    config::TokenSettings,
    crypto,
    domain::scopes::{GrantType, Scope, ScopeSet, TokenType},
    oauth::{
        clients::allows_grant,
        error::{ErrorCode, OAuthError},
        issue::{mint, revoke_replayed_grant, Grant, TokenResponse},
        params::Params,
        writer::{Rotated, Rotation},
    },
    store::{
        clients::ClientRow,
        tokens::{self, NewToken, TokenRow},
    },
};

/// Handles the grant.
pub async fn grant(
    state: &AppState,
    client: &ClientRow,
    params: &Params,
    endpoint: TokenType,
) -> Result<TokenResponse, OAuthError> {
    if !allows_grant(client, GrantType::RefreshToken) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the refresh_token grant",
        ));
    }
    let hash = crypto::hash_secret(params.require("refresh_token")?);
    let requested = params.get("scope").map(str::to_string);
    let settings = state.config.tokens;
    let rotation = Rotation {
        token_hash: hash.clone(),
        client_id: client.client_id.clone(),
        decide: Box::new({
            let requested = requested.clone();
            move |old, now| exchange(&settings, old, requested.as_deref(), endpoint, now)
        }),
    };
    match state.tokens.rotate(rotation).await? {
        Rotated::Issued(response) => return Ok(response),
        Rotated::Refused(error) => return Err(error),
        Rotated::NotClaimed => {}
    }

    let now = state.clock.now_ms();
    let Some(row) = tokens::find_by_hash(state.db.reader(), &hash).await? else {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    };
    if row.kind != tokens::REFRESH || row.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    }
    if row.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let Some(rotated_at) = row.rotated_at else {
        // Live, yet not claimable: only a concurrent change can explain it.
        return Err(OAuthError::invalid_grant("the refresh token is not valid"));
    };
    let grace = settings.refresh_reuse_interval.as_millis() as i64;
    if grace > 0 && now - rotated_at <= grace {
        let (rows, response) = exchange(&settings, &row, requested.as_deref(), endpoint, now)?;
        state.tokens.insert(rows).await?;
        return Ok(response);
    }
    revoke_replayed_grant(
        &state.db,
        &row.family_id,
        row.company_id,
        &client.client_id,
        "token.reuse_detected",
        now,
    )
    .await?;
    metrics::counter!("galley_refresh_reuse_detected_total").increment(1);
    Err(OAuthError::invalid_grant(
        "the refresh token was already used; every token of this grant has been revoked",
    ))
}

/// The tokens that replace `old`, or why the exchange is refused.
fn exchange(
    settings: &TokenSettings,
    old: &TokenRow,
    requested: Option<&str>,
    endpoint: TokenType,
    now: i64,
) -> Result<(Vec<NewToken>, TokenResponse), OAuthError> {
    let granted =
        ScopeSet::parse(&old.scopes).map_err(|e| OAuthError::internal(anyhow::anyhow!(e)))?;
    let scopes = requested_scopes(requested, granted)?;
    let token_type: TokenType = old
        .token_type
        .parse()
        .map_err(|e: String| OAuthError::internal(anyhow::anyhow!(e)))?;
    if endpoint == TokenType::Company && !granted.contains(Scope::CompanySession) {
        return Err(OAuthError::invalid_grant(
            "this refresh token was not issued with the company_session scope",
        ));
    }
    Ok(mint(
        settings,
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
    ))
}
