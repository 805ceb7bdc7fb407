//! `POST /v1/oauth/authorize/login`: password log-in on the log-in page —
//! a storefront user's, or a company admin's when company scopes are asked
//! for — limited as [`crate::domain::attempts`] says, then back to the
//! authorization request with a new session.
//!
//! May touch: `domain::attempts` (reserves attempts), `domain::users`
//! (checks the password), `domain::clients` (the storefront company),
//! `pages::session` (opens a session), `state`, the flow's `request` and
//! `pages`. Never `api` or `web`.

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
    domain::attempts::{self, LogIn},
    domain::clients::storefront_company,
    pages::session::{self, Owner},
    state::AppState,
};

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
    let admin = valid.scopes.has_company_scope();
    let key = email.trim().to_ascii_lowercase();
    let account = if admin {
        format!("admin:{key}")
    } else {
        format!("company:{company}:{key}")
    };
    let password = form.password.clone().unwrap_or_default();
    // Company scopes are granted by a company admin: the form then takes
    // the admin account.
    let check = async {
        if admin {
            domain::users::admin_log_in(&state.db, email, password)
                .await
                .map(|admin| admin.map(|a| Owner::Admin(a.id)))
        } else {
            domain::users::log_in(&state.db, company, email, password)
                .await
                .map(|user| user.map(|u| Owner::User(u.id)))
        }
    };
    let now = state.clock.now_ms();
    let page = |status, error| {
        login_page(
            state,
            headers,
            &form.params,
            &valid,
            status,
            Some(error),
            email,
        )
    };
    match attempts::guarded_log_in(&state.db, now, &account, peer.ip(), check).await {
        Ok(LogIn::Right(owner)) => logged_in(state, owner, &form.params).await,
        Ok(LogIn::Wrong) => Ok(page(
            StatusCode::UNAUTHORIZED,
            "The e-mail address or the password is not right.",
        )),
        Ok(LogIn::Limited) => Ok(page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts. Wait 15 minutes, then try again.",
        )),
        Err(e) => {
            tracing::error!(error = %e, "log-in failed");
            Ok(server_error(state))
        }
    }
}

/// Opens a session for `owner` and sends the browser back to the
/// authorization request.
async fn logged_in(
    state: &AppState,
    owner: Owner,
    params: &AuthorizeParams,
) -> Result<Response, Rejection> {
    let cookie = session::open(state, owner).await?;
    Ok(see_other(&authorize_url(state, params), Some(cookie)))
}
