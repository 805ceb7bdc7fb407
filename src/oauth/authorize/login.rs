//! `POST /v1/oauth/authorize/login`: password log-in on the log-in page,
//! rate-limited per account and per client address, then back to the
//! authorization request with a new session. Also holds the rate-limit and
//! session helpers that sign-up shares.
//!
//! May read and count rate-limit hits (`store::rate_limits`), check the
//! password (`domain::users`) and open a session (`pages::session`).

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};

use super::{
    pages::{authorize_url, login_page, reject, see_other, server_error},
    request::{check_form, AuthorizeParams, PageForm, Rejection},
};
use crate::{
    domain,
    domain::clients::storefront_company,
    pages::session::{self, Owner},
    state::AppState,
    store::rate_limits,
};

/// Failed log-ins allowed per account per window.
const LOGIN_LIMIT_PER_ACCOUNT: i64 = 10;
/// Failed log-ins and sign-ups allowed per client address per window.
pub(super) const LOGIN_LIMIT_PER_ADDRESS: i64 = 50;
/// Rate-limit window.
const WINDOW_MS: i64 = 15 * 60 * 1000;

/// `POST /v1/oauth/authorize/login`.
pub(super) async fn log_in(
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
    let email = form.email.as_deref().unwrap_or_default();
    let company = storefront_company(&valid.client);
    let account = format!(
        "login:account:{company}:{}",
        email.trim().to_ascii_lowercase()
    );
    let address = format!("login:address:{}", peer.ip());
    if limited(state, &account, LOGIN_LIMIT_PER_ACCOUNT).await?
        || limited(state, &address, LOGIN_LIMIT_PER_ADDRESS).await?
    {
        return Ok(login_page(
            state,
            headers,
            &form.params,
            &valid,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many failed attempts. Wait 15 minutes, then try again."),
            email,
        ));
    }
    let password = form.password.clone().unwrap_or_default();
    // Company scopes are granted by a company admin: the form then takes
    // the admin account.
    let owner = if valid.scopes.has_company_scope() {
        domain::users::admin_log_in(&state.db, email, password)
            .await
            .map(|admin| admin.map(|a| Owner::Admin(a.id)))
    } else {
        domain::users::log_in(&state.db, company, email, password)
            .await
            .map(|user| user.map(|u| Owner::User(u.id)))
    };
    match owner {
        Ok(Some(owner)) => logged_in(state, owner, &form.params).await,
        Ok(None) => {
            for bucket in [&account, &address] {
                count(state, bucket).await?;
            }
            Ok(login_page(
                state,
                headers,
                &form.params,
                &valid,
                StatusCode::UNAUTHORIZED,
                Some("The e-mail address or the password is not right."),
                email,
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "log-in failed");
            Ok(server_error(state))
        }
    }
}

/// Opens a session for `owner` and sends the browser back to the
/// authorization request.
pub(super) async fn logged_in(
    state: &AppState,
    owner: Owner,
    params: &AuthorizeParams,
) -> Result<Response, Rejection> {
    let cookie = session::open(state, owner).await?;
    Ok(see_other(&authorize_url(state, params), Some(cookie)))
}

fn window_start(state: &AppState) -> i64 {
    state.clock.now_ms() / WINDOW_MS * WINDOW_MS
}

/// Over the limit for `bucket` in the current window?
pub(super) async fn limited(state: &AppState, bucket: &str, limit: i64) -> Result<bool, Rejection> {
    Ok(rate_limits::hits(&state.db, bucket, window_start(state)).await? >= limit)
}

/// Counts one hit for `bucket` in the current window.
pub(super) async fn count(state: &AppState, bucket: &str) -> Result<(), Rejection> {
    rate_limits::hit(&state.db, bucket, window_start(state)).await?;
    Ok(())
}
