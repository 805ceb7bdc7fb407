//! The authorization request: its parameters (from the query string or the
//! pages' hidden fields), the checks they must pass, and whether a failed
//! check is shown as an error page or redirected back to the app.
//!
//! Until the `redirect_uri` is known to equal the registered one exactly,
//! every failure is a page ([`Rejection::Page`]), so Galley is no open
//! redirector; after that, failures go back to the app
//! ([`Rejection::Redirect`]). This file renders nothing and writes nothing.
//!
//! May touch: `store::clients` (reads), `domain::clients` (the client's
//! rules), `domain::scopes`, `pages::session` (the CSRF check), `state`.
//! Never `api` or `web`.

use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

use crate::domain::clients::{allowed_scopes, allows_grant, is_public};
use crate::{
    domain::scopes::{truncate, GrantType, ScopeSet},
    pages::session,
    state::AppState,
    store::{clients::ClientRow, StoreError},
};

/// The parameters of an authorization request, from the query string or
/// carried through the pages' forms as hidden fields.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    client_id: Option<String>,
    response_type: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

const PARAM_NAMES: [&str; 7] = [
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

impl AuthorizeParams {
    /// The parameters that are set, by name, in a fixed order (the pages'
    /// hidden fields).
    pub(super) fn pairs(&self) -> Vec<(&'static str, String)> {
        let values = [
            &self.client_id,
            &self.response_type,
            &self.redirect_uri,
            &self.scope,
            &self.state,
            &self.code_challenge,
            &self.code_challenge_method,
        ];
        PARAM_NAMES
            .iter()
            .zip(values)
            .filter_map(|(name, value)| value.clone().map(|v| (*name, v)))
            .collect()
    }

    /// The parameters as a query string.
    pub(super) fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs())
            .finish()
    }

    /// Parses a query string; repeated parameters are refused (RFC 6749 §3.1).
    fn from_query(query: &str) -> Result<Self, String> {
        let mut params = AuthorizeParams::default();
        let mut seen = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if seen.contains(&name) {
                return Err(format!(
                    "the parameter `{}` is given more than once",
                    truncate(&name, 40)
                ));
            }
            let value = Some(value.into_owned()).filter(|v| !v.is_empty());
            match name.as_ref() {
                "client_id" => params.client_id = value,
                "response_type" => params.response_type = value,
                "redirect_uri" => params.redirect_uri = value,
                "scope" => params.scope = value,
                "state" => params.state = value,
                "code_challenge" => params.code_challenge = value,
                "code_challenge_method" => params.code_challenge_method = value,
                _ => {}
            }
            seen.push(name);
        }
        Ok(params)
    }
}

/// A form posted by one of the pages: the authorization parameters plus the
/// page's own fields.
#[derive(Debug, Deserialize)]
pub struct PageForm {
    /// The authorization request, from the hidden fields.
    #[serde(flatten)]
    pub(super) params: AuthorizeParams,
    /// The CSRF token (double submit).
    csrf: Option<String>,
    /// Log-in and sign-up: the e-mail address.
    pub(super) email: Option<String>,
    /// Log-in and sign-up: the password.
    pub(super) password: Option<String>,
    /// Sign-up: the user's name.
    pub(super) name: Option<String>,
    /// Consent: `allow` or `deny`.
    pub(super) decision: Option<String>,
}

/// A request that passed every check.
pub(super) struct Valid {
    /// The app.
    pub(super) client: ClientRow,
    /// The redirect URI exactly as registered (stored with the code).
    pub(super) redirect_uri: String,
    /// The same URI parsed, to append the answer's parameters to.
    pub(super) callback: url::Url,
    /// The requested scopes, all allowed for the app.
    pub(super) scopes: ScopeSet,
    /// The app's `state`, echoed back.
    pub(super) state: Option<String>,
    /// The PKCE `S256` challenge, if any.
    pub(super) challenge: Option<String>,
}

/// Why a request cannot go on.
pub(super) enum Rejection {
    /// Shown as a page; never redirected (unknown client, wrong redirect).
    Page(StatusCode, String),
    /// A posted form whose CSRF token does not match its cookie.
    ExpiredForm,
    /// Sent back to the client's (verified) redirect URI.
    Redirect(String),
    /// Storage failed.
    Internal(anyhow::Error),
}

impl From<StoreError> for Rejection {
    fn from(e: StoreError) -> Self {
        Rejection::Internal(e.into())
    }
}

