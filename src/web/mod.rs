//! The web area: the stylesheet and script, the admin portal ([`admin`]),
//! the developer hub ([`developers`]), the operator's review pages
//! ([`operator`]), the reward-link page ([`redeem`]) and the demo app's callback
//! ([`demo`]). Pages render through the shared kit in
//! [`crate::pages`]; the storefront's authorization pages live in
//! [`crate::oauth::authorize`].
//!
//! May touch: `pages`, `state`, `domain` (writes), `store` (reads). Never
//! `api`.

pub mod admin;
pub mod demo;
pub mod developers;
pub mod operator;
pub mod redeem;

use axum::{http::header, response::IntoResponse, routing::get, Router};

use crate::{
    pages::{PORTAL_SCRIPT, STYLESHEET},
    state::AppState,
};

/// Routes of the web area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/galley.css", get(stylesheet))
        .route("/assets/portal.js", get(script))
        .route("/developers/demo/callback", get(demo::callback))
        .merge(redeem::router())
        .merge(admin::router())
        .merge(developers::router())
        .merge(operator::router())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PORTAL_SCRIPT,
    )
}
