//! Tokens: minting, issuing, rotating, revoking a family, introspecting —
//! every rule of what a token is and when it stops working.
//!
//! Plain texts exist only in a [`TokenResponse`]; the store holds SHA-256
//! hashes. One module per way a token comes to be: [`code`] (an
//! authorization code is exchanged), [`refresh`] (rotation with replay
//! detection), [`credentials`] (`client_credentials`) and [`issue_for_admin`]
//! (the portal's "Generate Token" and `galley token issue`). Concurrent
//! writes go through the [`writer`].
//!
//! May touch: `store` (`tokens`, `codes`, `clients`, `companies`, `users`,
//! `audit`, `batch`), `domain::clients`, `domain::scopes`, `crypto`,
//! `clock`, the token settings of `config`. Never an entry point.

pub mod code;
pub mod credentials;
pub mod refresh;
pub mod writer;

use serde::Serialize;
use serde_json::json;

use super::{
    clients,
    scopes::{GrantType, Scope, ScopeSet, TokenType},
    Actor, Error,
};
use crate::{
    clock::Clock,
    config::TokenSettings,
    crypto,
    store::{audit, companies, tokens, tokens::TokenRow, Db, StoreError, Tx},
};

/// Why no token was issued. Each maps to one RFC 6749 error code.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The code or refresh token is not (or no longer) good
    /// (`invalid_grant`).
    #[error("{0}")]
    InvalidGrant(String),
    /// The client may not use this grant (`unauthorized_client`).
    #[error("{0}")]
    UnauthorizedClient(String),
    /// A scope is unknown or beyond what may be granted (`invalid_scope`).
    #[error("{0}")]
    InvalidScope(String),
    /// Storage failed; details are for logs only.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored data failed validation; details are for logs only.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl TokenError {
    /// The RFC 6749 §5.2 error code this refusal answers with.
    pub fn oauth_code(&self) -> &'static str {
        match self {
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnauthorizedClient(_) => "unauthorized_client",
            TokenError::InvalidScope(_) => "invalid_scope",
            TokenError::Store(_) | TokenError::Internal(_) => "server_error",
        }
    }

    fn invalid_grant(why: &str) -> Self {
        TokenError::InvalidGrant(why.to_string())
    }
}

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
    let access_expires = now + millis(settings.access_ttl);
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
        let refresh_expires = now + millis(settings.refresh_ttl);
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

/// A duration in epoch milliseconds (configured lifetimes are far below
/// `i64::MAX` ms; a larger one saturates).
fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Mints and stores the tokens of `grant` in the caller's transaction.
pub async fn issue(
    tx: &mut Tx,
    settings: &TokenSettings,
    grant: &Grant<'_>,
    now: i64,
) -> Result<TokenResponse, StoreError> {
    let (rows, response) = mint(settings, grant, now);
    tokens::insert_many(tx, &rows, now).await?;
    Ok(response)
}

/// The `scope` parameter of a token request, narrowed to `allowed`: absent
/// means all of `allowed`; an unknown or disallowed scope is refused.
pub fn requested_scopes(
    requested: Option<&str>,
    allowed: ScopeSet,
) -> Result<ScopeSet, TokenError> {
    match requested {
        None => Ok(allowed),
        Some(list) => {
            let requested = ScopeSet::parse(list).map_err(TokenError::InvalidScope)?;
            if !requested.is_subset_of(allowed) {
                return Err(TokenError::InvalidScope(format!(
                    "the requested scope exceeds what was granted ({allowed})"
                )));
            }
            if requested.is_empty() {
                return Err(TokenError::InvalidScope(
                    "the requested scope is empty".into(),
                ));
            }
            Ok(requested)
        }
    }
}