/// `callback` with the given parameters appended (keeping its query).
pub(super) fn redirect_with(callback: &url::Url, pairs: &[(&str, &str)]) -> String {
    let mut url = callback.clone();
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

/// An RFC 6749 §4.1.2.1 error sent back to the app.
pub(super) fn error_redirect(
    callback: &url::Url,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Rejection {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    Rejection::Redirect(redirect_with(callback, &pairs))
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters (an S256 challenge is
/// exactly 43).
fn is_pkce_value(value: &str, min: usize) -> bool {
    (min..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Parses and checks the query string of a `GET` request.
pub(super) async fn check_query(
    state: &AppState,
    query: Option<&str>,
) -> Result<(AuthorizeParams, Valid), Rejection> {
    let params = AuthorizeParams::from_query(query.unwrap_or(""))
        .map_err(|message| Rejection::Page(StatusCode::BAD_REQUEST, message))?;
    let valid = validate(state, &params).await?;
    Ok((params, valid))
}

/// The checks every posted page form starts with: its CSRF token, then the
/// authorization parameters it carries.
pub(super) async fn check_form(
    state: &AppState,
    headers: &HeaderMap,
    form: &PageForm,
) -> Result<Valid, Rejection> {
    if !session::csrf_ok(state, headers, form.csrf.as_deref()) {
        return Err(Rejection::ExpiredForm);
    }
    validate(state, &form.params).await
}

async fn validate(state: &AppState, params: &AuthorizeParams) -> Result<Valid, Rejection> {
    let page = |msg: &str| Rejection::Page(StatusCode::BAD_REQUEST, msg.to_string());
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| page("The request has no client_id."))?;
    if client_id.chars().count() > 128 {
        return Err(page("The client_id is not valid."));
    }
    let client = crate::store::clients::find(state.db.reader(), client_id)
        .await?
        .ok_or_else(|| {
            Rejection::Page(
                StatusCode::NOT_FOUND,
                "No app is registered with this client_id.".into(),
            )
        })?;
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .ok_or_else(|| page("The request has no redirect_uri."))?;
    if redirect_uri != client.redirect_uri {
        return Err(page(
            "The redirect_uri does not match the callback URL registered for this app.",
        ));
    }
    if crate::domain::clients::has_placeholder_callback(&client) {
        return Err(page(
            "This app's callback URL is still a placeholder, so it cannot receive an authorization. \
             Its developer must set the real callback URL in the developer hub first.",
        ));
    }
    // Registration only stores absolute URLs; anything else is bad data.
    let callback = url::Url::parse(redirect_uri).map_err(|_| {
        StoreError::Inconsistent("a registered redirect URI is not an absolute URL")
    })?;
    // From here on, errors go back to the app.
    let st = params.state.as_deref();
    if st.is_some_and(|s| s.len() > 1024) {
        return Err(error_redirect(
            &callback,
            "invalid_request",
            "state is longer than 1024 characters",
            None,
        ));
    }
    let fail = |error: &str, description: &str| error_redirect(&callback, error, description, st);
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(fail("invalid_request", "response_type is required")),
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
    }
    if !allows_grant(&client, GrantType::AuthorizationCode) {
        return Err(fail(
            "unauthorized_client",
            "this app may not use the authorization code flow",
        ));
    }
    let requested = params
        .scope
        .as_deref()
        .ok_or_else(|| fail("invalid_scope", "scope is required"))?;
    let scopes = ScopeSet::parse(requested).map_err(|e| fail("invalid_scope", &e))?;
    if scopes.is_empty() {
        return Err(fail("invalid_scope", "scope is required"));
    }
    if !scopes.is_subset_of(allowed_scopes(&client)) {
        return Err(fail(
            "invalid_scope",
            "this app may not request these scopes",
        ));
    }
    let challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method without code_challenge",
            ))
        }
        (Some(_), None | Some("plain")) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
        (Some(_), Some(m)) if m != "S256" => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
        (Some(challenge), Some(_)) => {
            if challenge.len() != 43 || !is_pkce_value(challenge, 43) {
                return Err(fail(
                    "invalid_request",
                    "code_challenge is not a base64url S256 value",
                ));
            }
            Some(challenge.to_string())
        }
    };
    if is_public(&client) && challenge.is_none() {
        return Err(fail(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required for this app",
        ));
    }
    Ok(Valid {
        redirect_uri: redirect_uri.to_string(),
        callback,
        client,
        scopes,
        state: params.state.clone(),
        challenge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(AuthorizeParams::from_query("client_id=a&client_id=b").is_err());
        let p = AuthorizeParams::from_query("client_id=a&scope=x%2Cy&extra=1").unwrap();
        assert_eq!(p.scope.as_deref(), Some("x,y"));
        assert_eq!(
            AuthorizeParams::from_query(&p.query())
                .unwrap()
                .client_id
                .as_deref(),
            Some("a")
        );
    }

    #[test]
    fn redirects_keep_the_registered_query() {
        let callback = url::Url::parse("https://app.test/cb?tenant=1").unwrap();
        let url = redirect_with(&callback, &[("code", "c d"), ("state", "s&t")]);
        assert_eq!(url, "https://app.test/cb?tenant=1&code=c+d&state=s%26t");
    }

    #[test]
    fn pkce_values() {
        assert!(is_pkce_value(&"a".repeat(43), 43));
        assert!(!is_pkce_value(&"a".repeat(42), 43));
        assert!(!is_pkce_value(&format!("{}=", "a".repeat(43)), 43));
    }
}
