//! Webhooks: the company's endpoints (add one — its signing secret shown
//! once, with a copy button —, enable, disable, delete, rotate the secret
//! with a window during which the old one signs too), and each endpoint's
//! deliveries (event, status, attempts, next attempt, last response code
//! and body excerpt) with **Send test event**, **Replay** of one delivery
//! and the replay of everything that failed since a date.
//!
//! May touch: `domain::webhooks` (every change), `store::webhooks` (reads,
//! scoped to the company), `clock`, `state`, the portal kit in `super`.

use axum::{
    extract::{Path, Query, State},
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
    domain::{
        self,
        webhooks::{self, EventKind, NewWebhook, Settings},
    },
    state::AppState,
    store::webhooks::{self as store, EndpointRow},
};

/// Deliveries per page.
const PAGE: i64 = 50;
/// The rotation windows offered: (hours, label).
const WINDOWS: [(i64, &str); 5] = [
    (0, "No: the old secret stops at once"),
    (1, "1 hour"),
    (24, "24 hours"),
    (72, "3 days"),
    (168, "7 days"),
];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(list).post(add))
        .route("/admin/webhooks/{id}", get(show))
        .route("/admin/webhooks/{id}/test", post(send_test))
        .route("/admin/webhooks/{id}/enable", post(enable))
        .route("/admin/webhooks/{id}/disable", post(disable))
        .route("/admin/webhooks/{id}/delete", post(delete))
        .route("/admin/webhooks/{id}/rotate", post(rotate))
        .route("/admin/webhooks/{id}/replay-failed", post(replay_failed))
        .route(
            "/admin/webhooks/{id}/deliveries/{delivery}/replay",
            post(replay),
        )
}

#[derive(Deserialize)]
struct ListQuery {
    add: Option<String>,
    done: Option<String>,
}

/// The form's values, kept when it is shown again with an error.
#[derive(Default, Deserialize)]
struct AddForm {
    csrf: Option<String>,
    url: Option<String>,
    api_key: Option<String>,
    #[serde(default)]
    event: Vec<String>,
}

fn endpoint_ctx(e: &EndpointRow) -> minijinja::Value {
    context! {
        id => e.id, url => e.url, events => e.events.split(',').collect::<Vec<_>>(),
        enabled => e.enabled == 1, disabled_reason => e.disabled_reason,
        api_key => !e.api_key.is_empty(), created_at => e.created_at,
        failing_since => e.failing_since,
    }
}

/// `GET /admin/webhooks`; `?add=1` opens the Add endpoint dialog.
async fn list(
    State(state): State<AppState>,
    portal: Portal,
    Query(q): Query<ListQuery>,
) -> Response {
    let done = match q.done.as_deref() {
        Some("deleted") => Some("The endpoint is deleted."),
        _ => None,
    };
    render_list(
        &state,
        &portal,
        StatusCode::OK,
        q.add.is_some(),
        None,
        &AddForm::default(),
        done,
    )
    .await
}

async fn render_list(
    state: &AppState,
    portal: &Portal,
    status: StatusCode,
    dialog: bool,
    error: Option<&str>,
    form: &AddForm,
    done: Option<&str>,
) -> Response {
    let rows = match store::list_endpoints(state.db.reader(), portal.company.id).await {
        Ok(rows) => rows,
        Err(e) => return portal.failure(state, e.into()),
    };
    let endpoints: Vec<_> = rows.iter().map(endpoint_ctx).collect();
    let chosen: Vec<&str> = form.event.iter().map(String::as_str).collect();
    let offered: Vec<_> = EventKind::SUBSCRIBABLE
        .iter()
        .map(|k| {
            let name = k.as_str();
            context! { name, checked => chosen.is_empty() || chosen.contains(&name) }
        })
        .collect();
    portal.page(
        state,
        status,
        "admin/webhooks.html",
        context! {
            nav => "webhooks", endpoints, offered, error, done,
            dialog => dialog || error.is_some(),
            url => form.url.as_deref().unwrap_or(""),
            api_key => form.api_key.as_deref().unwrap_or(""),
        },
    )
}

