//! Log-in and log-out of the portal: `/admin/login`, `/admin/logout` and
//! `/admin/logout-everywhere`.
//!
//! A log-in is limited like the authorization pages' (counted in the
//! database, so the limits hold across nodes; see
//! [`crate::domain::attempts`]), the password is checked with argon2 off
//! the async runtime, and the session is stored hashed. Sessions end after
//! 30 minutes without a request and 12 hours after log-in.
//!
//! May touch: `domain::attempts`, `domain::users` (the admin's password
//! check), `pages::session`, `store::sessions` (ends sessions), `state`.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
    Form, Router,
};
use minijinja::context;
use serde::Deserialize;

use super::CsrfOnly;

use super::{see_other, Portal};
use crate::{
    domain::{
        self,
        attempts::{self, LogIn},
    },
    pages::session::{self, Owner},
    state::AppState,
    store::sessions,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(form).post(log_in))
        .route("/admin/logout", post(log_out))
        .route("/admin/logout-everywhere", post(log_out_everywhere))
}

#[derive(Deserialize)]
pub(super) struct Next {
    next: Option<String>,
}

/// Where to go after log-in: a portal path, never another site.
fn next_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if ["/admin", "/developers"].iter().any(|root| {
                p == *root
                    || p.starts_with(&format!("{root}/"))
                    || p.starts_with(&format!("{root}?"))
            }) && !p.contains("//")
                && !p.contains('\\') =>
        {
            p
        }
        _ => "/admin",
    }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
    next: &str,
) -> Response {
    let (csrf, cookie) = session::csrf_token(state, headers);
    let mut page = state.templates.page(
        status,
        "admin/login.html",
        context! { base_path => state.config.public_url.base_path(), csrf, error, email, next },
    );
    if let Some(cookie) = cookie {
        page.headers_mut().append(header::SET_COOKIE, cookie);
    }
    page
}

/// `GET /admin/login`.
async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Next>,
) -> Response {
    let next = next_path(query.next.as_deref());
    match session::current_admin(&state, &headers).await {
        Ok(Some(_)) => see_other(&state, next),
        _ => login_page(&state, &headers, StatusCode::OK, None, "", next),
    }
}

#[derive(Deserialize)]
pub(super) struct LogInForm {
    email: Option<String>,
    password: Option<String>,
    csrf: Option<String>,
    next: Option<String>,
}

/// `POST /admin/login`.
async fn log_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LogInForm>,
) -> Response {
    let email = form.email.as_deref().unwrap_or_default();
    let next = next_path(form.next.as_deref());
    let page = |status, error: &str| login_page(&state, &headers, status, Some(error), email, next);
    if !session::csrf_ok(&state, &headers, form.csrf.as_deref()) {
        return page(
            StatusCode::FORBIDDEN,
            "This form had expired. Please log in again.",
        );
    }
    let account = format!("admin:{}", email.trim().to_ascii_lowercase());
    let password = form.password.clone().unwrap_or_default();
    let check = domain::users::admin_log_in(&state.db, email, password);
    let now = state.clock.now_ms();
    match attempts::guarded_log_in(&state.db, now, &account, peer.ip(), check).await {
        Ok(LogIn::Right(admin)) => match session::open(&state, Owner::Admin(admin.id)).await {
            Ok(cookie) => {
                let mut response = see_other(&state, next);
                response.headers_mut().append(header::SET_COOKIE, cookie);
                response
            }
            Err(e) => super::server_error(&state, e.into()),
        },
        Ok(LogIn::Wrong) => page(
            StatusCode::UNAUTHORIZED,
            "The e-mail address or the password is not right.",
        ),
        Ok(LogIn::Limited) => page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed attempts. Wait 15 minutes, then try again.",
        ),
        Err(e) => super::server_error(&state, e),
    }
}

/// `POST /admin/logout`: ends this session.
async fn log_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Err(e) = session::close(&state, &headers).await {
        return portal.failure(&state, e.into());
    }
    logged_out(&state)
}

/// `POST /admin/logout-everywhere`: ends every session of the admin, on
/// every device.
async fn log_out_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Err(e) = sessions::delete_for_admin(&state.db, portal.admin.id).await {
        return portal.failure(&state, e.into());
    }
    logged_out(&state)
}

fn logged_out(state: &AppState) -> Response {
    let mut response = see_other(state, "/admin/login");
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(state, session::SESSION_COOKIE, String::new(), 0),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::next_path;

    #[test]
    fn log_in_goes_back_only_to_portal_paths() {
        assert_eq!(
            next_path(Some("/admin/ledger?kind=funds")),
            "/admin/ledger?kind=funds"
        );
        assert_eq!(
            next_path(Some("/developers/apps/new")),
            "/developers/apps/new"
        );
        for hostile in [
            "https://evil.test/admin",
            "//evil.test",
            "/admin//evil",
            "/adminx",
            "/admin/\\evil",
            "/developersx",
        ] {
            assert_eq!(next_path(Some(hostile)), "/admin", "{hostile}");
        }
        assert_eq!(next_path(None), "/admin");
    }
}
