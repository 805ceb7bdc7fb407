//! The operator pages, `/operator`: the people the server's operator names
//! (`galley operator add`) log in, read the public apps submitted for
//! approval and approve or reject them with a reason the developer reads
//! in the developer hub — the same rules as `galley client
//! approve|reject`, recorded as done by `operator:<id>`.
//!
//! May touch: `domain::operators` (log-in), `domain::clients` (approve,
//! reject), `domain::attempts`, `store::clients` and `store::companies`
//! (reads), `pages::session`, `state`. Never `api` or `oauth`.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequestParts, Path, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::Response,
    routing::{get, post},
    Form, Router,
};
use minijinja::{context, Value};
use serde::Deserialize;

use super::admin::{see_other, CsrfOnly};

use crate::{
    domain::{
        self,
        attempts::{self, LogIn},
        clients::Review,
        Actor,
    },
    pages::session,
    state::AppState,
    store::{clients, companies, operators::OperatorRow},
};

/// Routes of the operator pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operator", get(review))
        .route("/operator/login", get(login_form).post(log_in))
        .route("/operator/logout", post(log_out))
        .route("/operator/apps/{id}/approve", post(approve))
        .route("/operator/apps/{id}/reject", post(reject))
}

/// The signed-in reviewer of a request; without one, the log-in page.
struct Reviewer {
    operator: OperatorRow,
    csrf: String,
    csrf_cookie: Option<HeaderValue>,
}

impl FromRequestParts<AppState> for Reviewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match session::current_operator(state, &parts.headers).await {
            Ok(Some(operator)) => {
                let (csrf, csrf_cookie) = session::csrf_token(state, &parts.headers);
                Ok(Reviewer {
                    operator,
                    csrf,
                    csrf_cookie,
                })
            }
            Ok(None) => Err(see_other(state, "/operator/login")),
            Err(e) => Err(failed(state, e.into())),
        }
    }
}

