//! The admin portal, `/admin`: a company's admins log in and manage what
//! the operator's CLI manages for them — API credentials and tokens
//! (Settings → API), the balance and its ledger, campaigns and reward
//! links, reports, webhooks, the company's admins, and the audit log.
//!
//! The portal adds no rule of its own: every change goes through the same
//! `domain` function as the CLI, with the admin as the [`Actor`], so it is
//! in the company's audit log. Every object is looked up within the
//! admin's company; another company's ids answer 404, as if they did not
//! exist.
//!
//! Pages are server-rendered with the shared templates and stylesheet and
//! work without JavaScript (`/assets/portal.js` only adds copy buttons).
//! Every form carries the session-bound CSRF token of [`crate::pages::session`].
//!
//! May touch: `pages` (templates, sessions, CSRF), `state`, `domain`
//! (every change), `store` (reads for pages and reports). Never `api` or
//! `oauth`.

mod access;
mod admins;
mod api_settings;
mod audit;
mod campaigns;
pub mod kit;
mod money;
mod reports;
mod webhooks;

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use minijinja::{context, Value};

use crate::{
    domain::{self, companies::Admin, companies::AdminRole, Actor},
    pages::session,
    state::AppState,
    store::companies::{self, CompanyRow},
};

/// Routes of the portal.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .merge(access::routes())
        .merge(api_settings::routes())
        .merge(money::routes())
        .merge(admins::routes())
        .merge(audit::routes())
        .merge(campaigns::routes())
        .merge(reports::routes())
        .merge(webhooks::routes())
}

/// The signed-in admin of a portal request, with their company and the
/// page's CSRF token. Extracting it from a request without a live admin
/// session answers with a redirect to the log-in page.
pub struct Portal {
    /// The admin.
    pub admin: Admin,
    /// Their company (with its balance).
    pub company: CompanyRow,
    csrf: String,
    csrf_cookie: Option<HeaderValue>,
}

impl FromRequestParts<AppState> for Portal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let found = session::current_admin(state, &parts.headers)
            .await
            .map_err(|e| server_error(state, e.into()))?;
        let Some(row) = found else {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|_| parts.method == axum::http::Method::GET)
                .unwrap_or("/admin");
            return Err(to_login(state, next));
        };
        let admin = Admin::try_from(row).map_err(|e| server_error(state, e))?;
        let company = companies::find(state.db.reader(), admin.company_id)
            .await
            .map_err(|e| server_error(state, e.into()))?
            .ok_or_else(|| to_login(state, "/admin"))?;
        let (csrf, csrf_cookie) = session::csrf_token(state, &parts.headers);
        Ok(Portal {
            admin,
            company,
            csrf,
            csrf_cookie,
        })
    }
}

impl Portal {
    /// Who the admin is in the audit log.
    pub fn actor(&self) -> Actor {
        Actor::Admin(self.admin.id)
    }

    /// Whether the admin is a super admin of the company.
    pub fn is_super(&self) -> bool {
        self.admin.role == AdminRole::SuperAdmin
    }

    /// Renders a portal page: `template` with `ctx` plus what the layout
    /// needs (company, admin, navigation, CSRF token).
    pub fn page(
        &self,
        state: &AppState,
        status: StatusCode,
        template: &str,
        ctx: Value,
    ) -> Response {
        let ctx = context! {
            base_path => state.config.public_url.base_path(),
            csrf => self.csrf,
            company => context! {
                id => self.company.id, name => self.company.name,
                base_currency => self.company.base_currency,
                balance_minor => self.company.balance_minor,
            },
            admin => context! {
                id => self.admin.id, email => self.admin.email,
                role => self.admin.role.as_str(), is_super => self.is_super(),
            },
            ..ctx
        };
        let mut response = state.templates.page(status, template, ctx);
        if let Some(cookie) = &self.csrf_cookie {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }

    /// The page for a refused or failed change: the domain's message for
    /// bad input, 404 for an object that is not the company's.
    pub fn failure(&self, state: &AppState, error: domain::Error) -> Response {
        let (status, message) = match error {
            domain::Error::Invalid(m) => (StatusCode::BAD_REQUEST, m),
            domain::Error::Conflict(m) => (StatusCode::CONFLICT, m),
            domain::Error::NotFound(what) => (
                StatusCode::NOT_FOUND,
                format!("There is no such {what} in {}.", self.company.name),
            ),
            e => {
                tracing::error!(error = %e, "portal request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again later.".into(),
                )
            }
        };
        self.message(state, status, &message)
    }

    /// A page that only says `message`.
    pub fn message(&self, state: &AppState, status: StatusCode, message: &str) -> Response {
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        self.page(
            state,
            status,
            "admin/message.html",
            context! { title, message },
        )
    }

    /// Refuses a form whose CSRF token is missing or wrong.
    #[allow(
        clippy::result_large_err,
        reason = "the error is the page to answer with, made only when a form is refused"
    )]
    pub fn check_csrf(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        submitted: Option<&str>,
    ) -> Result<(), Response> {
        if session::csrf_ok(state, headers, submitted) {
            Ok(())
        } else {
            Err(self.message(
                state,
                StatusCode::FORBIDDEN,
                "This form has expired. Go back, reload the page and try again.",
            ))
        }
    }

    /// Refuses what only a super admin may do.
    #[allow(
        clippy::result_large_err,
        reason = "the error is the page to answer with, made only when a request is refused"
    )]
    pub fn require_super(&self, state: &AppState) -> Result<(), Response> {
        if self.is_super() {
            Ok(())
        } else {
            Err(self.message(
                state,
                StatusCode::FORBIDDEN,
                "Only a super admin of the company can do this.",
            ))
        }
    }
}

/// A form whose only field is its CSRF token (a button that changes one
/// thing), for the portal, the developer hub and the operator pages.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CsrfOnly {
    /// The CSRF token.
    pub csrf: Option<String>,
}

/// `303 See Other` to a portal path.
pub fn see_other(state: &AppState, path: &str) -> Response {
    let location = format!("{}{path}", state.config.public_url.base_path());
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// To the log-in page, coming back to `next` (a portal path) afterwards.
fn to_login(state: &AppState, next: &str) -> Response {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    see_other(state, &format!("/admin/login?{query}"))
}

/// The generic error page for a failure on Galley's side, logged here.
fn server_error(state: &AppState, error: domain::Error) -> Response {
    tracing::error!(error = %error, "portal request failed");
    state.templates.page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "error.html",
        context! {
            base_path => state.config.public_url.base_path(),
            title => "Something went wrong",
            message => "Please try again later.",
        },
    )
}

/// `GET /admin`: the overview.
async fn overview(
    axum::extract::State(state): axum::extract::State<AppState>,
    portal: Portal,
) -> Response {
    let clients = match crate::store::clients::count_for_company(
        state.db.reader(),
        portal.company.id,
    )
    .await
    {
        Ok(n) => n,
        Err(e) => return portal.failure(&state, e.into()),
    };
    portal.page(
        &state,
        StatusCode::OK,
        "admin/overview.html",
        context! { nav => "overview", clients },
    )
}
