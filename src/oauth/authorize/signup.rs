//! Sign-up in two steps, so that the page never tells whether an address
//! has an account:
//! 1. `GET` and `POST /v1/oauth/authorize/signup`: the sign-up page; a
//!    valid form is answered "check your e-mail" whatever the address, and
//!    the address gets a confirmation link (or, when it has an account, a
//!    note pointing to the log-in).
//! 2. `GET` and `POST /v1/oauth/authorize/signup/confirm`: the link's page,
//!    whose button makes the account in the app's company, logs the user in
//!    and sends the browser back to the authorization request. (A button,
//!    not the `GET` itself, so that mail scanners that open links make no
//!    accounts.)
//!
//! May touch: `domain::attempts` (counts sign-ups), `domain::users`
//! (starts and confirms sign-ups), `domain::clients` (the storefront
//! company), `login` (opens the session), `pages::session`, `state`, the
//! flow's `request` and `pages`. Never `api` or `web`.

use std::net::SocketAddr;

use super::{
    pages::{
        authorize_url, error_page, refused_page, reject, see_other, server_error, signup_page,
        Typed,
    },
    request::{check_form, check_query, PageForm, Rejection, Valid},
};
use crate::{
    domain,
    domain::attempts,
    domain::clients::storefront_company,
    pages::session::{self, Owner},
    state::AppState,
};
use axum::{
    extract::{ConnectInfo, Query, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
    Form,
};
use minijinja::context;
use serde::Deserialize;

/// `GET /v1/oauth/authorize/signup`.
pub(super) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match check_query(&state, query.as_deref()).await {
        Ok((_, valid)) if valid.scopes.has_company_scope() => no_admin_sign_up(&state, &valid),
        Ok((params, valid)) => signup_page(
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

/// `POST /v1/oauth/authorize/signup`: checks the form and e-mails the
/// address; the same answer whether or not it has an account.
pub(super) async fn sign_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<PageForm>,
) -> Response {
    attempt(&state, peer, &headers, &form)
        .await
        .unwrap_or_else(|rejection| reject(&state, rejection))
}

async fn attempt(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    form: &PageForm,
) -> Result<Response, Rejection> {
    let valid = check_form(state, headers, form).await?;
    if valid.scopes.has_company_scope() {
        return Ok(no_admin_sign_up(state, &valid));
    }
    let typed = Typed {
        name: form.name.as_deref().unwrap_or_default(),
        email: form.email.as_deref().unwrap_or_default(),
    };
    if !attempts::reserve_sign_up(&state.db, state.clock.now_ms(), peer.ip()).await? {
        return Ok(signup_page(
            state,
            headers,
            &form.params,
            &valid.client,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many sign-ups from your address. Wait 15 minutes, then try again."),
            typed,
        ));
    }
    let sign_up = domain::users::SignUp {
        company_id: storefront_company(&valid.client),
        client_id: &valid.client.client_id,
        client_name: &valid.client.name,
        name: typed.name,
        email: typed.email,
        password: form.password.clone().unwrap_or_default(),
        return_query: form.params.query(),
    };
    let confirm_url = |token: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .finish();
        state
            .config
            .public_url
            .join(&format!("/v1/oauth/authorize/signup/confirm?{query}"))
    };
    let login_url = state
        .config
        .public_url
        .join(&format!("/v1/oauth/authorize?{}", form.params.query()));
    match domain::users::request_sign_up(&state.db, &*state.clock, sign_up, confirm_url, &login_url)
        .await
    {
        Ok(()) => Ok(state.templates.page(
            StatusCode::OK,
            "signup_sent.html",
            context! {
                base_path => state.config.public_url.base_path(),
                email => typed.email.trim(),
                client_name => valid.client.name,
                login_url => authorize_url(state, &form.params),
            },
        )),
        Err(domain::Error::Invalid(message)) => Ok(signup_page(
            state,
            headers,
            &form.params,
            &valid.client,
            StatusCode::BAD_REQUEST,
            Some(&message),
            typed,
        )),
        Err(e) => {
            tracing::error!(error = %e, "sign-up failed");
            Ok(server_error(state))
        }
    }
}

/// The token of a confirmation link, in its query or its form.
#[derive(Deserialize)]
pub(super) struct ConfirmToken {
    token: Option<String>,
    csrf: Option<String>,
}

/// `GET /v1/oauth/authorize/signup/confirm?token=…`: the page with the
/// button that finishes the sign-up.
pub(super) async fn confirm_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(link): Query<ConfirmToken>,
) -> Response {
    let token = link.token.unwrap_or_default();
    match domain::users::pending_sign_up(&state.db, &*state.clock, &token).await {
        Ok(Some(pending)) => {
            let (csrf, cookie) = session::csrf_token(&state, &headers);
            let mut page = state.templates.page(
                StatusCode::OK,
                "signup_confirm.html",
                context! {
                    base_path => state.config.public_url.base_path(), csrf, token,
                    email => pending.email, name => pending.name,
                },
            );
            if let Some(cookie) = cookie {
                page.headers_mut().append(header::SET_COOKIE, cookie);
            }
            page
        }
        Ok(None) => link_spent(&state),
        Err(e) => {
            tracing::error!(error = %e, "sign-up confirmation failed");
            server_error(&state)
        }
    }
}

/// `POST /v1/oauth/authorize/signup/confirm`: makes the account, logs the
/// user in and goes back to the authorization request.
pub(super) async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConfirmToken>,
) -> Response {
    if !session::csrf_ok(&state, &headers, form.csrf.as_deref()) {
        return reject(&state, Rejection::ExpiredForm);
    }
    let token = form.token.unwrap_or_default();
    match domain::users::confirm_sign_up(&state.db, &*state.clock, &token).await {
        Ok(Some((user_id, return_query))) => {
            match session::open(&state, Owner::User(user_id)).await {
                Ok(cookie) => see_other(
                    &format!(
                        "{}/v1/oauth/authorize?{return_query}",
                        state.config.public_url.base_path()
                    ),
                    Some(cookie),
                ),
                Err(e) => reject(&state, Rejection::Internal(e.into())),
            }
        }
        Ok(None) => link_spent(&state),
        Err(domain::Error::Invalid(message)) => error_page(
            &state,
            StatusCode::CONFLICT,
            "This account exists already",
            &format!("{}. Go back to the app and log in.", capitalized(&message)),
        ),
        Err(e) => {
            tracing::error!(error = %e, "sign-up confirmation failed");
            server_error(&state)
        }
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn link_spent(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::NOT_FOUND,
        "This link no longer works",
        "Sign-up links work once, for 24 hours. Go back to the app and sign up again.",
    )
}

/// Company scopes are granted by company admins, whose accounts are not
/// made on these pages.
fn no_admin_sign_up(state: &AppState, valid: &Valid) -> Response {
    refused_page(
        state,
        valid,
        "Only an admin of a company can allow access to its balance, and admin accounts are not created here. Log in with your company admin account instead.",
    )
}
