//! The authorization request itself: `GET /v1/oauth/authorize` (log-in page,
//! consent page, or straight back to the app when the scopes were granted
//! before) and `POST /v1/oauth/authorize` (the consent decision), ending in
//! a redirect with a single-use code.
//!
//! May read the browser session (`pages::session`) and the user's consents,
//! and writes the consent and the code (`store::users`, `store::codes`).

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};

use super::{
    pages::{consent_page, error_page, login_page, reject, see_other},
    request::{check_form, check_query, error_redirect, redirect_with, PageForm, Rejection, Valid},
};
use crate::{
    state::AppState,
    crypto,
    domain::scopes::ScopeSet,
    domain::clients::{self, storefront_company},
    store::{clients::ClientRow, codes, users},
    pages::session,
};

/// How long an authorization code lives (seed 001: 5 minutes).
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;

/// `GET /v1/oauth/authorize`.
pub(super) async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    show(&state, &headers, query.as_deref())
        .await
        .unwrap_or_else(|rejection| reject(&state, rejection))
}

async fn show(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Rejection> {
    let (params, valid) = check_query(state, query).await?;
    let Some(user) = session_user(state, headers, &valid.client).await? else {
        return Ok(login_page(
            state,
            headers,
            &params,
            &valid.client,
            StatusCode::OK,
            None,
            "",
        ));
    };
    // Not asked again for scopes already granted to this app.
    let granted = users::consent(state.db.reader(), user.id, &valid.client.client_id).await?;
    if granted.is_some_and(|g| ScopeSet::parse(&g).is_ok_and(|g| valid.scopes.is_subset_of(g))) {
        grant_code(state, &valid, &user).await
    } else {
        Ok(consent_page(state, headers, &params, &valid, &user))
    }
}

/// `POST /v1/oauth/authorize`: the consent decision.
pub(super) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PageForm>,
) -> Response {
    decision(&state, &headers, &form)
        .await
        .unwrap_or_else(|rejection| reject(&state, rejection))
}

async fn decision(
    state: &AppState,
    headers: &HeaderMap,
    form: &PageForm,
) -> Result<Response, Rejection> {
    let valid = check_form(state, headers, form).await?;
    let Some(user) = session_user(state, headers, &valid.client).await? else {
        return Ok(login_page(
            state,
            headers,
            &form.params,
            &valid.client,
            StatusCode::OK,
            None,
            "",
        ));
    };
    match form.decision.as_deref() {
        Some("allow") => grant_code(state, &valid, &user).await,
        Some("deny") => Err(error_redirect(
            &valid.callback,
            "access_denied",
            "The user denied the request",
            valid.state.as_deref(),
        )),
        _ => Ok(error_page(
            state,
            StatusCode::BAD_REQUEST,
            "Choose Allow or Deny",
            "The form had no decision.",
        )),
    }
}

/// The user of the browser's session, if they may use this app: a user of
/// its storefront company or of the company that owns it, or any user once
/// the app is public and approved.
async fn session_user(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientRow,
) -> Result<Option<users::UserRow>, Rejection> {
    let user = session::current_user(state, headers).await?;
    Ok(user.filter(|user| {
        user.company_id == storefront_company(client)
            || user.company_id == client.company_id
            || clients::approved_public(client)
    }))
}

/// Saves the consent, issues a code and answers the redirect to the app.
async fn grant_code(
    state: &AppState,
    valid: &Valid,
    user: &users::UserRow,
) -> Result<Response, Rejection> {
    let code = crypto::new_secret("gly_ac_");
    let now = state.clock.now_ms();
    let scopes = valid.scopes.to_string();
    let mut tx = state.db.begin().await?;
    users::save_consent(&mut tx, user.id, &valid.client.client_id, &scopes, now).await?;
    codes::insert(
        &mut tx,
        &codes::NewCode {
            code_hash: &crypto::hash_secret(&code),
            client_id: &valid.client.client_id,
            user_id: user.id,
            company_id: user.company_id,
            redirect_uri: &valid.redirect_uri,
            scopes: &scopes,
            code_challenge: valid.challenge.as_deref(),
            family_id: &crypto::new_id(),
            expires_at: now + CODE_TTL_MS,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(st) = valid.state.as_deref() {
        pairs.push(("state", st));
    }
    Ok(see_other(&redirect_with(&valid.callback, &pairs), None))
}
