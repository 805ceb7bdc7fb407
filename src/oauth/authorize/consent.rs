//! The authorization request itself: `GET /v1/oauth/authorize` (log-in page,
//! consent page, or straight back to the app when the scopes were granted
//! before) and `POST /v1/oauth/authorize` (the consent decision), ending in
//! a redirect with a single-use code.
//!
//! Who answers depends on the scopes: user scopes a storefront user,
//! company scopes an admin of the company the token will act on (see
//! [`crate::domain::tokens::code::may_grant`]); anyone else gets a page
//! that says why, and the app `error=access_denied`.
//!
//! May touch: `domain::tokens::code` (writes the code and the consent),
//! `domain::scopes`, `store::users` (reads consents), `pages::session`
//! (reads the session), `state`, the flow's `request` and `pages`. Never
//! `api` or `web`.

use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};

use super::{
    pages::{consent_page, error_page, login_page, refused_page, reject, see_other},
    request::{check_form, check_query, error_redirect, redirect_with, PageForm, Rejection, Valid},
};
use crate::{
    domain::{
        self,
        scopes::ScopeSet,
        tokens::code::{issue_code, may_grant, Grantor, Request},
    },
    pages::session,
    state::AppState,
    store::users,
};

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
    let Some(grantor) = session_grantor(state, headers, &valid).await? else {
        return Ok(login_page(
            state,
            headers,
            &params,
            &valid,
            StatusCode::OK,
            None,
            "",
        ));
    };
    if let Err(why) = may_grant(&grantor, &valid.client, valid.scopes) {
        return Ok(refused_page(state, &valid, &why));
    }
    // A user is not asked again for scopes already granted to this app; an
    // admin, who grants access to money, is asked every time.
    if let Grantor::User(user) = &grantor {
        let granted = users::consent(state.db.reader(), user.id, &valid.client.client_id).await?;
        if granted.is_some_and(|g| ScopeSet::parse(&g).is_ok_and(|g| valid.scopes.is_subset_of(g)))
        {
            return grant_code(state, &valid, &grantor).await;
        }
    }
    Ok(consent_page(state, headers, &params, &valid, &grantor).await?)
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
    let Some(grantor) = session_grantor(state, headers, &valid).await? else {
        return Ok(login_page(
            state,
            headers,
            &form.params,
            &valid,
            StatusCode::OK,
            None,
            "",
        ));
    };
    match form.decision.as_deref() {
        Some("allow") => match may_grant(&grantor, &valid.client, valid.scopes) {
            Ok(()) => grant_code(state, &valid, &grantor).await,
            Err(why) => Ok(refused_page(state, &valid, &why)),
        },
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

/// Who the browser's session is, as far as this request goes: for company
/// scopes an admin (or a storefront user, who is then told why not), for
/// user scopes a storefront user who may use the app. `None` means: show
/// the log-in page (for the right kind of account).
async fn session_grantor(
    state: &AppState,
    headers: &HeaderMap,
    valid: &Valid,
) -> Result<Option<Grantor>, Rejection> {
    if valid.scopes.has_company_scope() {
        if let Some(admin) = session::current_admin(state, headers).await? {
            return Ok(Some(Grantor::Admin(admin)));
        }
        // A storefront user asking for company scopes is told why not.
        return Ok(session::current_user(state, headers)
            .await?
            .map(Grantor::User));
    }
    // A user whose account cannot use this app may log in with another.
    Ok(session::current_user(state, headers)
        .await?
        .map(Grantor::User)
        .filter(|user| may_grant(user, &valid.client, valid.scopes).is_ok()))
}

/// Issues a code and answers the redirect to the app.
async fn grant_code(
    state: &AppState,
    valid: &Valid,
    grantor: &Grantor,
) -> Result<Response, Rejection> {
    let request = Request {
        client: &valid.client,
        redirect_uri: &valid.redirect_uri,
        scopes: valid.scopes,
        challenge: valid.challenge.as_deref(),
    };
    let code = match issue_code(&state.db, &*state.clock, grantor, request).await {
        Ok(code) => code,
        Err(domain::Error::Invalid(why)) => return Ok(refused_page(state, valid, &why)),
        Err(e) => return Err(Rejection::Internal(e.into())),
    };
    let mut pairs = vec![("code", code.as_str())];
    if let Some(st) = valid.state.as_deref() {
        pairs.push(("state", st));
    }
    Ok(see_other(&redirect_with(&valid.callback, &pairs), None))
}
