//! Exchanging an authorization code (RFC 6749 §4.1.3) with PKCE (RFC 7636).
//!
//! A code is claimed once, atomically. Presenting it again revokes every
//! token issued from it (RFC 6749 §4.1.2, RFC 9700 §4.2.4). The
//! `redirect_uri` must equal the authorization request's; a `code_verifier`
//! must match the `S256` challenge, and one sent for a code issued without a
//! challenge is refused (no PKCE downgrade).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

use super::{issue, require_grant, revoke_replayed_grant, Grant, TokenError, TokenResponse, Tokens};
use crate::{
    crypto,
    domain::{
        clients,
        scopes::{GrantType, Scope, ScopeSet, TokenType},
    },
    store::{clients::ClientRow, codes},
};

/// What the client presented with the code.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The code.
    pub code: &'a str,
    /// The `redirect_uri` parameter, if sent.
    pub redirect_uri: Option<&'a str>,
    /// The PKCE `code_verifier`, if sent.
    pub verifier: Option<&'a str>,
    /// User or company token endpoint.
    pub endpoint: TokenType,
}

/// Exchanges a code for tokens.
pub async fn exchange(
    tokens: &Tokens,
    client: &ClientRow,
    presented: Presented<'_>,
) -> Result<TokenResponse, TokenError> {
    require_grant(client, GrantType::AuthorizationCode)?;
    let hash = crypto::hash_secret(presented.code);
    let now = tokens.clock.now_ms();
    let mut tx = tokens.db.begin().await?;
    let Some(row) = codes::claim(&mut tx, &hash, &client.client_id, now).await? else {
        tx.rollback().await?;
        return Err(not_claimed(tokens, client, &hash, now).await?);
    };
    // Any failure below still consumes the code: it was presented once.
    let result = match check(&row, presented, now) {
        Ok(scopes) => {
            let subject = format!("user:{}", row.user_id);
            issue(
                &mut tx,
                &tokens.settings,
                &Grant {
                    client_id: &client.client_id,
                    company_id: row.company_id,
                    subject: &subject,
                    scopes,
                    token_type: presented.endpoint,
                    grant_type: GrantType::AuthorizationCode,
                    family_id: Some(&row.family_id),
                    parent_id: None,
                    with_refresh: clients::allows_grant(client, GrantType::RefreshToken),
                },
                now,
            )
            .await
            .map_err(TokenError::from)
        }
        Err(e) => Err(e),
    };
    tx.commit().await?;
    result
}

fn check(
    row: &codes::CodeRow,
    presented: Presented<'_>,
    now: i64,
) -> Result<ScopeSet, TokenError> {
    if row.expires_at <= now {
        return Err(TokenError::invalid_grant(
            "the code has expired (codes live 5 minutes)",
        ));
    }
    if presented.redirect_uri != Some(row.redirect_uri.as_str()) {
        return Err(TokenError::invalid_grant(
            "redirect_uri must equal the one of the authorization request",
        ));
    }
    match (row.code_challenge.as_deref(), presented.verifier) {
        (Some(challenge), Some(verifier)) => {
            if !verifier_matches(verifier, challenge) {
                return Err(TokenError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => {
            return Err(TokenError::invalid_grant(
                "code_verifier is required for this code",
            ))
        }
        (None, Some(_)) => {
            return Err(TokenError::invalid_grant(
                "no code_challenge was sent for this code; code_verifier is refused",
            ))
        }
        (None, None) => {}
    }
    let scopes =
        ScopeSet::parse(&row.scopes).map_err(|e| TokenError::Internal(anyhow::anyhow!(e)))?;
    if presented.endpoint == TokenType::Company && !scopes.contains(Scope::CompanySession) {
        return Err(TokenError::invalid_grant(
            "company tokens need the company_session scope",
        ));
    }
    Ok(scopes)
}

/// RFC 7636 §4.1 form (43–128 unreserved characters) and §4.6 `S256`
/// check, compared in constant time.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let valid_form = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    valid_form && crypto::hashes_equal(&computed, challenge)
}

/// A code that could not be claimed: unknown; another client's — refused
/// without touching it, so a client cannot burn (or revoke the tokens of)
/// a code it does not own; or used before by its client — then every token
/// issued from it is revoked.
async fn not_claimed(
    tokens: &Tokens,
    client: &ClientRow,
    hash: &str,
    now: i64,
) -> Result<TokenError, TokenError> {
    let Some(row) = codes::find(tokens.db.reader(), hash).await? else {
        return Ok(TokenError::invalid_grant("the code is not valid"));
    };
    if row.client_id != client.client_id {
        return Ok(TokenError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    revoke_replayed_grant(
        &tokens.db,
        &row.family_id,
        row.company_id,
        &row.client_id,
        "code.reuse_detected",
        now,
    )
    .await?;
    Ok(TokenError::invalid_grant(
        "the code was already used; the tokens issued from it have been revoked",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_verifier() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches(&verifier.replace('d', "e"), challenge));
        assert!(!verifier_matches("short", challenge));
    }
}
