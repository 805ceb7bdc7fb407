//! OAuth clients ("apps"): registration, approval, secret rotation, the
//! callback URL, the name and deletion, listing a company's apps, and the
//! questions grants ask of a client.
//!
//! The client secret is minted here (256 bits), shown once, and stored as a
//! SHA-256 hash. Rotation replaces the hash: the old secret stops working at
//! once, while tokens already issued stay valid. The `client_id` never
//! changes; a new id is a new app.
//!
//! May touch: `store` (`clients`, whose deletion also revokes the app's
//! tokens; `companies`), the audit trail (`domain::record`),
//! `domain::scopes`, `crypto`, `clock`. Never an entry point.

use std::{fmt, str::FromStr};

use serde_json::json;

use super::{
    check_name,
    scopes::{GrantType, ScopeSet},
    Actor, Error, Result,
};
use crate::{
    clock::Clock,
    crypto,
    store::{clients, clients::ClientRow, companies, Db, Tx},
};

/// A validated callback URL: absolute, no fragment, `https` (or `http` on a
/// loopback host, or a private-use scheme for native apps). Compared with
/// incoming `redirect_uri` values by exact string equality (RFC 9700 §2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates `raw`.
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(format!("redirect URI: {why}"));
        if raw.len() > 2000 {
            return Err(bad("must have at most 2000 characters"));
        }
        let url = url::Url::parse(raw)
            .map_err(|_| bad("must be an absolute URL such as https://app.example.com/callback"))?;
        if url.fragment().is_some() {
            return Err(bad("must not contain a fragment (#...)"));
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
                if !loopback {
                    return Err(bad("must use https (http is allowed only on localhost)"));
                }
            }
            "javascript" | "data" | "file" | "vbscript" | "blob" => {
                return Err(bad("scheme is not allowed"))
            }
            _ => {}
        }
        Ok(Self(raw.to_string()))
    }

    /// The URL as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may use an app: its own company only, or any company's users once
/// the operator approved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Usable by its own company only.
    Private,
    /// Usable by other companies' users once approved.
    Public,
}

impl Visibility {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Public => "public",
        }
    }
}

impl FromStr for Visibility {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "private" => Ok(Visibility::Private),
            "public" => Ok(Visibility::Public),
            other => Err(format!("unknown app visibility `{other}`")),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Input of [`create`].
#[derive(Debug)]
pub struct NewClient {
    /// Owning company.
    pub company_id: i64,
    /// App name.
    pub name: String,
    /// The one callback URL.
    pub redirect_uri: String,
    /// Allowed scopes (comma- or space-separated).
    pub scopes: String,
    /// Allowed grant types; `None` = authorization_code and refresh_token.
    pub grant_types: Option<String>,
    /// Usable by other companies once approved.
    pub public: bool,
    /// Company whose users sign up through a public app (default: its own).
    pub signup_company: Option<i64>,
}

/// A client's credentials as minted: the secret is shown this once.
#[derive(Debug)]
pub struct Credentials {
    /// Public identifier.
    pub client_id: String,
    /// The secret in plain text.
    pub client_secret: String,
}

/// Registers a client.
pub async fn create(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    new: NewClient,
) -> Result<Credentials> {
    create_app(db, clock, actor, new, &AppDetails::default()).await
}

/// What an app shows on its consent page, as typed in the developer hub.
#[derive(Clone, Debug, Default)]
pub struct AppDetails {
    /// What the app does (at most 500 characters).
    pub description: String,
    /// Its home page: an https URL, or "".
    pub homepage_url: String,
    /// Its logo: an https URL, or "".
    pub logo_url: String,
}

impl AppDetails {
    /// Trims and checks each field.
    fn checked(&self) -> Result<AppDetails> {
        let description = self.description.trim();
        if description.chars().count() > 500 {
            return Err(Error::Invalid(
                "the description may have at most 500 characters".into(),
            ));
        }
        let url = |field: &str, value: &str| -> Result<String> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(String::new());
            }
            match url::Url::parse(value) {
                Ok(u) if u.scheme() == "https" && u.host_str().is_some() && value.len() <= 2000 => {
                    Ok(value.to_string())
                }
                _ => Err(Error::Invalid(format!(
                    "{field} must be an https URL such as https://app.example.com"
                ))),
            }
        };
        Ok(AppDetails {
            description: description.to_string(),
            homepage_url: url("the home page", &self.homepage_url)?,
            logo_url: url("the logo URL", &self.logo_url)?,
        })
    }
}