/// Issues an access token to an admin through a client (the admin portal's
/// "Generate Token" and `galley token issue`), with a refresh token only
/// when the client has the `refresh_token` grant.
pub async fn issue_for_admin(
    db: &Db,
    clock: &dyn Clock,
    settings: &TokenSettings,
    client_id: &str,
    admin_email: &str,
    scopes: &str,
) -> super::Result<TokenResponse> {
    let client = crate::store::clients::find(db.reader(), client_id)
        .await?
        .ok_or(Error::NotFound("client"))?;
    let email = super::parse_email(admin_email)?;
    let admin = companies::find_admin_by_email(db.reader(), &email)
        .await?
        .filter(|a| a.company_id == client.company_id)
        .ok_or(Error::NotFound("admin of the client's company"))?;
    let allowed = clients::allowed_scopes(&client);
    let scopes = ScopeSet::parse(scopes).map_err(Error::Invalid)?;
    if scopes.is_empty() {
        return Err(Error::Invalid("at least one scope is required".into()));
    }
    if !scopes.is_subset_of(allowed) {
        return Err(Error::Invalid(format!(
            "the client is allowed only these scopes: {allowed}"
        )));
    }
    let token_type = if scopes.contains(Scope::CompanySession) {
        TokenType::Company
    } else {
        TokenType::User
    };
    let now = clock.now_ms();
    let actor = Actor::Admin(admin.id);
    let subject = actor.to_string();
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
            with_refresh: clients::allows_grant(&client, GrantType::RefreshToken),
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
            detail: json!({ "scopes": scopes.to_string() }),
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
    db: &Db,
    family_id: &str,
    company_id: i64,
    client_id: &str,
    action: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let revoked = tokens::revoke_family(&mut tx, family_id, now).await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(company_id),
            actor: &Actor::Client(client_id.to_string()).to_string(),
            action,
            subject: &format!("token_family:{family_id}"),
            detail: json!({ "revoked_tokens": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(family = %family_id, revoked, action, "replay detected; the grant was revoked");
    Ok(revoked)
}

/// Revokes `row` at the request of `client_id` (RFC 7009): a refresh token
/// takes its whole family with it, an access token only itself. A token of
/// another client, or one already revoked, is left alone. Returns how many
/// tokens were live.
pub async fn revoke(db: &Db, now: i64, client_id: &str, row: &TokenRow) -> Result<u64, StoreError> {
    if row.client_id != client_id {
        return Ok(0);
    }
    revoke_as(db, now, &Actor::Client(client_id.to_string()), row).await
}

/// Revokes `row` at the operator's request (`galley token revoke`), whichever
/// client holds it: the same rule as [`revoke`] (a refresh token takes its
/// family, an access token only itself; one already revoked is left alone),
/// recorded as done by `actor`. Returns how many tokens were live.
pub async fn revoke_by_operator(
    db: &Db,
    now: i64,
    actor: &Actor,
    row: &TokenRow,
) -> Result<u64, StoreError> {
    revoke_as(db, now, actor, row).await
}

/// Revokes every token of the grant `family_id` of `company_id`'s client
/// `client_id` (the portal's "Revoke"), recorded as done by `actor`; a
/// grant of another company or client is not found. Returns how many
/// tokens were live.
pub async fn revoke_family(
    db: &Db,
    now: i64,
    actor: &Actor,
    company_id: i64,
    client_id: &str,
    family_id: &str,
) -> super::Result<u64> {
    match tokens::family_company(db.reader(), family_id).await? {
        Some((company, client)) if company == company_id && client == client_id => {}
        _ => return Err(Error::NotFound("token")),
    }
    let mut tx = db.begin().await?;
    let revoked = tokens::revoke_family(&mut tx, family_id, now).await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(company_id),
            actor: &actor.to_string(),
            action: "token.family_revoked",
            subject: &format!("client:{client_id}"),
            detail: json!({ "family": family_id, "revoked_tokens": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// The one body of [`revoke`] and [`revoke_by_operator`]: revokes `row` (and
/// a refresh token's family) and writes `token.revoked` as done by `actor`.
async fn revoke_as(db: &Db, now: i64, actor: &Actor, row: &TokenRow) -> Result<u64, StoreError> {
    if row.revoked_at.is_some() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let revoked = if row.kind == tokens::REFRESH {
        tokens::revoke_family(&mut tx, &row.family_id, now).await?
    } else {
        u64::from(tokens::revoke_one(&mut tx, row.id, now).await?)
    };
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(row.company_id),
            actor: &actor.to_string(),
            action: "token.revoked",
            subject: &format!("token:{}", row.id),
            detail: json!({ "kind": row.kind, "revoked_tokens": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(revoked)
}

/// True when `row` is a token that `client_id` may introspect and that is
/// still good at `now`: not revoked, not rotated, not expired (RFC 7662
/// `active`).
pub fn active_for(row: &TokenRow, client_id: &str, now: i64) -> bool {
    row.client_id == client_id
        && row.revoked_at.is_none()
        && row.rotated_at.is_none()
        && row.expires_at > now
}

/// Refuses a grant the client is not registered for.
fn require_grant(
    client: &crate::store::clients::ClientRow,
    grant: GrantType,
) -> Result<(), TokenError> {
    if clients::allows_grant(client, grant) {
        Ok(())
    } else {
        Err(TokenError::UnauthorizedClient(format!(
            "this client may not use the {} grant",
            grant.as_str()
        )))
    }
}

/// What token issuance needs at hand: the database, the clock, the
/// configured lifetimes and the batching writer. Cheap to clone.
#[derive(Clone)]
pub struct Tokens {
    /// Database handle.
    pub db: Db,
    /// Time source.
    pub clock: crate::clock::SharedClock,
    /// Lifetimes and the refresh reuse interval.
    pub settings: TokenSettings,
    /// Batched inserts and rotations.
    pub writer: writer::TokenWriter,
}

impl Tokens {
    /// Starts the writer's workers.
    pub fn start(db: Db, clock: crate::clock::SharedClock, settings: TokenSettings) -> Self {
        let writer = writer::TokenWriter::start(db.clone(), clock.clone());
        Self {
            db,
            clock,
            settings,
            writer,
        }
    }
}
