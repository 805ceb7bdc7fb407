//! The company's admins. Every admin sees the list; a super admin adds
//! admins and removes them ("Manage Super Admin/Admins"). The company's
//! last super admin cannot be removed.
//!
//! May touch: `domain::companies` (add, remove, list), `state`, the portal
//! kit in `super`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
    Form, Router,
};
use minijinja::context;
use serde::Deserialize;

use super::CsrfOnly;

use super::{see_other, Portal};
use crate::{
    config::Redacted,
    domain::{self, companies::AdminRole},
    state::AppState,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/admins", get(show).post(add))
        .route("/admin/admins/{id}/remove", post(remove))
}

/// `GET /admin/admins`.
async fn show(State(state): State<AppState>, portal: Portal) -> Response {
    render(&state, &portal, StatusCode::OK, None, "").await
}

async fn render(
    state: &AppState,
    portal: &Portal,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Response {
    let admins = match domain::companies::list_admins(&state.db, portal.company.id).await {
        Ok(a) => a,
        Err(e) => return portal.failure(state, e),
    };
    let admins: Vec<_> = admins
        .iter()
        .map(|a| {
            context! {
                id => a.id, email => a.email, is_super => a.role == AdminRole::SuperAdmin,
                is_me => a.id == portal.admin.id,
            }
        })
        .collect();
    portal.page(
        state,
        status,
        "admin/admins.html",
        context! { nav => "admins", admins, error, email },
    )
}

#[derive(Deserialize)]
struct NewAdmin {
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
    role: Option<String>,
}

/// `POST /admin/admins`: adds an admin (super admins only).
async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Form(form): Form<NewAdmin>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Err(refused) = portal.require_super(&state) {
        return refused;
    }
    let role = match form.role.as_deref() {
        Some("super_admin") => AdminRole::SuperAdmin,
        Some("admin") | None => AdminRole::Admin,
        Some(_) => {
            return render(
                &state,
                &portal,
                StatusCode::BAD_REQUEST,
                Some("Choose a role: admin or super admin."),
                "",
            )
            .await
        }
    };
    let email = form.email.unwrap_or_default();
    let added = domain::companies::add_admin(
        &state.db,
        &*state.clock,
        &portal.actor(),
        portal.company.id,
        &email,
        Redacted(form.password.unwrap_or_default()),
        role,
    )
    .await;
    match added {
        Ok(_) => see_other(&state, "/admin/admins"),
        Err(domain::Error::Invalid(m) | domain::Error::Conflict(m)) => {
            render(&state, &portal, StatusCode::BAD_REQUEST, Some(&m), &email).await
        }
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /admin/admins/{id}/remove` (super admins only).
async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Err(refused) = portal.require_super(&state) {
        return refused;
    }
    let admins = match domain::companies::list_admins(&state.db, portal.company.id).await {
        Ok(a) => a,
        Err(e) => return portal.failure(&state, e),
    };
    let Some(admin) = admins.iter().find(|a| a.id == id) else {
        return portal.failure(&state, domain::Error::NotFound("admin"));
    };
    match domain::companies::remove_admin(&state.db, &*state.clock, &portal.actor(), &admin.email)
        .await
    {
        Ok(_) if admin.id == portal.admin.id => see_other(&state, "/admin/login"),
        Ok(_) => see_other(&state, "/admin/admins"),
        Err(domain::Error::Invalid(_)) => {
            render(
                &state,
                &portal,
                StatusCode::BAD_REQUEST,
                Some(&format!(
                    "{} is the company's last super admin: add another super admin first.",
                    admin.email
                )),
                "",
            )
            .await
        }
        Err(e) => portal.failure(&state, e),
    }
}
