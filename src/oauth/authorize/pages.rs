//! The pages of the authorization flow — log-in, sign-up, consent and the
//! error page — with their template contexts, and the responses every
//! handler shares: the `303 See Other` redirect and the answer to a
//! [`Rejection`].
//!
//! This file only renders; it writes no tables.
//!
//! May touch: `pages::session` (reads and sets the CSRF cookie), the
//! templates in `state`, `store::companies` (reads the admin's company for
//! the consent page), `domain::tokens::code` (the grantor), `request`.
//! Never `api` or `web`.

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use minijinja::context;
use serde_json::json;

use super::request::{AuthorizeParams, Rejection, Valid};
use crate::{
    domain::tokens::code::Grantor,
    pages::session,
    state::AppState,
    store::{clients::ClientRow, companies, StoreError},
};

/// The answer to a request that cannot go on: an error page, or the
/// redirect back to the app.
pub(super) fn reject(state: &AppState, rejection: Rejection) -> Response {
    match rejection {
        Rejection::Page(status, message) => error_page(
            state,
            status,
            "This authorization request cannot be completed",
            &message,
        ),
        Rejection::ExpiredForm => error_page(
            state,
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back to the app and start again. (The form's security token did not match.)",
        ),
        Rejection::Redirect(url) => see_other(&url, None),
        Rejection::Internal(e) => {
            tracing::error!(error = %e, "authorization failed");
            server_error(state)
        }
    }
}

/// The error page.
pub(super) fn error_page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    state.templates.page(
        status,
        "error.html",
        context! { base_path => state.config.public_url.base_path(), title, message },
    )
}

/// The generic error page for a failure on Galley's side (the cause is
/// logged by the caller, never shown).
pub(super) fn server_error(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again later.",
    )
}

/// A `303 See Other` to `location`, not cached, setting `cookie` if given.
pub(super) fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
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
    with_cookie(response, cookie)
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The URL of the authorization request itself (where log-in and sign-up
/// send the browser back to).
pub(super) fn authorize_url(state: &AppState, params: &AuthorizeParams) -> String {
    format!(
        "{}/v1/oauth/authorize?{}",
        state.config.public_url.base_path(),
        params.query()
    )
}

/// The log-in page, with an error and the e-mail address typed so far.
/// For a request with company scopes it asks for a company admin account
/// and offers no sign-up.
pub(super) fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    valid: &Valid,
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
            client_name => valid.client.name,
            admin => valid.scopes.has_company_scope(),
            params => params.pairs(),
            signup_url => format!("{base_path}/v1/oauth/authorize/signup?{}", params.query()),
        },
    );
    with_cookie(page, cookie)
}

/// The page for a request the logged-in account may not grant: it says
/// why, and offers the way back to the app with `error=access_denied`
/// (the request's redirect URI is the registered one by now).
pub(super) fn refused_page(state: &AppState, valid: &Valid, why: &str) -> Response {
    let mut back = valid.callback.clone();
    {
        let mut query = back.query_pairs_mut();
        query.append_pair("error", "access_denied");
        query.append_pair(
            "error_description",
            "The account may not grant the requested scopes",
        );
        if let Some(st) = valid.state.as_deref() {
            query.append_pair("state", st);
        }
    }
    state.templates.page(
        StatusCode::FORBIDDEN,
        "refused.html",
        context! {
            base_path => state.config.public_url.base_path(),
            client_name => valid.client.name,
            message => why,
            back_url => back.as_str(),
        },
    )
}

/// What the sign-up form shows again: the values the user typed.
#[derive(Clone, Copy, Default)]
pub(super) struct Typed<'a> {
    /// The name.
    pub(super) name: &'a str,
    /// The e-mail address.
    pub(super) email: &'a str,
}

/// The sign-up page, with an error and the values typed so far.
pub(super) fn signup_page(
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

/// The consent page: the app asks `grantor` for the request's scopes. An
/// admin reads, in words, what the app may do with the company's money.
pub(super) async fn consent_page(
    state: &AppState,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    valid: &Valid,
    grantor: &Grantor,
) -> Result<Response, StoreError> {
    let company = match grantor {
        Grantor::Admin(admin) => companies::find(state.db.reader(), admin.company_id)
            .await?
            .map(|c| c.name),
        Grantor::User(_) => None,
    };
    let (csrf, cookie) = session::csrf_token(state, headers);
    let scopes: Vec<_> = valid
        .scopes
        .iter()
        .map(|s| {
            let description = match &company {
                Some(company) => s.describe_for_company(company),
                None => s.describe().to_string(),
            };
            json!({ "name": s.as_str(), "description": description })
        })
        .collect();
    let redirect_host = valid
        .callback
        .host_str()
        .map(str::to_string)
        .unwrap_or_else(|| valid.redirect_uri.clone());
    let page = state.templates.page(
        StatusCode::OK,
        "consent.html",
        context! {
            base_path => state.config.public_url.base_path(), csrf, scopes, redirect_host, company,
            client_name => valid.client.name,
            app => context! {
                description => valid.client.description, homepage_url => valid.client.homepage_url,
                logo_url => valid.client.logo_url,
            },
            user_email => grantor.email(),
            params => params.pairs(),
        },
    );
    Ok(with_cookie(page, cookie))
}