impl Reviewer {
    fn page(&self, state: &AppState, status: StatusCode, ctx: Value) -> Response {
        let ctx = context! {
            base_path => state.config.public_url.base_path(), csrf => self.csrf,
            operator => self.operator.email, ..ctx
        };
        let mut response = state.templates.page(status, "operator/apps.html", ctx);
        if let Some(cookie) = &self.csrf_cookie {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

fn failed(state: &AppState, e: domain::Error) -> Response {
    let (status, message) = match e {
        domain::Error::Invalid(m) => (StatusCode::BAD_REQUEST, m),
        domain::Error::NotFound(what) => {
            (StatusCode::NOT_FOUND, format!("There is no such {what}."))
        }
        e => {
            tracing::error!(error = %e, "operator page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Please try again later.".into(),
            )
        }
    };
    state.templates.page(
        status,
        "error.html",
        context! { base_path => state.config.public_url.base_path(), title => "That did not work", message },
    )
}

/// `GET /operator`: apps waiting for review first, then those reviewed.
async fn review(State(state): State<AppState>, reviewer: Reviewer) -> Response {
    render(&state, &reviewer, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    reviewer: &Reviewer,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let read = async {
        let apps = clients::for_review(state.db.reader()).await?;
        let mut rows = Vec::with_capacity(apps.len());
        for app in &apps {
            let company = companies::find(state.db.reader(), app.company_id)
                .await?
                .map(|c| c.name);
            rows.push(context! {
                client_id => app.client_id, name => app.name, company, redirect_uri => app.redirect_uri,
                homepage_url => app.homepage_url, description => app.description, scopes => app.scopes,
                review => domain::clients::review_of(app).as_str(), reason => app.review_reason,
                waiting => domain::clients::review_of(app) == Review::Submitted,
            });
        }
        Ok::<_, crate::store::StoreError>(rows)
    };
    match read.await {
        Ok(apps) => reviewer.page(state, status, context! { apps, error }),
        Err(e) => failed(state, e.into()),
    }
}

#[derive(Deserialize)]
struct Decision {
    csrf: Option<String>,
    reason: Option<String>,
}

/// `POST /operator/apps/{id}/approve`.
async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    reviewer: Reviewer,
    Path(id): Path<String>,
    Form(form): Form<Decision>,
) -> Response {
    decide(&state, &headers, &reviewer, &id, form, true).await
}

/// `POST /operator/apps/{id}/reject` (with a reason).
async fn reject(
    State(state): State<AppState>,
    headers: HeaderMap,
    reviewer: Reviewer,
    Path(id): Path<String>,
    Form(form): Form<Decision>,
) -> Response {
    decide(&state, &headers, &reviewer, &id, form, false).await
}

async fn decide(
    state: &AppState,
    headers: &HeaderMap,
    reviewer: &Reviewer,
    id: &str,
    form: Decision,
    approve: bool,
) -> Response {
    if !session::csrf_ok(state, headers, form.csrf.as_deref()) {
        return render(
            state,
            reviewer,
            StatusCode::FORBIDDEN,
            Some("This form had expired: reload the page and try again."),
        )
        .await;
    }
    let actor = Actor::Operator(reviewer.operator.id);
    let result = if approve {
        domain::clients::approve(&state.db, &*state.clock, &actor, id).await
    } else {
        domain::clients::reject(
            &state.db,
            &*state.clock,
            &actor,
            id,
            form.reason.as_deref().unwrap_or_default(),
        )
        .await
    };
    match result {
        Ok(()) => see_other(state, "/operator"),
        Err(domain::Error::Invalid(message)) => {
            render(state, reviewer, StatusCode::BAD_REQUEST, Some(&message)).await
        }
        Err(e) => failed(state, e),
    }
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Response {
    let (csrf, cookie) = session::csrf_token(state, headers);
    let mut page = state.templates.page(
        status,
        "operator/login.html",
        context! { base_path => state.config.public_url.base_path(), csrf, error, email },
    );
    if let Some(cookie) = cookie {
        page.headers_mut().append(header::SET_COOKIE, cookie);
    }
    page
}

/// `GET /operator/login`.
async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&state, &headers, StatusCode::OK, None, "")
}

#[derive(Deserialize)]
struct LogInForm {
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

/// `POST /operator/login`: limited like every log-in (see
/// [`crate::domain::attempts`]).
async fn log_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LogInForm>,
) -> Response {
    let email = form.email.as_deref().unwrap_or_default();
    if !session::csrf_ok(&state, &headers, form.csrf.as_deref()) {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("This form had expired. Please log in again."),
            email,
        );
    }
    let account = format!("operator:{}", email.trim().to_ascii_lowercase());
    let check = domain::operators::log_in(&state.db, email, form.password.unwrap_or_default());
    let now = state.clock.now_ms();
    match attempts::guarded_log_in(&state.db, now, &account, peer.ip(), check).await {
        Ok(LogIn::Right(operator)) => match session::open_operator(&state, operator.id).await {
            Ok(cookie) => {
                let mut response = see_other(&state, "/operator");
                response.headers_mut().append(header::SET_COOKIE, cookie);
                response
            }
            Err(e) => failed(&state, e.into()),
        },
        Ok(LogIn::Wrong) => login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some("The e-mail address or the password is not right."),
            email,
        ),
        Ok(LogIn::Limited) => login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many failed attempts. Wait 15 minutes, then try again."),
            email,
        ),
        Err(e) => failed(&state, e),
    }
}

/// `POST /operator/logout`.
async fn log_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    _reviewer: Reviewer,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !session::csrf_ok(&state, &headers, form.csrf.as_deref()) {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("This form had expired."),
            "",
        );
    }
    if let Err(e) = session::close_operator(&state, &headers).await {
        return failed(&state, e.into());
    }
    see_other(&state, "/operator/login")
}