/// The callback URL of an app whose developer has none yet (the hub's "I
/// don't have one yet"): on the reserved `.invalid` domain, so it can never
/// receive a code. The authorization endpoint refuses it with a page that
/// says so, and a public app cannot be submitted for review with it.
pub const PLACEHOLDER_CALLBACK: &str = "https://callback.placeholder.invalid/oauth";

/// True when the app's callback is a placeholder (any `.invalid` host).
pub fn has_placeholder_callback(client: &ClientRow) -> bool {
    url::Url::parse(&client.redirect_uri)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h == "invalid" || h.ends_with(".invalid"))
        })
        .unwrap_or(false)
}

/// Registers an app with its consent-page details, in one transaction.
#[tracing::instrument(skip_all, fields(company_id = new.company_id, %actor))]
pub async fn create_app(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    new: NewClient,
    details: &AppDetails,
) -> Result<Credentials> {
    let details = details.checked()?;
    let name = check_name("app name", &new.name, 100)?;
    let redirect_uri = RedirectUri::parse(new.redirect_uri.trim())?;
    let scopes = ScopeSet::parse(&new.scopes).map_err(Error::Invalid)?;
    if scopes.is_empty() {
        return Err(Error::Invalid("at least one scope is required".into()));
    }
    let grants = match &new.grant_types {
        Some(list) => GrantType::parse_list(list).map_err(Error::Invalid)?,
        None => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
    };
    if grants.is_empty() {
        return Err(Error::Invalid("at least one grant type is required".into()));
    }
    if companies::find(db.reader(), new.company_id)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("company"));
    }
    if let Some(signup) = new.signup_company {
        if !new.public {
            return Err(Error::Invalid(
                "a sign-up company can only be set for a public app (--public)".into(),
            ));
        }
        if companies::find(db.reader(), signup).await?.is_none() {
            return Err(Error::NotFound("sign-up company"));
        }
    }
    let visibility = if new.public {
        Visibility::Public
    } else {
        Visibility::Private
    };
    let client_id = crypto::new_id();
    let client_secret = crypto::new_secret(crypto::CLIENT_SECRET_PREFIX);
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    clients::insert(
        &mut tx,
        &clients::NewClient {
            client_id: &client_id,
            company_id: new.company_id,
            name: &name,
            secret_hash: &crypto::hash_secret(&client_secret),
            redirect_uri: redirect_uri.as_str(),
            scopes: &scopes.to_string(),
            grant_types: &GrantType::join(&grants),
            visibility: visibility.as_str(),
            signup_company_id: new.signup_company,
        },
        now,
    )
    .await?;
    let has_details = [
        &details.description,
        &details.homepage_url,
        &details.logo_url,
    ]
    .iter()
    .any(|d| !d.is_empty());
    if has_details {
        clients::update_details(
            &mut tx,
            &client_id,
            &clients::Details {
                description: &details.description,
                homepage_url: &details.homepage_url,
                logo_url: &details.logo_url,
            },
        )
        .await?;
    }
    record(
        &mut tx,
        actor,
        new.company_id,
        "client.created",
        &client_id,
        json!({ "name": name, "scopes": scopes.to_string(), "public": new.public }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Credentials {
        client_id,
        client_secret,
    })
}

/// Replaces a client's secret; the old one fails from now on, tokens
/// already issued stay valid.
pub async fn rotate_secret(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
) -> Result<Credentials> {
    refresh_secret(db, clock, actor, client_id, 0).await
}

/// The longest the previous secret may keep working after a refresh.
pub const MAX_SECRET_GRACE_HOURS: i64 = 7 * 24;

