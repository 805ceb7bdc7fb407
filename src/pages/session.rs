//! Browser sessions and CSRF protection.
//!
//! The session cookie holds 256 random bits; the database keeps only their
//! SHA-256. Cookies are `HttpOnly`, `SameSite=Lax`, scoped to the base path,
//! and `Secure` when the public URL is https. Forms carry a CSRF token that
//! must equal the `galley_csrf` cookie (double submit), compared in
//! constant time, and be signed by the server (key shared by every node
//! through the database) for the browser's session.
//!
//! May touch: `store::sessions` (reads and writes the session rows,
//! straight to the store), `crypto`, `state`. Names no `api`,
//! `oauth` or `web` type.

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use crate::{
    crypto,
    state::AppState,
    store::{companies, sessions, users, StoreResult},
};

pub use crate::store::sessions::Owner;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "galley_session";
/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "galley_csrf";
/// How long a storefront session lasts.
pub const SESSION_TTL_SECS: i64 = 12 * 3600;
/// An admin's session ends after this long without a request.
pub const IDLE_TIMEOUT_MS: i64 = 30 * 60 * 1000;

/// The value of cookie `name`, if the request has it.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` header for `name`.
pub fn set_cookie(state: &AppState, name: &str, value: String, max_age_secs: i64) -> HeaderValue {
    let path = match state.config.public_url.base_path() {
        "" => "/".to_string(),
        base => base.to_string(),
    };
    let cookie = Cookie::build((name.to_string(), value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.public_url.is_https())
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    // The path comes from a parsed URL and the values are hex or base64url,
    // so the header is ASCII; should that ever break, no cookie is set
    // (the form then fails its CSRF check) rather than the request failing.
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| {
        tracing::error!(cookie = name, "cookie is not a valid header value; not set");
        HeaderValue::from_static("")
    })
}

/// The CSRF token for a form, and the cookie to set when the browser has
/// no token valid for its current session.
///
/// A token is `nonce.signature`: 128 random bits, and the server key's HMAC
/// of them together with the browser's session (none on pages without
/// one). The same token goes in the cookie and in the form (double
/// submit); only the server can make one, and one made for another session
/// (or none) does not pass for this one.
pub fn csrf_token(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let session = session_hash(headers).unwrap_or_default();
    match read_cookie(headers, CSRF_COOKIE).filter(|t| csrf_valid(state, &session, t)) {
        Some(token) => (token, None),
        None => {
            let nonce = crypto::new_id();
            let token = format!(
                "{nonce}.{}",
                state.csrf_key.sign(&["csrf", &nonce, &session])
            );
            let cookie = set_cookie(state, CSRF_COOKIE, token.clone(), SESSION_TTL_SECS);
            (token, Some(cookie))
        }
    }
}

/// True when the form's token equals the cookie and was made by this
/// server for the browser's current session.
pub fn csrf_ok(state: &AppState, headers: &HeaderMap, submitted: Option<&str>) -> bool {
    let session = session_hash(headers).unwrap_or_default();
    match (read_cookie(headers, CSRF_COOKIE), submitted) {
        (Some(cookie), Some(form)) => {
            crypto::hashes_equal(&cookie, form) && csrf_valid(state, &session, &cookie)
        }
        _ => false,
    }
}

fn csrf_valid(state: &AppState, session: &str, token: &str) -> bool {
    match token.split_once('.') {
        Some((nonce, signature)) if nonce.len() == 32 && signature.len() == 64 => {
            state.csrf_key.verify(&["csrf", nonce, session], signature)
        }
        _ => false,
    }
}

/// The SHA-256 of the request's session cookie, if it has a plausible one.
fn session_hash(headers: &HeaderMap) -> Option<String> {
    read_cookie(headers, SESSION_COOKIE)
        .filter(|token| token.len() <= 128)
        .map(|token| crypto::hash_secret(&token))
}

/// The user of the request's session, if it has a live one.
pub async fn current_user(
    state: &AppState,
    headers: &HeaderMap,
) -> StoreResult<Option<users::UserRow>> {
    let Some(hash) = session_hash(headers) else {
        return Ok(None);
    };
    sessions::user(state.db.reader(), &hash, state.clock.now_ms()).await
}

/// The admin of the request's session, if it is a live admin session.
pub async fn current_admin(
    state: &AppState,
    headers: &HeaderMap,
) -> StoreResult<Option<companies::AdminRow>> {
    let Some(hash) = session_hash(headers) else {
        return Ok(None);
    };
    let now = state.clock.now_ms();
    let admin = sessions::admin(state.db.reader(), &hash, now, now - IDLE_TIMEOUT_MS).await?;
    if admin.is_some() {
        sessions::touch(&state.db, &hash, now).await?;
    }
    Ok(admin)
}

/// Ends the request's session, if any (log-out).
pub async fn close(state: &AppState, headers: &HeaderMap) -> StoreResult<()> {
    match session_hash(headers) {
        Some(hash) => sessions::delete(&state.db, &hash).await,
        None => Ok(()),
    }
}

/// Opens a session (replacing the browser's current one); returns its
/// `Set-Cookie` header.
pub async fn open(state: &AppState, owner: Owner) -> StoreResult<HeaderValue> {
    let new = NewSession::mint(state);
    sessions::insert(&state.db, &new.hash, owner, new.now, new.expires).await?;
    Ok(new.cookie(state))
}

/// A fresh session cookie value, before its row is stored.
struct NewSession {
    token: String,
    hash: String,
    now: i64,
    expires: i64,
}

impl NewSession {
    fn mint(state: &AppState) -> Self {
        let token = crypto::new_secret("");
        let now = state.clock.now_ms();
        NewSession {
            hash: crypto::hash_secret(&token),
            token,
            now,
            expires: now + SESSION_TTL_SECS * 1000,
        }
    }

    fn cookie(self, state: &AppState) -> HeaderValue {
        set_cookie(state, SESSION_COOKIE, self.token, SESSION_TTL_SECS)
    }
}

/// The reviewer of the request's operator session, if it is a live one
/// (the same cookie as other sessions; the rows live in their own table).
pub async fn current_operator(
    state: &AppState,
    headers: &HeaderMap,
) -> StoreResult<Option<crate::store::operators::OperatorRow>> {
    let Some(hash) = session_hash(headers) else {
        return Ok(None);
    };
    let now = state.clock.now_ms();
    crate::store::operators::by_session(&state.db, &hash, now, now - IDLE_TIMEOUT_MS).await
}

/// Opens an operator session (replacing the browser's current one);
/// returns its `Set-Cookie` header.
pub async fn open_operator(state: &AppState, operator_id: i64) -> StoreResult<HeaderValue> {
    let new = NewSession::mint(state);
    crate::store::operators::open_session(&state.db, &new.hash, operator_id, new.now, new.expires)
        .await?;
    Ok(new.cookie(state))
}

/// Ends the request's operator session, if any.
pub async fn close_operator(state: &AppState, headers: &HeaderMap) -> StoreResult<()> {
    match session_hash(headers) {
        Some(hash) => crate::store::operators::close_session(&state.db, &hash).await,
        None => Ok(()),
    }
}
