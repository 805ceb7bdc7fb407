//! Refreshing (RFC 6749 §6) with rotation and replay detection
//! (RFC 9700 §4.14.2).
//!
//! The presented token is claimed through the [`super::writer`], so of many
//! concurrent presentations exactly one wins. A token presented again after
//! it was rotated means it leaked: unless it is still inside the configured
//! reuse interval, every token of its family is revoked.
//!
//! May touch: `store::tokens` (claims through the `writer`),
//! `domain::tokens`, `domain::scopes`, `config` (token settings), `crypto`.
//! Never an entry point.

use super::{
    millis, mint, requested_scopes, require_grant, revoke_replayed_grant,
    writer::{Rotated, Rotation},
    Grant, TokenError, TokenResponse, Tokens,
};
use crate::{
    config::TokenSettings,
    crypto,
    domain::scopes::{GrantType, Scope, ScopeSet, TokenType},
    store::{
        clients::ClientRow,
        tokens::{self, NewToken, TokenRow},
    },
};

/// Replaces the refresh token `presented` of `client` with a new pair,
/// narrowed to `requested` scopes if given.
pub async fn rotate(
    tokens: &Tokens,
    client: &ClientRow,
    presented: &str,
    requested: Option<&str>,
    endpoint: TokenType,
) -> Result<TokenResponse, TokenError> {
    require_grant(client, GrantType::RefreshToken)?;
    let hash = crypto::hash_secret(presented);
    let settings = tokens.settings;
    let rotation = Rotation {
        token_hash: hash.clone(),
        client_id: client.client_id.clone(),
        decide: Box::new({
            let requested = requested.map(str::to_string);
            move |old, now| exchange(&settings, old, requested.as_deref(), endpoint, now)
        }),
    };
    match tokens.writer.rotate(rotation).await? {
        Rotated::Issued(response) => return Ok(response),
        Rotated::Refused(error) => return Err(error),
        Rotated::NotClaimed => {}
    }

    let now = tokens.clock.now_ms();
    let not_valid = || TokenError::invalid_grant("the refresh token is not valid");
    let Some(row) = tokens::find_by_hash(tokens.db.reader(), &hash).await? else {
        return Err(not_valid());
    };
    if row.kind != tokens::REFRESH || row.client_id != client.client_id {
        return Err(not_valid());
    }
    if row.revoked_at.is_some() {
        return Err(TokenError::invalid_grant(
            "the refresh token has been revoked",
        ));
    }
    if row.expires_at <= now {
        return Err(TokenError::invalid_grant("the refresh token has expired"));
    }
    let Some(rotated_at) = row.rotated_at else {
        // Live, yet not claimable: only a concurrent change can explain it.
        return Err(not_valid());
    };
    let grace = millis(settings.refresh_reuse_interval);
    if grace > 0 && now - rotated_at <= grace {
        let (rows, response) = exchange(&settings, &row, requested, endpoint, now)?;
        tokens.writer.insert(rows).await?;
        return Ok(response);
    }
    revoke_replayed_grant(
        &tokens.db,
        &row.family_id,
        row.company_id,
        &client.client_id,
        "token.reuse_detected",
        now,
    )
    .await?;
    metrics::counter!("galley_refresh_reuse_detected_total").increment(1);
    Err(TokenError::invalid_grant(
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
) -> Result<(Vec<NewToken>, TokenResponse), TokenError> {
    let granted =
        ScopeSet::parse(&old.scopes).map_err(|e| TokenError::Internal(anyhow::anyhow!(e)))?;
    let scopes = requested_scopes(requested, granted)?;
    let token_type: TokenType = old
        .token_type
        .parse()
        .map_err(|e: String| TokenError::Internal(anyhow::anyhow!(e)))?;
    if endpoint == TokenType::Company && !granted.contains(Scope::CompanySession) {
        return Err(TokenError::invalid_grant(
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