/// Replaces a client's secret, keeping the old one valid for
/// `grace_hours` more (0: it fails from now on). Tokens already issued
/// stay valid; the `client_id` never changes.
#[tracing::instrument(skip(db, clock))]
pub async fn refresh_secret(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
    grace_hours: i64,
) -> Result<Credentials> {
    if !(0..=MAX_SECRET_GRACE_HOURS).contains(&grace_hours) {
        return Err(Error::Invalid(format!(
            "the old secret may keep working for 0 to {MAX_SECRET_GRACE_HOURS} hours"
        )));
    }
    let client = find(db, client_id).await?;
    let client_secret = crypto::new_secret(crypto::CLIENT_SECRET_PREFIX);
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !clients::replace_secret(
        &mut tx,
        client_id,
        &crypto::hash_secret(&client_secret),
        now + grace_hours * 3_600_000,
        now,
    )
    .await?
    {
        return Err(Error::NotFound("client"));
    }
    record(
        &mut tx,
        actor,
        client.company_id,
        "client.secret_rotated",
        client_id,
        json!({ "grace_hours": grace_hours }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Credentials {
        client_id: client.client_id,
        client_secret,
    })
}

/// Approves a public app: users of other companies may then authorize it.
#[tracing::instrument(skip(db, clock))]
pub async fn approve(db: &Db, clock: &dyn Clock, actor: &Actor, client_id: &str) -> Result<()> {
    let client = find(db, client_id).await?;
    if visibility(&client)? != Visibility::Public {
        return Err(Error::Invalid(
            "only public apps need approval; this app is private".into(),
        ));
    }
    review(db, clock, actor, &client, Review::Approved, "").await
}

/// Rejects a public app, with the reason its developer will read.
#[tracing::instrument(skip(db, clock))]
pub async fn reject(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
    reason: &str,
) -> Result<()> {
    let client = find(db, client_id).await?;
    if visibility(&client)? != Visibility::Public {
        return Err(Error::Invalid(
            "only public apps are reviewed; this app is private".into(),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(Error::Invalid(
            "say why in 1 to 1000 characters (--reason)".into(),
        ));
    }
    review(db, clock, actor, &client, Review::Rejected, reason).await
}

/// Sends a public app to the operator for review. Its callback must be a
/// real one by then (not the placeholder).
#[tracing::instrument(skip(db, clock))]
pub async fn submit_for_review(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
) -> Result<()> {
    let client = find(db, client_id).await?;
    if visibility(&client)? != Visibility::Public {
        return Err(Error::Invalid(
            "only public apps are reviewed; a private app works at once".into(),
        ));
    }
    if has_placeholder_callback(&client) {
        return Err(Error::Invalid(
            "replace the placeholder callback URL with your app's real one before submitting"
                .into(),
        ));
    }
    match review_of(&client) {
        Review::Submitted => Err(Error::Invalid(
            "the app is already waiting for review".into(),
        )),
        Review::Approved => Err(Error::Invalid("the app is already approved".into())),
        Review::Draft | Review::Rejected => {
            review(db, clock, actor, &client, Review::Submitted, "").await
        }
    }
}

/// Where a public app's review stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    /// Not submitted yet.
    Draft,
    /// Waiting for the operator.
    Submitted,
    /// Users of other companies may authorize it.
    Approved,
    /// Sent back, with a reason.
    Rejected,
}

impl Review {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Draft => "draft",
            Review::Submitted => "submitted",
            Review::Approved => "approved",
            Review::Rejected => "rejected",
        }
    }
}

/// A public app's review (a stored value Galley did not write reads as a
/// draft: nothing is granted on it).
pub fn review_of(client: &ClientRow) -> Review {
    match client.review.as_str() {
        "submitted" => Review::Submitted,
        "approved" if client.approved == 1 => Review::Approved,
        "rejected" => Review::Rejected,
        _ => Review::Draft,
    }
}

