//! The authorization endpoint (RFC 6749 §4.1, seed 001): `GET
//! /v1/oauth/authorize` and the storefront pages behind it — log-in,
//! sign-up, consent — ending in a redirect with a code or an error.
//!
//! Checks follow RFC 9700: the `redirect_uri` must equal the registered one
//! exactly, and until it is known to be right no error is ever redirected
//! (an error page is shown instead, so Galley is no open redirector); PKCE
//! is `S256` only and required for public apps; codes are single-use and
//! live five minutes. No CORS headers are ever sent here.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Form, Router,
};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::clients::{allowed_scopes, allows_grant, storefront_company};
use crate::{
    app::AppState,
    crypto,
    domain::{
        self,
        scopes::{truncate, GrantType, ScopeSet},
    },
    store::{audit, clients::ClientRow, codes, rate_limits, users},
    web::session,
};

/// How long an authorization code lives (seed 001: 5 minutes).
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Failed log-ins allowed per account per window.
const LOGIN_LIMIT_PER_ACCOUNT: i64 = 10;
/// Failed log-ins and sign-ups allowed per client address per window.
const LOGIN_LIMIT_PER_ADDRESS: i64 = 50;
/// Rate-limit window.
const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Routes of the authorization endpoint and its pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/oauth/authorize", get(authorize).post(decide))
        .route("/v1/oauth/authorize/login", post(login))
        .route("/v1/oauth/authorize/signup", get(signup_page).post(signup))
}

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
    fn pairs(&self) -> Vec<(&'static str, String)> {
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

    fn query(&self) -> String {
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
    #[serde(flatten)]
    params: AuthorizeParams,
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
    name: Option<String>,
    decision: Option<String>,
}

/// A request that passed every check.
struct Valid {
    client: ClientRow,
    redirect_uri: String,
    scopes: ScopeSet,
    state: Option<String>,
    challenge: Option<String>,
}

/// Why a request cannot go on.
enum Rejection {
    /// Shown as a page; never redirected (unknown client, wrong redirect).
    Page(StatusCode, String),
    /// Sent back to the client's (verified) redirect URI.
    Redirect(String),
    /// Storage failed.
    Internal(crate::store::StoreError),
}

impl From<crate::store::StoreError> for Rejection {
    fn from(e: crate::store::StoreError) -> Self {
        Rejection::Internal(e)
    }
}

impl From<sqlx::Error> for Rejection {
    fn from(e: sqlx::Error) -> Self {
        Rejection::Internal(e.into())
    }
}

/// `{redirect_uri}` with the given parameters appended (keeping its query).
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url =
        url::Url::parse(redirect_uri).expect("registered redirect URIs are absolute URLs");
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Rejection {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    Rejection::Redirect(redirect_with(redirect_uri, &pairs))
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters (an S256 challenge is
/// exactly 43).
fn is_pkce_value(value: &str, min: usize) -> bool {
    (min..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

async fn validate(state: &AppState, params: &AuthorizeParams) -> Result<Valid, Rejection> {
    let page = |msg: &str| Rejection::Page(StatusCode::BAD_REQUEST, msg.to_string());
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| page("The request has no client_id."))?;
    if client_id.len() > 128 {
        return Err(page("The client_id is not valid."));
    }
    let client = crate::store::clients::find(state.db.reader(), client_id)
        .await?
        .ok_or_else(|| page("No app is registered with this client_id."))?;
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .ok_or_else(|| page("The request has no redirect_uri."))?;
    if redirect_uri != client.redirect_uri {
        return Err(page(
            "The redirect_uri does not match the callback URL registered for this app.",
        ));
    }
    // From here on, errors go back to the app.
    let st = params.state.as_deref();
    if st.is_some_and(|s| s.len() > 1024) {
        return Err(error_redirect(
            redirect_uri,
            "invalid_request",
            "state is longer than 1024 characters",
            None,
        ));
    }
    let fail =
        |error: &str, description: &str| error_redirect(redirect_uri, error, description, st);
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
    if client.visibility == "public" && challenge.is_none() {
        return Err(fail(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required for this app",
        ));
    }
    Ok(Valid {
        redirect_uri: redirect_uri.to_string(),
        client,
        scopes,
        state: params.state.clone(),
        challenge,
    })
}

/// The company whose storefront users may use this app.
fn user_may_use(client: &ClientRow, user: &users::UserRow) -> bool {
    user.company_id == storefront_company(client)
        || user.company_id == client.company_id
        || (client.visibility == "public" && client.approved == 1)
}

fn reject(state: &AppState, rejection: Rejection) -> Response {
    match rejection {
        Rejection::Page(status, message) => error_page(
            state,
            status,
            "This authorization request cannot be completed",
            &message,
        ),
        Rejection::Redirect(url) => see_other(&url, None),
        Rejection::Internal(e) => {
            tracing::error!(error = %e, "authorization failed");
            error_page(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again later.",
            )
        }
    }
}

fn error_page(state: &AppState, status: StatusCode, title: &str, message: &str) -> Response {
    state.templates.page(
        status,
        "error.html",
        context! { base_path => state.config.public_url.base_path(), title, message },
    )
}

fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
        }
        Err(_) => *response.status_mut() = StatusCode::BAD_REQUEST,
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn authorize_url(state: &AppState, params: &AuthorizeParams) -> String {
    format!(
        "{}/v1/oauth/authorize?{}",
        state.config.public_url.base_path(),
        params.query()
    )
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    client: &ClientRow,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Response {
    let (csrf, cookie) = session::csrf_token(state, headers);
    let base_path = state.config.public_url.base_path();
    let page = state.templates.page(
        status,
        "login.html",
        context! {
            base_path, csrf, error, email,
            client_name => client.name,
            params => params.pairs(),
            signup_url => format!("{base_path}/v1/oauth/authorize/signup?{}", params.query()),
        },
    );
    with_cookie(page, cookie)
}

/// What the sign-up form shows again: the values the user typed.
#[derive(Clone, Copy, Default)]
struct Typed<'a> {
    name: &'a str,
    email: &'a str,
}

fn signup_page_for(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    client: &ClientRow,
    status: StatusCode,
    error: Option<&str>,
    Typed { name, email }: Typed<'_>,
) -> Response {
    let (csrf, cookie) = session::csrf_token(state, headers);
    let page = state.templates.page(
        status,
        "signup.html",
        context! {
            base_path => state.config.public_url.base_path(), csrf, error, name, email,
            client_name => client.name,
            params => params.pairs(),
            login_url => authorize_url(state, params),
        },
    );
    with_cookie(page, cookie)
}

fn consent_page(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    valid: &Valid,
    user: &users::UserRow,
) -> Response {
    let (csrf, cookie) = session::csrf_token(state, headers);
    let scopes: Vec<_> = valid
        .scopes
        .iter()
        .map(|s| json!({ "name": s.as_str(), "description": s.describe() }))
        .collect();
    let redirect_host = url::Url::parse(&valid.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| valid.redirect_uri.clone());
    let page = state.templates.page(
        StatusCode::OK,
        "consent.html",
        context! {
            base_path => state.config.public_url.base_path(), csrf, scopes, redirect_host,
            client_name => valid.client.name,
            user_email => user.email,
            params => params.pairs(),
        },
    );
    with_cookie(page, cookie)
}

/// Issues a code and answers the redirect to the app.
async fn grant_code(
    state: &AppState,
    valid: &Valid,
    user: &users::UserRow,
) -> Result<Response, Rejection> {
    let code = crypto::new_secret("gly_ac_");
    let now = state.clock.now_ms();
    let scopes = valid.scopes.to_string();
    let mut tx = state.db.begin().await?;
    users::save_consent(&mut tx, user.id, &valid.client.client_id, &scopes, now).await?;
    codes::insert(
        &mut tx,
        &codes::NewCode {
            code_hash: &crypto::hash_secret(&code),
            client_id: &valid.client.client_id,
            user_id: user.id,
            company_id: user.company_id,
            redirect_uri: &valid.redirect_uri,
            scopes: &scopes,
            code_challenge: valid.challenge.as_deref(),
            family_id: &crypto::new_id(),
            expires_at: now + CODE_TTL_MS,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(st) = valid.state.as_deref() {
        pairs.push(("state", st));
    }
    Ok(see_other(&redirect_with(&valid.redirect_uri, &pairs), None))
}

/// `GET /v1/oauth/authorize`.
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match AuthorizeParams::from_query(query.as_deref().unwrap_or("")) {
        Ok(params) => params,
        Err(message) => return reject(&state, Rejection::Page(StatusCode::BAD_REQUEST, message)),
    };
    let valid = match validate(&state, &params).await {
        Ok(valid) => valid,
        Err(rejection) => return reject(&state, rejection),
    };
    let user = match session::current_user(&state, &headers).await {
        Ok(user) => user.filter(|u| user_may_use(&valid.client, u)),
        Err(e) => return reject(&state, e.into()),
    };
    let Some(user) = user else {
        return login_page(
            &state,
            &headers,
            &params,
            &valid.client,
            StatusCode::OK,
            None,
            "",
        );
    };
    // Not asked again for scopes already granted to this app.
    match users::consent(state.db.reader(), user.id, &valid.client.client_id).await {
        Ok(Some(granted))
            if ScopeSet::parse(&granted).is_ok_and(|g| valid.scopes.is_subset_of(g)) =>
        {
            grant_code(&state, &valid, &user)
                .await
                .unwrap_or_else(|r| reject(&state, r))
        }
        Ok(_) => consent_page(&state, &headers, &params, &valid, &user),
        Err(e) => reject(&state, e.into()),
    }
}

/// `POST /v1/oauth/authorize`: the consent decision.
async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PageForm>,
) -> Response {
    let valid = match check_form(&state, &headers, &form).await {
        Ok(valid) => valid,
        Err(response) => return response,
    };
    let user = match session::current_user(&state, &headers).await {
        Ok(user) => user.filter(|u| user_may_use(&valid.client, u)),
        Err(e) => return reject(&state, e.into()),
    };
    let Some(user) = user else {
        return login_page(
            &state,
            &headers,
            &form.params,
            &valid.client,
            StatusCode::OK,
            None,
            "",
        );
    };
    match form.decision.as_deref() {
        Some("allow") => grant_code(&state, &valid, &user)
            .await
            .unwrap_or_else(|r| reject(&state, r)),
        Some("deny") => reject(
            &state,
            error_redirect(
                &valid.redirect_uri,
                "access_denied",
                "The user denied the request",
                valid.state.as_deref(),
            ),
        ),
        _ => error_page(
            &state,
            StatusCode::BAD_REQUEST,
            "Choose Allow or Deny",
            "The form had no decision.",
        ),
    }
}

fn csrf_failure(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Go back to the app and start again. (The form's security token did not match.)",
    )
}

/// The checks every posted page form starts with: its CSRF token, then the
/// authorization parameters it carries.
async fn check_form(
    state: &AppState,
    headers: &HeaderMap,
    form: &PageForm,
) -> Result<Valid, Response> {
    if !session::csrf_ok(headers, form.csrf.as_deref()) {
        return Err(csrf_failure(state));
    }
    validate(state, &form.params)
        .await
        .map_err(|rejection| reject(state, rejection))
}

/// Over the limit for `bucket` in the current window?
async fn limited(state: &AppState, bucket: &str, limit: i64) -> Result<bool, Rejection> {
    let window = state.clock.now_ms() / WINDOW_MS * WINDOW_MS;
    Ok(rate_limits::hits(&state.db, bucket, window).await? >= limit)
}

async fn count(state: &AppState, bucket: &str) -> Result<(), Rejection> {
    let window = state.clock.now_ms() / WINDOW_MS * WINDOW_MS;
    rate_limits::hit(&state.db, bucket, window).await?;
    Ok(())
}

/// `POST /v1/oauth/authorize/login`.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<PageForm>,
) -> Response {
    let valid = match check_form(&state, &headers, &form).await {
        Ok(valid) => valid,
        Err(response) => return response,
    };
    let email = form.email.clone().unwrap_or_default();
    let company = storefront_company(&valid.client);
    let account = format!(
        "login:account:{company}:{}",
        email.trim().to_ascii_lowercase()
    );
    let address = format!("login:address:{}", peer.ip());
    let over = async {
        Ok::<_, Rejection>(
            limited(&state, &account, LOGIN_LIMIT_PER_ACCOUNT).await?
                || limited(&state, &address, LOGIN_LIMIT_PER_ADDRESS).await?,
        )
    };
    match over.await {
        Ok(true) => {
            return login_page(
                &state,
                &headers,
                &form.params,
                &valid.client,
                StatusCode::TOO_MANY_REQUESTS,
                Some("Too many failed attempts. Wait 15 minutes, then try again."),
                &email,
            )
        }
        Ok(false) => {}
        Err(r) => return reject(&state, r),
    }
    let password = form.password.clone().unwrap_or_default();
    match domain::users::log_in(&state.db, company, &email, password).await {
        Ok(Some(user)) => match session::open(&state, user.id).await {
            Ok(cookie) => see_other(&authorize_url(&state, &form.params), Some(cookie)),
            Err(e) => reject(&state, e.into()),
        },
        Ok(None) => {
            for bucket in [&account, &address] {
                if let Err(r) = count(&state, bucket).await {
                    return reject(&state, r);
                }
            }
            login_page(
                &state,
                &headers,
                &form.params,
                &valid.client,
                StatusCode::UNAUTHORIZED,
                Some("The e-mail address or the password is not right."),
                &email,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "log-in failed");
            error_page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again later.",
            )
        }
    }
}

/// `GET /v1/oauth/authorize/signup`.
async fn signup_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match AuthorizeParams::from_query(query.as_deref().unwrap_or("")) {
        Ok(params) => params,
        Err(message) => return reject(&state, Rejection::Page(StatusCode::BAD_REQUEST, message)),
    };
    match validate(&state, &params).await {
        Ok(valid) => signup_page_for(
            &state,
            &headers,
            &params,
            &valid.client,
            StatusCode::OK,
            None,
            Typed::default(),
        ),
        Err(rejection) => reject(&state, rejection),
    }
}