/// `POST /admin/webhooks`: adds an endpoint and shows its secret once.
async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    axum_extra::extract::Form(form): axum_extra::extract::Form<AddForm>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if form.event.is_empty() {
        return render_list(
            &state,
            &portal,
            StatusCode::BAD_REQUEST,
            true,
            Some("Choose at least one event."),
            &form,
            None,
        )
        .await;
    }
    let added = webhooks::add(
        &state.db,
        &*state.clock,
        &portal.actor(),
        Settings::from_config(&state.config),
        NewWebhook {
            company_id: portal.company.id,
            url: form.url.clone().unwrap_or_default(),
            api_key: form.api_key.clone().unwrap_or_default(),
            events: form.event.join(","),
        },
    )
    .await;
    match added {
        Ok(created) => portal.page(
            &state,
            StatusCode::OK,
            "admin/webhook_secret.html",
            context! {
                nav => "webhooks", title => "Your endpoint's signing secret", id => created.id,
                secret => created.secret,
                note => "Copy the signing secret now: it is shown this once. Your receiver checks each delivery's webhook-signature header with it.",
            },
        ),
        Err(domain::Error::Invalid(message)) => {
            render_list(&state, &portal, StatusCode::BAD_REQUEST, true, Some(&message), &form, None).await
        }
        Err(e) => portal.failure(&state, e),
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    rotate: Option<String>,
    page: Option<i64>,
    done: Option<String>,
}

/// The company's endpoint named by a path segment, or the 404 page.
async fn own_endpoint(
    state: &AppState,
    portal: &Portal,
    id: &str,
) -> Result<EndpointRow, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(portal.failure(state, domain::Error::NotFound("webhook endpoint")));
    };
    match store::find_endpoint(state.db.reader(), portal.company.id, id).await {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err(portal.failure(state, domain::Error::NotFound("webhook endpoint"))),
        Err(e) => Err(portal.failure(state, e.into())),
    }
}

/// `GET /admin/webhooks/{id}`: the endpoint and its deliveries, newest
/// first; `?rotate=1` opens the rotation dialog.
async fn show(
    State(state): State<AppState>,
    portal: Portal,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let endpoint = match own_endpoint(&state, &portal, &id).await {
        Ok(e) => e,
        Err(page) => return page,
    };
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let rows = match store::deliveries(
        state.db.reader(),
        portal.company.id,
        endpoint.id,
        PAGE + 1,
        (page - 1) * PAGE,
    )
    .await
    {
        Ok(rows) => rows,
        Err(e) => return portal.failure(&state, e.into()),
    };
    let more = rows.len() as i64 > PAGE;
    let deliveries: Vec<_> = rows
        .iter()
        .take(PAGE as usize)
        .map(|d| {
            context! {
                id => d.id, event_id => d.event_id, kind => d.kind, status => d.status,
                attempts => d.attempts,
                next_attempt_at => (d.status == "pending").then_some(d.next_attempt_at),
                last_attempt_at => d.last_attempt_at, code => d.last_status_code,
                response => excerpt(&d.last_response), error => d.last_error, created_at => d.created_at,
            }
        })
        .collect();
    let done = match q.done.as_deref() {
        Some("test") => Some("A test event is queued; it appears below.".to_string()),
        Some("replayed") => Some("The delivery is queued again.".to_string()),
        Some("enabled") => Some("The endpoint is enabled.".to_string()),
        Some("disabled") => {
            Some("The endpoint is disabled: deliveries wait until it is enabled.".to_string())
        }
        Some(n) if n.starts_with("replayed-") => Some(format!(
            "{} failed deliveries are queued again.",
            n.trim_start_matches("replayed-")
                .parse::<u64>()
                .unwrap_or(0)
        )),
        _ => None,
    };
    let windows: Vec<_> = WINDOWS
        .iter()
        .map(|(hours, label)| context! { hours, label })
        .collect();
    portal.page(
        &state,
        StatusCode::OK,
        "admin/webhook.html",
        context! {
            nav => "webhooks", endpoint => endpoint_ctx(&endpoint), deliveries, done,
            rotate => q.rotate.is_some(), windows, page, more,
            today => crate::clock::day(state.clock.now_ms()),
        },
    )
}

/// The start of a stored response body, as the table shows it.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Checks the form and the endpoint, then runs `change` on its id.
async fn change<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    portal: &Portal,
    id: &str,
    csrf: Option<&str>,
    change: F,
) -> Response
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = Result<String, domain::Error>>,
{
    if let Err(refused) = portal.check_csrf(state, headers, csrf) {
        return refused;
    }
    let endpoint = match own_endpoint(state, portal, id).await {
        Ok(e) => e,
        Err(page) => return page,
    };
    match change(endpoint.id).await {
        Ok(path) => see_other(state, &path),
        Err(e) => portal.failure(state, e),
    }
}

/// `POST /admin/webhooks/{id}/test`: Send test event.
async fn send_test(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let (company, actor, st) = (portal.company.id, portal.actor(), state.clone());
    change(
        &state,
        &headers,
        &portal,
        &id,
        form.csrf.as_deref(),
        |id| async move {
            webhooks::send_test(&st.db, &*st.clock, &actor, company, id).await?;
            Ok(format!("/admin/webhooks/{id}?done=test"))
        },
    )
    .await
}

