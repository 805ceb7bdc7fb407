//! OAuth clients ("apps"): registration, secret rotation and authentication.
//!
//! The client secret is minted here (256 bits), shown once, and stored as a
//! SHA-256 hash. Rotation replaces the hash: the old secret stops working at
//! once, while tokens already issued stay valid (seed 002).

use axum::http::{header, HeaderMap};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::json;

use super::{error::OAuthError, params::Params};
use crate::{
    app::AppState,
    clock::Clock,
    crypto,
    domain::{
        check_name,
        scopes::{GrantType, ScopeSet},
        Error, Result,
    },
    store::{audit, clients, companies, Db},
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

/// A client as created: the secret is shown this once.
#[derive(Debug)]
pub struct CreatedClient {
    /// Public identifier.
    pub client_id: String,
    /// The secret in plain text.
    pub client_secret: String,
}

/// Registers a client.
#[tracing::instrument(skip_all, fields(company_id = new.company_id))]
pub async fn create(db: &Db, clock: &dyn Clock, new: NewClient) -> Result<CreatedClient> {
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
            visibility: if new.public { "public" } else { "private" },
            signup_company_id: new.signup_company,
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(new.company_id),
            actor: "cli",
            action: "client.created",
            subject: &format!("client:{client_id}"),
            detail: json!({ "name": name, "scopes": scopes.to_string(), "public": new.public }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedClient {
        client_id,
        client_secret,
    })
}

/// Replaces a client's secret; the old one fails from now on.
#[tracing::instrument(skip(db, clock))]
pub async fn rotate_secret(db: &Db, clock: &dyn Clock, client_id: &str) -> Result<CreatedClient> {
    let client = clients::find(db.reader(), client_id)
        .await?
        .ok_or(Error::NotFound("client"))?;
    let client_secret = crypto::new_secret(crypto::CLIENT_SECRET_PREFIX);
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !clients::replace_secret(
        &mut tx,
        client_id,
        &crypto::hash_secret(&client_secret),
        now,
    )
    .await?
    {
        return Err(Error::NotFound("client"));
    }
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(client.company_id),
            actor: "cli",
            action: "client.secret_rotated",
            subject: &format!("client:{client_id}"),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedClient {
        client_id: client.client_id,
        client_secret,
    })
}

/// Approves a public app: users of other companies may then authorize it.
#[tracing::instrument(skip(db, clock))]
pub async fn approve(db: &Db, clock: &dyn Clock, client_id: &str) -> Result<()> {
    let client = clients::find(db.reader(), client_id)
        .await?
        .ok_or(Error::NotFound("client"))?;
    if client.visibility != "public" {
        return Err(Error::Invalid(
            "only public apps need approval; this app is private".into(),
        ));
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    clients::approve(&mut tx, client_id).await?;
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(client.company_id),
            actor: "cli",
            action: "client.approved",
            subject: &format!("client:{client_id}"),
            detail: json!({}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The company whose storefront users sign up and log in through `client`.
pub fn storefront_company(client: &clients::ClientRow) -> i64 {
    client.signup_company_id.unwrap_or(client.company_id)
}

/// The client's allowed scopes.
pub fn allowed_scopes(client: &clients::ClientRow) -> ScopeSet {
    ScopeSet::parse(&client.scopes).unwrap_or_default()
}

/// True when the client may use `grant`.
pub fn allows_grant(client: &clients::ClientRow, grant: GrantType) -> bool {
    client.grant_types.split(' ').any(|g| g == grant.as_str())
}

/// Hash compared against when the client id is unknown, so that unknown ids
/// and wrong secrets take the same time.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Authenticates the client of an OAuth request: HTTP Basic (RFC 6749
/// §2.3.1, form-encoded id and secret) or `client_id` + `client_secret` in
/// the body, never both.
pub async fn authenticate(
    state: &AppState,
    params: &Params,
) -> std::result::Result<clients::ClientRow, OAuthError> {
    let (client_id, secret) = credentials(&params.headers, params)?;
    if client_id.len() > 128 || secret.len() > 256 {
        return Err(OAuthError::invalid_client());
    }
    let client = state.reader.client(client_id).await?;
    let stored = client
        .as_ref()
        .map_or(DUMMY_HASH, |c| c.secret_hash.as_str());
    match client {
        Some(client) if crypto::verify_secret(&secret, stored) => Ok(client),
        _ => Err(OAuthError::invalid_client()),
    }
}

fn credentials(
    headers: &HeaderMap,
    params: &Params,
) -> std::result::Result<(String, String), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().map_err(|_| OAuthError::invalid_client()))
        .transpose()?
        .and_then(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| rest.trim().to_string())
        });
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method: HTTP Basic or the request body",
        )),
        (Some(encoded), None) => {
            let decoded = STANDARD
                .decode(encoded)
                .map_err(|_| OAuthError::invalid_client())?;
            let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = (form_decode(id)?, form_decode(secret)?);
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in HTTP Basic",
                ));
            }
            Ok((id, secret))
        }
        (None, Some(secret)) => {
            let id = params
                .get("client_id")
                .ok_or_else(OAuthError::invalid_client)?;
            Ok((id.to_string(), secret.to_string()))
        }
        (None, None) => Err(OAuthError::invalid_client()),
    }
}

/// Decodes one `application/x-www-form-urlencoded` component.
fn form_decode(s: &str) -> std::result::Result<String, OAuthError> {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| OAuthError::invalid_client())
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
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20id:s%3Acret+x");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        let params = Params::parse(None, b"", headers.clone()).unwrap();
        assert_eq!(
            credentials(&headers, &params).unwrap(),
            ("my id".into(), "s:cret x".into())
        );
    }

    #[test]
    fn two_methods_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {}", STANDARD.encode("a:b")).parse().unwrap(),
        );
        let params = Params::parse(None, b"client_id=a&client_secret=b", headers.clone()).unwrap();
        assert!(credentials(&headers, &params).is_err());
    }
}