async fn review(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client: &ClientRow,
    to: Review,
    reason: &str,
) -> Result<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !clients::set_review(&mut tx, &client.client_id, to.as_str(), reason).await? {
        return Err(Error::NotFound("client"));
    }
    let action = match to {
        Review::Draft => "client.review_withdrawn",
        Review::Submitted => "client.submitted",
        Review::Approved => "client.approved",
        Review::Rejected => "client.rejected",
    };
    record(
        &mut tx,
        actor,
        client.company_id,
        action,
        &client.client_id,
        json!({ "reason": reason }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the developer hub's Basic Info tab saves.
#[derive(Clone, Debug)]
pub struct BasicInfo {
    /// App name.
    pub name: String,
    /// The one callback URL ([`PLACEHOLDER_CALLBACK`] when there is none yet).
    pub redirect_uri: String,
    /// Consent-page details.
    pub details: AppDetails,
}

/// Saves an app's Basic Info in one transaction. A new callback URL on an
/// approved public app sends it back for review.
#[tracing::instrument(skip(db, clock, info))]
pub async fn update_basic_info(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
    info: &BasicInfo,
) -> Result<()> {
    let client = find(db, client_id).await?;
    let name = check_name("app name", &info.name, 100)?;
    let redirect_uri = RedirectUri::parse(info.redirect_uri.trim())?;
    let details = info.details.checked()?;
    let callback_changed = redirect_uri.as_str() != client.redirect_uri;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let saved = clients::update_name(&mut tx, client_id, &name).await?
        && clients::update_redirect_uri(&mut tx, client_id, redirect_uri.as_str()).await?
        && clients::update_details(
            &mut tx,
            client_id,
            &clients::Details {
                description: &details.description,
                homepage_url: &details.homepage_url,
                logo_url: &details.logo_url,
            },
        )
        .await?;
    if !saved {
        return Err(Error::NotFound("client"));
    }
    let back_to_review =
        callback_changed && is_public(&client) && review_of(&client) == Review::Approved;
    if back_to_review {
        clients::set_review(&mut tx, client_id, Review::Submitted.as_str(), "").await?;
    }
    record(
        &mut tx,
        actor,
        client.company_id,
        "client.updated",
        client_id,
        json!({ "name": name, "redirect_uri": redirect_uri.as_str(), "back_to_review": back_to_review }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets an app's scopes, and whether it may use the client credentials
/// grant (private apps only). Authorization code and refresh are always on.
#[tracing::instrument(skip(db, clock))]
pub async fn set_access(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
    scopes: &str,
    client_credentials: bool,
) -> Result<()> {
    let client = find(db, client_id).await?;
    let scopes = ScopeSet::parse(scopes).map_err(Error::Invalid)?;
    if scopes.is_empty() {
        return Err(Error::Invalid("choose at least one scope".into()));
    }
    if client_credentials && is_public(&client) {
        return Err(Error::Invalid(
            "a public app cannot use client credentials: it holds no secret of its own company"
                .into(),
        ));
    }
    let mut grants = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    if client_credentials {
        grants.push(GrantType::ClientCredentials);
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !clients::update_access(
        &mut tx,
        client_id,
        &scopes.to_string(),
        &GrantType::join(&grants),
    )
    .await?
    {
        return Err(Error::NotFound("client"));
    }
    record(
        &mut tx,
        actor,
        client.company_id,
        "client.access_changed",
        client_id,
        json!({ "scopes": scopes.to_string(), "grant_types": GrantType::join(&grants) }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// True when `secret` is the client's secret, or its previous one within
/// the grace period chosen at the last refresh. Both comparisons run, in
/// constant time, whatever the first one says.
pub fn secret_matches(client: &ClientRow, secret: &str, now: i64) -> bool {
    let current = crypto::verify_secret(secret, &client.secret_hash);
    let previous = !client.previous_secret_hash.is_empty()
        && crypto::verify_secret(secret, &client.previous_secret_hash);
    current | (previous & (now < client.previous_secret_until))
}

/// Replaces the one callback URL. Codes already issued keep the URL they
/// were issued for (the exchange compares against the code's own). An
/// approved public app goes back for review.
#[tracing::instrument(skip(db, clock))]
pub async fn change_redirect_uri(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
    redirect_uri: &str,
) -> Result<()> {
    let client = find(db, client_id).await?;
    let redirect_uri = RedirectUri::parse(redirect_uri.trim())?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !clients::update_redirect_uri(&mut tx, client_id, redirect_uri.as_str()).await? {
        return Err(Error::NotFound("client"));
    }
    let back_to_review = redirect_uri.as_str() != client.redirect_uri
        && is_public(&client)
        && review_of(&client) == Review::Approved;
    if back_to_review {
        clients::set_review(&mut tx, client_id, Review::Submitted.as_str(), "").await?;
    }
    record(
        &mut tx,
        actor,
        client.company_id,
        "client.redirect_uri_changed",
        client_id,
        json!({ "redirect_uri": redirect_uri.as_str(), "back_to_review": back_to_review }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Renames an app (the name its consent pages show).
#[tracing::instrument(skip(db, clock))]
pub async fn rename(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    client_id: &str,
    name: &str,
) -> Result<()> {
    let client = find(db, client_id).await?;
    let name = check_name("app name", name, 100)?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !clients::update_name(&mut tx, client_id, &name).await? {
        return Err(Error::NotFound("client"));
    }
    record(
        &mut tx,
        actor,
        client.company_id,
        "client.renamed",
        client_id,
        json!({ "name": name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A company's apps (deleted ones left out), oldest first.
pub async fn list(db: &Db, company_id: i64) -> Result<Vec<ClientRow>> {
    if companies::find(db.reader(), company_id).await?.is_none() {
        return Err(Error::NotFound("company"));
    }
    Ok(clients::list_by_company(db.reader(), company_id).await?)
}

/// Deletes an app: every token it holds is revoked, its unused codes and
/// its users' consents are dropped, and its id stops authenticating. The
/// audit trail keeps its history.
#[tracing::instrument(skip(db, clock))]
pub async fn delete(db: &Db, clock: &dyn Clock, actor: &Actor, client_id: &str) -> Result<()> {
    let client = find(db, client_id).await?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let revoked = clients::delete(&mut tx, client_id, now).await?;
    record(
        &mut tx,
        actor,
        client.company_id,
        "client.deleted",
        client_id,
        json!({ "revoked_tokens": revoked }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A client (not deleted) by id.
pub async fn find(db: &Db, client_id: &str) -> Result<ClientRow> {
    clients::find(db.reader(), client_id)
        .await?
        .ok_or(Error::NotFound("client"))
}

async fn record(
    tx: &mut Tx,
    actor: &Actor,
    company_id: i64,
    action: &str,
    client_id: &str,
    detail: serde_json::Value,
    now: i64,
) -> Result<()> {
    let subject = format!("client:{client_id}");
    super::record(tx, actor, company_id, action, &subject, detail, now).await?;
    Ok(())
}

/// The stored visibility of `client`; a value that fails to parse is an
/// internal error (the row was not written by Galley).
pub fn visibility(client: &ClientRow) -> Result<Visibility> {
    client
        .visibility
        .parse()
        .map_err(|e: String| Error::Internal(anyhow::anyhow!(e)))
}

/// True when `client` is a public app the operator approved: users of
/// other companies may authorize it.
pub fn approved_public(client: &ClientRow) -> bool {
    matches!(visibility(client), Ok(Visibility::Public)) && client.approved == 1
}

/// True when `client` is a public app (PKCE required, no secret trusted).
pub fn is_public(client: &ClientRow) -> bool {
    matches!(visibility(client), Ok(Visibility::Public))
}

/// The company whose storefront users sign up and log in through `client`.
pub fn storefront_company(client: &ClientRow) -> i64 {
    client.signup_company_id.unwrap_or(client.company_id)
}

/// The client's allowed scopes.
pub fn allowed_scopes(client: &ClientRow) -> ScopeSet {
    ScopeSet::parse(&client.scopes).unwrap_or_default()
}

/// True when the client may use `grant`.
pub fn allows_grant(client: &ClientRow, grant: GrantType) -> bool {
    client.grant_types.split(' ').any(|g| g == grant.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        assert!(RedirectUri::parse("https://app.example.com/cb?x=1").is_ok());
        assert!(RedirectUri::parse("http://localhost:3000/cb").is_ok());
        assert!(RedirectUri::parse("com.example.app:/oauth").is_ok());
        assert!(RedirectUri::parse("http://app.example.com/cb").is_err());
        assert!(RedirectUri::parse("https://app.example.com/cb#frag").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
    }

    #[test]
    fn visibility_round_trips() {
        for v in [Visibility::Private, Visibility::Public] {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(v));
        }
        assert!("secret".parse::<Visibility>().is_err());
    }
}