/// `POST /admin/webhooks/{id}/enable`.
async fn enable(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    set_enabled(state, headers, portal, id, form, true).await
}

/// `POST /admin/webhooks/{id}/disable`.
async fn disable(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    set_enabled(state, headers, portal, id, form, false).await
}

async fn set_enabled(
    state: AppState,
    headers: HeaderMap,
    portal: Portal,
    id: String,
    form: CsrfOnly,
    enabled: bool,
) -> Response {
    let (company, actor, st) = (portal.company.id, portal.actor(), state.clone());
    change(
        &state,
        &headers,
        &portal,
        &id,
        form.csrf.as_deref(),
        |id| async move {
            webhooks::set_enabled(&st.db, &*st.clock, &actor, company, id, enabled).await?;
            let done = if enabled { "enabled" } else { "disabled" };
            Ok(format!("/admin/webhooks/{id}?done={done}"))
        },
    )
    .await
}

/// `POST /admin/webhooks/{id}/delete`.
async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let (company, actor, st) = (portal.company.id, portal.actor(), state.clone());
    change(
        &state,
        &headers,
        &portal,
        &id,
        form.csrf.as_deref(),
        |id| async move {
            webhooks::delete(&st.db, &*st.clock, &actor, company, id).await?;
            Ok("/admin/webhooks?done=deleted".to_string())
        },
    )
    .await
}

#[derive(Deserialize)]
struct RotateForm {
    csrf: Option<String>,
    keep_old_hours: Option<String>,
}

/// `POST /admin/webhooks/{id}/rotate`: a new secret, shown once.
async fn rotate(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<RotateForm>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let endpoint = match own_endpoint(&state, &portal, &id).await {
        Ok(e) => e,
        Err(page) => return page,
    };
    let Some(hours) = form
        .keep_old_hours
        .as_deref()
        .and_then(|h| h.trim().parse::<i64>().ok())
    else {
        return portal.failure(
            &state,
            domain::Error::Invalid("Choose how long the old secret keeps signing.".into()),
        );
    };
    let rotated = webhooks::rotate_secret(
        &state.db,
        &*state.clock,
        &portal.actor(),
        portal.company.id,
        endpoint.id,
        hours.saturating_mul(3600),
    )
    .await;
    match rotated {
        Ok(secret) => {
            let note = if hours == 0 {
                "The old secret no longer signs. Copy the new one now: it is shown this once."
                    .to_string()
            } else {
                format!("For the next {hours} hours each delivery carries two signatures, one with the old secret and one with this one, so you can update your receiver in the meantime. Copy the new secret now: it is shown this once.")
            };
            portal.page(
                &state,
                StatusCode::OK,
                "admin/webhook_secret.html",
                context! {
                    nav => "webhooks", title => "Your endpoint's new signing secret",
                    id => endpoint.id, secret, note,
                },
            )
        }
        Err(e) => portal.failure(&state, e),
    }
}

#[derive(Deserialize)]
struct ReplayFailedForm {
    csrf: Option<String>,
    since: Option<String>,
}

/// `POST /admin/webhooks/{id}/replay-failed`: every failed delivery first
/// queued on or after the day `since` (UTC) is queued again.
async fn replay_failed(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<ReplayFailedForm>,
) -> Response {
    let (company, actor, st) = (portal.company.id, portal.actor(), state.clone());
    let since = form.since.clone().unwrap_or_default();
    change(
        &state,
        &headers,
        &portal,
        &id,
        form.csrf.as_deref(),
        |id| async move {
            let since_ms = crate::clock::parse_day(&since)
                .ok_or_else(|| domain::Error::Invalid("Write the date as YYYY-MM-DD.".into()))?;
            let n =
                webhooks::replay_failed_since(&st.db, &*st.clock, &actor, company, id, since_ms)
                    .await?;
            Ok(format!("/admin/webhooks/{id}?done=replayed-{n}"))
        },
    )
    .await
}

/// `POST /admin/webhooks/{id}/deliveries/{delivery}/replay`.
async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path((id, delivery)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let (company, actor, st) = (portal.company.id, portal.actor(), state.clone());
    change(
        &state,
        &headers,
        &portal,
        &id,
        form.csrf.as_deref(),
        |id| async move {
            let delivery = delivery
                .parse::<i64>()
                .map_err(|_| domain::Error::NotFound("delivery"))?;
            webhooks::replay(&st.db, &*st.clock, &actor, company, id, delivery).await?;
            Ok(format!("/admin/webhooks/{id}?done=replayed"))
        },
    )
    .await
}
