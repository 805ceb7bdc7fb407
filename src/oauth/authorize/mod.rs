//! The authorization endpoint (RFC 6749 §4.1): `GET
//! /v1/oauth/authorize` and the storefront pages behind it — log-in,
//! sign-up, consent — ending in a redirect with a code or an error.
//!
//! # The flow
//! 1. `GET /v1/oauth/authorize` checks the request (`request.rs`). A browser
//!    without a session for a user who may use the app gets the log-in page
//!    (`pages.rs`), which links to the sign-up page.
//! 2. `POST …/login` (`login.rs`) opens a session and sends the browser
//!    back to step 1. Sign-up (`signup.rs`) e-mails a confirmation link
//!    whose page makes the account, opens the session and does the same.
//! 3. With a session, step 1 shows the consent page, or issues a code at
//!    once when the user granted these scopes to the app before
//!    (`consent.rs`).
//! 4. `POST /v1/oauth/authorize` (`consent.rs`) takes the decision: a code,
//!    or `access_denied`, sent back to the app's redirect URI.
//!
//! Every posted form carries the request as hidden fields, is checked
//! again in full, and must carry a CSRF token matching its cookie.
//!
//! Checks follow RFC 9700: the `redirect_uri` must equal the registered one
//! exactly, and until it is known to be right no error is ever redirected
//! (an error page is shown instead, so Galley is no open redirector); PKCE
//! is `S256` only and required for public apps; codes are single-use and
//! live five minutes. No CORS headers are ever sent here.
//!
//! # What it may touch
//! May touch: `domain` (`tokens::code` for codes and consents, `users` for
//! sign-up and log-in, `attempts` for rate limits, `clients`, `scopes`),
//! `store` reads (clients, consents, companies), `pages::session` for
//! sessions and CSRF, and the templates in `state`. Never `api` or `web`.

mod consent;
mod login;
mod pages;
mod request;
mod signup;

use axum::{
    routing::{get, post},
    Router,
};

pub use crate::domain::tokens::code::CODE_TTL_MS;
pub use request::{AuthorizeParams, PageForm};

use crate::state::AppState;

/// Routes of the authorization endpoint and its pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/oauth/authorize",
            get(consent::authorize).post(consent::decide),
        )
        .route("/v1/oauth/authorize/login", post(login::log_in))
        .route(
            "/v1/oauth/authorize/signup",
            get(signup::form).post(signup::sign_up),
        )
        .route(
            "/v1/oauth/authorize/signup/confirm",
            get(signup::confirm_form).post(signup::confirm),
        )
}