/// `POST /v1/oauth/authorize/signup`: creates a storefront user in the app's
/// company and logs them in.
async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<PageForm>,
) -> Response {
    let valid = match check_form(&state, &headers, &form).await {
        Ok(valid) => valid,
        Err(response) => return response,
    };
    let address = format!("signup:address:{}", peer.ip());
    let name = form.name.clone().unwrap_or_default();
    let email = form.email.clone().unwrap_or_default();
    match limited(&state, &address, LOGIN_LIMIT_PER_ADDRESS).await {
        Ok(false) => {}
        Ok(true) => {
            let message = "Too many sign-ups from your address. Wait 15 minutes, then try again.";
            return signup_page_for(
                &state,
                &headers,
                &form.params,
                &valid.client,
                StatusCode::TOO_MANY_REQUESTS,
                Some(message),
                Typed {
                    name: &name,
                    email: &email,
                },
            );
        }
        Err(r) => return reject(&state, r),
    }
    if let Err(r) = count(&state, &address).await {
        return reject(&state, r);
    }
    let password = form.password.clone().unwrap_or_default();
    let company = storefront_company(&valid.client);
    match domain::users::sign_up(&state.db, &*state.clock, company, &name, &email, password).await {
        Ok(user_id) => {
            let now = state.clock.now_ms();
            if let Ok(mut tx) = state.db.begin().await {
                let event = audit::Event {
                    company_id: Some(company),
                    actor: &format!("user:{user_id}"),
                    action: "user.signed_up",
                    subject: &format!("client:{}", valid.client.client_id),
                    detail: json!({}),
                };
                if audit::record(&mut tx, event, now).await.is_ok() {
                    let _ = tx.commit().await;
                }
            }
            match session::open(&state, user_id).await {
                Ok(cookie) => see_other(&authorize_url(&state, &form.params), Some(cookie)),
                Err(e) => reject(&state, e.into()),
            }
        }
        Err(domain::Error::Invalid(message)) => signup_page_for(
            &state,
            &headers,
            &form.params,
            &valid.client,
            StatusCode::BAD_REQUEST,
            Some(&message),
            Typed {
                name: &name,
                email: &email,
            },
        ),
        Err(e) => {
            tracing::error!(error = %e, "sign-up failed");
            error_page(
                &state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again later.",
            )
        }
    }
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
        let url = redirect_with(
            "https://app.test/cb?tenant=1",
            &[("code", "c d"), ("state", "s&t")],
        );
        assert_eq!(url, "https://app.test/cb?tenant=1&code=c+d&state=s%26t");
    }

    #[test]
    fn pkce_values() {
        assert!(is_pkce_value(&"a".repeat(43), 43));
        assert!(!is_pkce_value(&"a".repeat(42), 43));
        assert!(!is_pkce_value(&format!("{}=", "a".repeat(43)), 43));
    }
}
