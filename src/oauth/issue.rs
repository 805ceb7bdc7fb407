//! Minting access and refresh tokens for a grant, inside the caller's
//! transaction, and the token response body.

use serde::Serialize;

use crate::{
    config::TokenSettings,
    crypto,
    domain::scopes::{GrantType, ScopeSet, TokenType},
    store::{tokens, StoreResult, Tx},
};

/// What a grant decided to issue.
#[derive(Debug)]
pub struct Grant<'a> {
    /// Client receiving the tokens.
    pub client_id: &'a str,
    /// Company the tokens act in.
    pub company_id: i64,
    /// `admin:<id>`, `user:<id>` or `company:<id>`.
    pub subject: &'a str,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// User or company token.
    pub token_type: TokenType,
    /// The grant type used.
    pub grant_type: GrantType,
    /// Existing family (refresh) or `None` for a new grant.
    pub family_id: Option<&'a str>,
    /// Refresh token being replaced.
    pub parent_id: Option<i64>,
    /// Whether to issue a refresh token too.
    pub with_refresh: bool,
}

/// Tokens as issued; the plain texts exist only here and in the response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Access-token expiry, epoch milliseconds as a string (Plum format).
    pub access_token_expiry: String,
    /// Refresh-token expiry, epoch milliseconds as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expiry: Option<String>,
}

/// Mints the tokens of `grant`: the rows to store (hashes only) and the
/// response body (plain texts). Nothing is written.
pub fn mint(
    settings: &TokenSettings,
    grant: &Grant<'_>,
    now: i64,
) -> (Vec<tokens::NewToken>, TokenResponse) {
    let family_id = grant.family_id.map_or_else(crypto::new_id, str::to_string);
    let scopes = grant.scopes.to_string();
    let access_token = crypto::new_secret(crypto::ACCESS_TOKEN_PREFIX);
    let access_expires = now + settings.access_ttl.as_millis() as i64;
    let access = tokens::NewToken {
        token_hash: crypto::hash_secret(&access_token),
        kind: tokens::ACCESS,
        token_type: grant.token_type.as_str(),
        client_id: grant.client_id.to_string(),
        company_id: grant.company_id,
        subject: grant.subject.to_string(),
        scopes: scopes.clone(),
        family_id,
        parent_id: grant.parent_id,
        grant_type: grant.grant_type.as_str(),
        expires_at: access_expires,
    };
    let mut rows = Vec::with_capacity(2);
    let (refresh_token, refresh_expiry) = if grant.with_refresh {
        let refresh = crypto::new_secret(crypto::REFRESH_TOKEN_PREFIX);
        let refresh_expires = now + settings.refresh_ttl.as_millis() as i64;
        rows.push(tokens::NewToken {
            token_hash: crypto::hash_secret(&refresh),
            kind: tokens::REFRESH,
            expires_at: refresh_expires,
            ..access.clone()
        });
        (Some(refresh), Some(refresh_expires.to_string()))
    } else {
        (None, None)
    };
    rows.push(access);
    let response = TokenResponse {
        access_token,
        token_type: "bearer",
        expires_in: settings.access_ttl.as_secs(),
        refresh_token,
        scope: scopes,
        access_token_expiry: access_expires.to_string(),
        refresh_token_expiry: refresh_expiry,
    };
    (rows, response)
}

/// Mints and stores the tokens of `grant` in the caller's transaction.
pub async fn issue(
    tx: &mut Tx,
    settings: &TokenSettings,
    grant: &Grant<'_>,
    now: i64,
) -> StoreResult<TokenResponse> {
    let (rows, response) = mint(settings, grant, now);
    tokens::insert_many(&mut *tx, &rows, now).await?;
    Ok(response)
}

/// Issues an access + refresh pair to an admin through a client (the admin
/// portal's "Generate Token" and `galley token issue`).
pub async fn issue_for_admin(
    db: &crate::store::Db,
    clock: &dyn crate::clock::Clock,
    settings: &TokenSettings,
    client_id: &str,
    admin_email: &str,
    scopes: &str,
) -> crate::domain::Result<TokenResponse> {
    use crate::domain::Error;
    use crate::store::{audit, clients, companies};

    let client = clients::find(db.reader(), client_id)
        .await?
        .ok_or(Error::NotFound("client"))?;
    let email = crate::domain::parse_email(admin_email)?;
    let admin = companies::find_admin_by_email(db.reader(), &email)
        .await?
        .filter(|a| a.company_id == client.company_id)
        .ok_or(Error::NotFound("admin of the client's company"))?;
    let allowed = super::clients::allowed_scopes(&client);
    let scopes = ScopeSet::parse(scopes).map_err(Error::Invalid)?;
    if scopes.is_empty() {
        return Err(Error::Invalid("at least one scope is required".into()));
    }
    if !scopes.is_subset_of(allowed) {
        return Err(Error::Invalid(format!(
            "the client is allowed only these scopes: {allowed}"
        )));
    }
    let token_type = if scopes.contains(crate::domain::scopes::Scope::CompanySession) {
        TokenType::Company
    } else {
        TokenType::User
    };
    let now = clock.now_ms();
    let subject = format!("admin:{}", admin.id);
    let mut tx = db.begin().await?;
    let response = issue(
        &mut tx,
        settings,
        &Grant {
            client_id: &client.client_id,
            company_id: client.company_id,
            subject: &subject,
            scopes,
            token_type,
            grant_type: GrantType::AuthorizationCode,
            family_id: None,
            parent_id: None,
            with_refresh: true,
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(client.company_id),
            actor: &subject,
            action: "token.issued",
            subject: &format!("client:{}", client.client_id),
            detail: serde_json::json!({ "scopes": scopes.to_string() }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(response)
}

/// Revokes every token of a grant whose code or refresh token was presented
/// again (RFC 9700 §4.14.2, §4.2.4), records it in the audit trail, and
/// returns how many tokens were live.
pub async fn revoke_replayed_grant(
    db: &crate::store::Db,
    family_id: &str,
    company_id: i64,
    client_id: &str,
    action: &str,
    now: i64,
) -> StoreResult<u64> {
    use crate::store::audit;
    let mut tx = db.begin().await?;
    let revoked = tokens::revoke_family(&mut tx, family_id, now).await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(company_id),
            actor: &format!("client:{client_id}"),
            action,
            subject: &format!("token_family:{family_id}"),
            detail: serde_json::json!({ "revoked_tokens": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(family = %family_id, revoked, action, "replay detected; the grant was revoked");
    Ok(revoked)
}
