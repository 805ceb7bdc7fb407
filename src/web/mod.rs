//! The web area: the stylesheet, the reward-link page ([`redeem`]) and the
//! demo app's callback ([`demo`]). Pages render through the shared kit in
//! [`crate::pages`]; the storefront's authorization pages live in
//! [`crate::oauth::authorize`].
//!
//! May touch: `pages`, `state`, `domain` (writes), `store` (reads). Never
//! `api`.

pub mod demo;
pub mod redeem;

use axum::{http::header, response::IntoResponse, routing::get, Router};

use crate::{pages::STYLESHEET, state::AppState};

/// Routes of the web area.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/galley.css", get(stylesheet))
        .route("/developers/demo/callback", get(demo::callback))
        .merge(redeem::router())
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
