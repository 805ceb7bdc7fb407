//! The company's audit log: every change made by its admins (in the portal
//! or through their tokens), by the operator and by the system, newest
//! first, a page at a time.
//!
//! May touch: `store::audit` and `store::companies` (reads), `state`, the
//! portal kit in `super`.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
    routing::get,
    Router,
};
use minijinja::context;
use serde::Deserialize;

use super::Portal;
use crate::{state::AppState, store};

/// Events per page.
const PAGE: i64 = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(show))
}

#[derive(Deserialize)]
struct Cursor {
    before: Option<i64>,
}

/// `GET /admin/audit`.
async fn show(
    State(state): State<AppState>,
    portal: Portal,
    Query(cursor): Query<Cursor>,
) -> Response {
    let read = async {
        let events =
            store::audit::page(state.db.reader(), portal.company.id, cursor.before, PAGE).await?;
        let admins = store::companies::list_admins(state.db.reader(), portal.company.id).await?;
        Ok::<_, store::StoreError>((events, admins))
    };
    let (events, admins) = match read.await {
        Ok(found) => found,
        Err(e) => return portal.failure(&state, e.into()),
    };
    let names: HashMap<String, String> = admins
        .into_iter()
        .map(|a| (format!("admin:{}", a.id), a.email))
        .collect();
    let who = |actor: &str| match actor {
        "cli" => "the operator (command line)".to_string(),
        "system" => "Galley".to_string(),
        other => names
            .get(other)
            .cloned()
            .unwrap_or_else(|| other.to_string()),
    };
    let next = (events.len() as i64 == PAGE)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    let rows: Vec<_> = events
        .iter()
        .map(|e| {
            context! {
                id => e.id, created_at => e.created_at, actor => who(&e.actor),
                action => e.action, subject => e.subject,
                detail => if e.detail == "{}" { String::new() } else { e.detail.clone() },
            }
        })
        .collect();
    portal.page(
        &state,
        StatusCode::OK,
        "admin/audit.html",
        context! { nav => "audit", rows, next, first_page => cursor.before.is_none() },
    )
}
