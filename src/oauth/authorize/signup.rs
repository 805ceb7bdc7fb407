//! `GET` and `POST /v1/oauth/authorize/signup`: the sign-up page, and the
//! creation of a storefront user in the app's company, who is then logged
//! in and sent back to the authorization request.
//!
//! May touch: `domain::attempts` (counts sign-ups), `domain::users`
//! (creates the user and writes its `user.signed_up` audit record),
//! `domain::clients` (the storefront company), `login` (opens the session),
//! `pages::session`, `state`, the flow's `request` and `pages`. Never `api`
//! or `web`.

use std::net::SocketAddr;

use super::{
    login::logged_in,
    pages::{refused_page, reject, server_error, signup_page, Typed},
    request::{check_form, check_query, PageForm, Rejection, Valid},
};
use crate::{
    domain, domain::attempts, domain::clients::storefront_company, pages::session::Owner,
    state::AppState,
};
use axum::{
    extract::{ConnectInfo, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};

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

/// `POST /v1/oauth/authorize/signup`: creates a storefront user in the app's
/// company and logs them in.
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
    let password = form.password.clone().unwrap_or_default();
    let company = storefront_company(&valid.client);
    let signed_up = domain::users::sign_up(
        &state.db,
        &*state.clock,
        company,
        &valid.client.client_id,
        typed.name,
        typed.email,
        password,
    )
    .await;
    match signed_up {
        Ok(user_id) => logged_in(state, Owner::User(user_id), &form.params).await,
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

/// Company scopes are granted by company admins, whose accounts are not
/// made on these pages.
fn no_admin_sign_up(state: &AppState, valid: &Valid) -> Response {
    refused_page(
        state,
        valid,
        "Only an admin of a company can allow access to its balance, and admin accounts are not created here. Log in with your company admin account instead.",
    )
}
