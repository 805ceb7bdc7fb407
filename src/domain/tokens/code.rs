//! Authorization codes: who may grant what ([`may_grant`]), issuing a code
//! on consent ([`issue`]), and exchanging it (RFC 6749 §4.1.3) with PKCE
//! (RFC 7636).
//!
//! A storefront user grants user scopes; company scopes (they act on a
//! company's money) only an admin of the company the token will act on.
//!
//! A code is claimed once, atomically. Presenting it again revokes every
//! token issued from it (RFC 6749 §4.1.2, RFC 9700 §4.2.4). The
//! `redirect_uri` must equal the authorization request's; a `code_verifier`
//! must match the `S256` challenge, and one sent for a code issued without a
//! challenge is refused (no PKCE downgrade).
//!
//! May touch: `store` (`codes`, `users`, the client and admin row types),
//! `domain::tokens`, `domain::clients`, `domain::scopes`, `crypto`,
//! `clock`. Never an entry point.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

use serde_json::json;

use super::{
    issue, require_grant, revoke_replayed_grant, Grant, TokenError, TokenResponse, Tokens,
};
use crate::{
    clock::Clock,
    crypto,
    domain::{
        self, clients,
        scopes::{GrantType, Scope, ScopeSet, TokenType},
        Actor,
    },
    store::{clients::ClientRow, codes, companies::AdminRow, users, users::UserRow, Db},
};

/// How long an authorization code lives (5 minutes).
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;

/// Who answers an authorization request.
#[derive(Clone, Debug)]
pub enum Grantor {
    /// A storefront user (user scopes).
    User(UserRow),
    /// A company admin (company scopes, acting on the admin's company).
    Admin(AdminRow),
}

impl Grantor {
    /// The company the tokens will act in.
    pub fn company_id(&self) -> i64 {
        match self {
            Grantor::User(user) => user.company_id,
            Grantor::Admin(admin) => admin.company_id,
        }
    }

    /// The e-mail address the grantor logged in with.
    pub fn email(&self) -> &str {
        match self {
            Grantor::User(user) => &user.email,
            Grantor::Admin(admin) => &admin.email,
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Grantor::User(user) => Actor::User(user.id),
            Grantor::Admin(admin) => Actor::Admin(admin.id),
        }
    }
}

/// Whether `grantor` may grant `scopes` to `client`; the error is a
/// sentence for the page that refuses.
///
/// - A storefront user may use an app of their own company, of the company
///   whose sign-ups the app takes, or any approved public app — and grants
///   user scopes only.
/// - An admin grants for their own company, through an app of that company
///   or an approved public app.
pub fn may_grant(grantor: &Grantor, client: &ClientRow, scopes: ScopeSet) -> Result<(), String> {
    let usable_by = |company_id: i64| {
        company_id == client.company_id
            || company_id == clients::storefront_company(client)
            || clients::approved_public(client)
    };
    match grantor {
        Grantor::User(user) => {
            if scopes.has_company_scope() {
                return Err(format!(
                    "{} asks to act on a company's money ({}). Only an admin of that company can allow this, logged in with the admin account.",
                    client.name,
                    company_scopes(scopes)
                ));
            }
            if !usable_by(user.company_id) {
                return Err(format!("{} is not available to your account.", client.name));
            }
            Ok(())
        }
        Grantor::Admin(admin) => {
            if admin.company_id != client.company_id && !clients::approved_public(client) {
                return Err(format!(
                    "{} belongs to another company and is not approved for use by other companies, so it cannot act on your company's balance.",
                    client.name
                ));
            }
            Ok(())
        }
    }
}

fn company_scopes(scopes: ScopeSet) -> String {
    scopes
        .iter()
        .filter(|s| s.is_company())
        .map(Scope::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an authorization request asks for, once checked.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The app.
    pub client: &'a ClientRow,
    /// The exact registered callback the code goes back to.
    pub redirect_uri: &'a str,
    /// The scopes asked for.
    pub scopes: ScopeSet,
    /// The PKCE `S256` challenge, if sent.
    pub challenge: Option<&'a str>,
}

/// Issues a single-use code for `request`, consented to by `grantor`
/// (checked with [`may_grant`] again here). A user's consent is
/// remembered, so the same scopes are not asked again; an admin is asked
/// every time, and the grant goes to the audit trail.
pub async fn issue_code(
    db: &Db,
    clock: &dyn Clock,
    grantor: &Grantor,
    request: Request<'_>,
) -> domain::Result<String> {
    may_grant(grantor, request.client, request.scopes).map_err(domain::Error::Invalid)?;
    let code = crypto::new_secret("gly_ac_");
    let now = clock.now_ms();
    let scopes = request.scopes.to_string();
    let client_id = &request.client.client_id;
    let (user_id, admin_id) = match grantor {
        Grantor::User(user) => (Some(user.id), None),
        Grantor::Admin(admin) => (None, Some(admin.id)),
    };
    let mut tx = db.begin().await?;
    match grantor {
        Grantor::User(user) => {
            users::save_consent(&mut tx, user.id, client_id, &scopes, now).await?;
        }
        Grantor::Admin(admin) => {
            domain::record(
                &mut tx,
                &grantor.actor(),
                admin.company_id,
                "client.authorized",
                &format!("client:{client_id}"),
                json!({ "scopes": scopes }),
                now,
            )
            .await?;
        }
    }
    codes::insert(
        &mut tx,
        &codes::NewCode {
            code_hash: &crypto::hash_secret(&code),
            client_id,
            user_id,
            admin_id,
            company_id: grantor.company_id(),
            redirect_uri: request.redirect_uri,
            scopes: &scopes,
            code_challenge: request.challenge,
            family_id: &crypto::new_id(),
            expires_at: now + CODE_TTL_MS,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

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
            let subject = match (row.user_id, row.admin_id) {
                (_, Some(admin_id)) => Actor::Admin(admin_id).to_string(),
                (Some(user_id), None) => Actor::User(user_id).to_string(),
                (None, None) => {
                    return Err(TokenError::Internal(anyhow::anyhow!(
                        "code of client {} has neither user nor admin",
                        client.client_id
                    )))
                }
            };
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

fn check(row: &codes::CodeRow, presented: Presented<'_>, now: i64) -> Result<ScopeSet, TokenError> {
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

/// The `S256` code challenge of a PKCE verifier (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1 form (43–128 unreserved characters) and §4.6 `S256`
/// check, compared in constant time.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let valid_form = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    valid_form && crypto::hashes_equal(&s256_challenge(verifier), challenge)
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
