//! The developer hub, `/developers`: a company's admins (the portal's
//! log-in and session) make and manage the company's apps.
//!
//! The journey: **Create an app** → public or private → **Basic Info** (app
//! name, exactly one OAuth callback URL — or a placeholder for now —, an
//! optional description, home page and logo for the consent page) →
//! **Save** → the **OAuth & access scopes** tab with the `client_id` and the
//! `client_secret` (shown once in full, behind a reveal, with a copy
//! button; Galley keeps only its hash, so later visits show it masked) →
//! scopes and grant types → **Refresh** under the secret (a dialog; the old
//! secret stops at once unless the developer keeps it for a grace period;
//! user tokens stay valid; the `client_id` never changes). **Try it** runs
//! the authorization-code flow with PKCE against the app and, when the app's
//! callback is Galley's test callback, shows the code exchanged for tokens.
//! Public apps are **submitted for approval**; the operator approves or
//! rejects them (`galley client approve|reject`) and the developer reads
//! the status and the reason here.
//!
//! Every change goes through `domain::clients` with the admin as actor (so
//! it is in the company's audit log); another company's apps answer 404.
//!
//! May touch: `domain::clients`, `domain::tokens::code` (Try it's
//! exchange), `domain::scopes`, `store::clients` (reads), `pages::session`
//! (the Try it cookie), `crypto`, `state`, and the portal kit of
//! [`super::admin`]. Never `api` or `oauth`.

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
    Router,
};
use axum_extra::extract::Form;
use minijinja::{context, Value};
use serde::Deserialize;

use super::admin::CsrfOnly;

use super::admin::{see_other, Portal};
use crate::{
    crypto,
    domain::{
        self,
        clients::{AppDetails, BasicInfo, NewClient, Review, PLACEHOLDER_CALLBACK},
        scopes::{GrantType, Scope, TokenType},
        tokens::code,
    },
    pages::session,
    state::AppState,
    store::clients::{self, ClientRow},
};

/// The cookie that carries a Try it run (app, state, PKCE verifier), signed.
const TRY_COOKIE: &str = "galley_try";
/// Galley's own test callback, for Try it.
const TRY_CALLBACK: &str = "/developers/try/callback";

/// Routes of the developer hub.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/developers", get(list))
        .route("/developers/apps", post(create))
        .route("/developers/apps/new", get(new_form))
        .route("/developers/apps/{id}", get(basic_tab).post(save_basic))
        .route("/developers/apps/{id}/oauth", get(oauth_tab))
        .route("/developers/apps/{id}/access", post(save_access))
        .route("/developers/apps/{id}/secret", post(refresh_secret))
        .route("/developers/apps/{id}/submit", post(submit))
        .route("/developers/apps/{id}/delete", post(delete))
        .route("/developers/apps/{id}/try", get(try_page).post(try_start))
        .route(TRY_CALLBACK, get(try_callback))
}

/// An app's status in words.
fn status(client: &ClientRow) -> (&'static str, &'static str) {
    if !domain::clients::is_public(client) {
        return ("private", "Private: usable by your company at once");
    }
    match domain::clients::review_of(client) {
        Review::Draft => ("draft", "Public, draft: not yet submitted for approval"),
        Review::Submitted => (
            "submitted",
            "Public, submitted: waiting for the operator's review",
        ),
        Review::Approved => (
            "approved",
            "Public, approved: users of any company may authorize it",
        ),
        Review::Rejected => ("rejected", "Public, rejected: change it and submit again"),
    }
}

fn app_context(state: &AppState, client: &ClientRow) -> Value {
    let (status_key, status_text) = status(client);
    let placeholder = domain::clients::has_placeholder_callback(client);
    context! {
        client_id => client.client_id, name => client.name,
        redirect_uri => if placeholder { String::new() } else { client.redirect_uri.clone() },
        placeholder, public => domain::clients::is_public(client),
        status => status_key, status_text, review_reason => client.review_reason,
        description => client.description, homepage_url => client.homepage_url, logo_url => client.logo_url,
        scopes => client.scopes, grant_types => client.grant_types,
        uses_try_callback => client.redirect_uri == state.config.public_url.join(TRY_CALLBACK),
    }
}

/// The company's app `id`, or the 404 page.
async fn own_app(state: &AppState, portal: &Portal, id: &str) -> Result<ClientRow, Response> {
    match clients::find(state.db.reader(), id).await {
        Ok(Some(c)) if c.company_id == portal.company.id => Ok(c),
        Ok(_) => Err(portal.failure(state, domain::Error::NotFound("app"))),
        Err(e) => Err(portal.failure(state, e.into())),
    }
}

/// The company's app `id` for a posted form: its CSRF token is checked
/// first, then the app is looked up (404 for another company's).
async fn posted_app(
    state: &AppState,
    headers: &HeaderMap,
    portal: &Portal,
    id: &str,
    csrf: Option<&str>,
) -> Result<ClientRow, Response> {
    portal.check_csrf(state, headers, csrf)?;
    own_app(state, portal, id).await
}

/// `GET /developers`: the company's apps.
async fn list(State(state): State<AppState>, portal: Portal) -> Response {
    let read = async {
        let apps = clients::list_by_company(state.db.reader(), portal.company.id).await?;
        let counts = clients::consent_counts(state.db.reader(), portal.company.id).await?;
        Ok::<_, crate::store::StoreError>((apps, counts))
    };
    let (apps, counts) = match read.await {
        Ok(found) => found,
        Err(e) => return portal.failure(&state, e.into()),
    };
    let apps: Vec<Value> = apps
        .iter()
        .map(|c| {
            let users = counts
                .iter()
                .find(|(id, _)| *id == c.client_id)
                .map_or(0, |(_, n)| *n);
            context! { users, ..app_context(&state, c) }
        })
        .collect();
    portal.page(
        &state,
        StatusCode::OK,
        "developers/list.html",
        context! { nav => "developers", apps },
    )
}

/// What Basic Info's form posts.
#[derive(Debug, Default, Deserialize)]
struct BasicForm {
    csrf: Option<String>,
    visibility: Option<String>,
    name: Option<String>,
    redirect_uri: Option<String>,
    /// `placeholder` (none yet), `galley` (Galley's test callback) or
    /// `url` (the typed one).
    callback: Option<String>,
    description: Option<String>,
    homepage_url: Option<String>,
    logo_url: Option<String>,
}

impl BasicForm {
    fn callback(&self, state: &AppState) -> String {
        match self.callback.as_deref() {
            Some("placeholder") => PLACEHOLDER_CALLBACK.to_string(),
            Some("galley") => state.config.public_url.join(TRY_CALLBACK),
            _ => self.redirect_uri.clone().unwrap_or_default(),
        }
    }

    fn details(&self) -> AppDetails {
        AppDetails {
            description: self.description.clone().unwrap_or_default(),
            homepage_url: self.homepage_url.clone().unwrap_or_default(),
            logo_url: self.logo_url.clone().unwrap_or_default(),
        }
    }

    /// The form as typed, to show it again with an error.
    fn typed(&self) -> Value {
        context! {
            name => self.name, redirect_uri => self.redirect_uri, callback => self.callback,
            description => self.description, homepage_url => self.homepage_url, logo_url => self.logo_url,
            public => self.visibility.as_deref() == Some("public"),
        }
    }
}

/// `GET /developers/apps/new`: Create an app.
async fn new_form(State(state): State<AppState>, portal: Portal) -> Response {
    portal.page(
        &state,
        StatusCode::OK,
        "developers/new.html",
        context! { nav => "developers", app => context! { callback => "url" }, try_callback => state.config.public_url.join(TRY_CALLBACK) },
    )
}

/// `POST /developers/apps`: Save on Create an app; answers with the OAuth
/// & access scopes tab showing the new secret once.
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Form(form): Form<BasicForm>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let public = match form.visibility.as_deref() {
        Some("public") => true,
        Some("private") => false,
        _ => {
            return new_again(
                &state,
                &portal,
                &form,
                "Choose whether the app is public or private.",
            )
        }
    };
    let created = domain::clients::create_app(
        &state.db,
        &*state.clock,
        &portal.actor(),
        NewClient {
            company_id: portal.company.id,
            name: form.name.clone().unwrap_or_default(),
            redirect_uri: form.callback(&state),
            scopes: "user_session,profile_read".into(),
            grant_types: Some("authorization_code,refresh_token".into()),
            public,
            signup_company: None,
        },
        &form.details(),
    )
    .await;
    match created {
        Ok(credentials) => match own_app(&state, &portal, &credentials.client_id).await {
            Ok(client) => oauth_page(
                &state,
                &portal,
                &client,
                StatusCode::CREATED,
                Some(&credentials.client_secret),
                None,
                false,
            ),
            Err(page) => page,
        },
        Err(domain::Error::Invalid(message)) => new_again(&state, &portal, &form, &message),
        Err(e) => portal.failure(&state, e),
    }
}

fn new_again(state: &AppState, portal: &Portal, form: &BasicForm, error: &str) -> Response {
    portal.page(
        state,
        StatusCode::BAD_REQUEST,
        "developers/new.html",
        context! { nav => "developers", app => form.typed(), error, try_callback => state.config.public_url.join(TRY_CALLBACK) },
    )
}

/// `GET /developers/apps/{id}`: the Basic Info tab.
async fn basic_tab(
    State(state): State<AppState>,
    portal: Portal,
    Path(id): Path<String>,
    Query(q): Query<Dialogs>,
) -> Response {
    match own_app(&state, &portal, &id).await {
        Ok(client) => basic_page(
            &state,
            &portal,
            &client,
            StatusCode::OK,
            None,
            None,
            q.delete.is_some(),
        ),
        Err(page) => page,
    }
}

fn basic_page(
    state: &AppState,
    portal: &Portal,
    client: &ClientRow,
    status: StatusCode,
    error: Option<&str>,
    typed: Option<Value>,
    delete_dialog: bool,
) -> Response {
    let app = app_context(state, client);
    let form = typed.unwrap_or_else(|| {
        let callback = if app.get_attr("placeholder").is_ok_and(|v| v.is_true()) {
            "placeholder"
        } else if app.get_attr("uses_try_callback").is_ok_and(|v| v.is_true()) {
            "galley"
        } else {
            "url"
        };
        context! { callback, ..app.clone() }
    });
    portal.page(
        state,
        status,
        "developers/basic.html",
        context! {
            nav => "developers", tab => "basic", app, form, error, delete_dialog,
            try_callback => state.config.public_url.join(TRY_CALLBACK),
        },
    )
}

/// `POST /developers/apps/{id}`: Save on Basic Info.
async fn save_basic(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<BasicForm>,
) -> Response {
    let client = match posted_app(&state, &headers, &portal, &id, form.csrf.as_deref()).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let info = BasicInfo {
        name: form.name.clone().unwrap_or_default(),
        redirect_uri: form.callback(&state),
        details: form.details(),
    };
    match domain::clients::update_basic_info(&state.db, &*state.clock, &portal.actor(), &id, &info)
        .await
    {
        Ok(()) => see_other(&state, &format!("/developers/apps/{id}?saved=1")),
        Err(domain::Error::Invalid(message)) => basic_page(
            &state,
            &portal,
            &client,
            StatusCode::BAD_REQUEST,
            Some(&message),
            Some(form.typed()),
            false,
        ),
        Err(e) => portal.failure(&state, e),
    }
}

/// Dialogs a tab may open (`?refresh=1`, `?delete=1`).
#[derive(Debug, Default, Deserialize)]
struct Dialogs {
    refresh: Option<String>,
    delete: Option<String>,
}

/// `GET /developers/apps/{id}/oauth`: the OAuth & access scopes tab.
async fn oauth_tab(
    State(state): State<AppState>,
    portal: Portal,
    Path(id): Path<String>,
    Query(q): Query<Dialogs>,
) -> Response {
    match own_app(&state, &portal, &id).await {
        Ok(client) => oauth_page(
            &state,
            &portal,
            &client,
            StatusCode::OK,
            None,
            None,
            q.refresh.is_some(),
        ),
        Err(page) => page,
    }
}

fn oauth_page(
    state: &AppState,
    portal: &Portal,
    client: &ClientRow,
    status: StatusCode,
    new_secret: Option<&str>,
    error: Option<&str>,
    refresh_dialog: bool,
) -> Response {
    let allowed = domain::clients::allowed_scopes(client);
    let public = domain::clients::is_public(client);
    let scopes: Vec<Value> = Scope::ALL
        .iter()
        .map(|s| {
            context! {
                name => s.as_str(), description => s.describe(), checked => allowed.contains(*s),
                company => s.is_company(),
            }
        })
        .collect();
    portal.page(
        state,
        status,
        "developers/oauth.html",
        context! {
            nav => "developers", tab => "oauth", app => app_context(state, client), scopes, error,
            new_secret, refresh_dialog, public,
            client_credentials => domain::clients::allows_grant(client, GrantType::ClientCredentials),
            max_grace_hours => domain::clients::MAX_SECRET_GRACE_HOURS,
            token_url => state.config.public_url.join("/v1/oauth/token/user"),
            authorize_url => state.config.public_url.join("/v1/oauth/authorize"),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct AccessForm {
    csrf: Option<String>,
    #[serde(default)]
    scope: Vec<String>,
    client_credentials: Option<String>,
}

/// `POST /developers/apps/{id}/access`: scopes and grant types.
async fn save_access(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> Response {
    let client = match posted_app(&state, &headers, &portal, &id, form.csrf.as_deref()).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let scopes = form.scope.join(",");
    let result = domain::clients::set_access(
        &state.db,
        &*state.clock,
        &portal.actor(),
        &id,
        &scopes,
        form.client_credentials.is_some(),
    )
    .await;
    match result {
        Ok(()) => see_other(&state, &format!("/developers/apps/{id}/oauth?saved=1")),
        Err(domain::Error::Invalid(message)) => oauth_page(
            &state,
            &portal,
            &client,
            StatusCode::BAD_REQUEST,
            None,
            Some(&message),
            false,
        ),
        Err(e) => portal.failure(&state, e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct SecretForm {
    csrf: Option<String>,
    grace_hours: Option<String>,
}

/// `POST /developers/apps/{id}/secret`: Generate new client secret.
async fn refresh_secret(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<SecretForm>,
) -> Response {
    let client = match posted_app(&state, &headers, &portal, &id, form.csrf.as_deref()).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let grace = match form
        .grace_hours
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        None => 0,
        Some(text) => match text.parse::<i64>() {
            Ok(hours) => hours,
            Err(_) => {
                return oauth_page(
                    &state,
                    &portal,
                    &client,
                    StatusCode::BAD_REQUEST,
                    None,
                    Some("The grace period is a number of hours."),
                    true,
                )
            }
        },
    };
    match domain::clients::refresh_secret(&state.db, &*state.clock, &portal.actor(), &id, grace)
        .await
    {
        Ok(credentials) => match own_app(&state, &portal, &id).await {
            Ok(client) => oauth_page(
                &state,
                &portal,
                &client,
                StatusCode::OK,
                Some(&credentials.client_secret),
                None,
                false,
            ),
            Err(page) => page,
        },
        Err(domain::Error::Invalid(message)) => oauth_page(
            &state,
            &portal,
            &client,
            StatusCode::BAD_REQUEST,
            None,
            Some(&message),
            true,
        ),
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /developers/apps/{id}/submit`: Submit for approval.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let client = match posted_app(&state, &headers, &portal, &id, form.csrf.as_deref()).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    match domain::clients::submit_for_review(&state.db, &*state.clock, &portal.actor(), &id).await {
        Ok(()) => see_other(&state, &format!("/developers/apps/{id}")),
        Err(domain::Error::Invalid(message)) => basic_page(
            &state,
            &portal,
            &client,
            StatusCode::BAD_REQUEST,
            Some(&message),
            None,
            false,
        ),
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /developers/apps/{id}/delete`: deletes the app for good.
async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(page) = posted_app(&state, &headers, &portal, &id, form.csrf.as_deref()).await {
        return page;
    }
    match domain::clients::delete(&state.db, &*state.clock, &portal.actor(), &id).await {
        Ok(()) => see_other(&state, "/developers?deleted=1"),
        Err(e) => portal.failure(&state, e),
    }
}

/// `GET /developers/apps/{id}/try`: the Try it tab.
async fn try_page(
    State(state): State<AppState>,
    portal: Portal,
    Path(id): Path<String>,
) -> Response {
    let client = match own_app(&state, &portal, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let allowed = domain::clients::allowed_scopes(&client);
    let scopes: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    portal.page(
        &state,
        StatusCode::OK,
        "developers/try.html",
        context! {
            nav => "developers", tab => "try", app => app_context(&state, &client), scopes,
            try_callback => state.config.public_url.join(TRY_CALLBACK),
        },
    )
}

/// `POST /developers/apps/{id}/try`: starts a run: a fresh state and PKCE
/// verifier in a signed cookie, then the app's authorization request.
async fn try_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let client = match posted_app(&state, &headers, &portal, &id, form.csrf.as_deref()).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    if domain::clients::has_placeholder_callback(&client) {
        return portal.message(&state, StatusCode::BAD_REQUEST, "The app's callback URL is a placeholder: set a real one, or Galley's test callback, under Basic Info first.");
    }
    let run_state = crypto::new_id();
    let verifier = crypto::new_secret("");
    let challenge = code::s256_challenge(&verifier);
    let scopes: Vec<&str> = domain::clients::allowed_scopes(&client)
        .iter()
        .filter(|s| !s.is_company())
        .map(|s| s.as_str())
        .collect();
    let scopes = if scopes.is_empty() {
        domain::clients::allowed_scopes(&client)
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        scopes.join(" ")
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", &scopes)
        .append_pair("state", &run_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let signature = state
        .csrf_key
        .sign(&["try", &client.client_id, &run_state, &verifier]);
    let cookie = session::set_cookie(
        &state,
        TRY_COOKIE,
        format!("{}.{run_state}.{verifier}.{signature}", client.client_id),
        15 * 60,
    );
    let mut response = see_other(&state, &format!("/v1/oauth/authorize?{query}"));
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

#[derive(Debug, Default, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /developers/try/callback`: Galley's test callback. It exchanges the
/// code only for the run its signed cookie describes (same state, the PKCE
/// verifier from the cookie), so it serves no one but the browser that
/// started the run.
async fn try_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let base_path = state.config.public_url.base_path();
    let show = |status: StatusCode, ctx: Value| {
        state.templates.page(
            status,
            "developers/try_result.html",
            context! { base_path, ..ctx },
        )
    };
    let run = session::read_cookie(&headers, TRY_COOKIE).and_then(|value| {
        let mut parts = value.splitn(4, '.');
        let (client_id, run_state, verifier, signature) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        state
            .csrf_key
            .verify(&["try", client_id, run_state, verifier], signature)
            .then(|| {
                (
                    client_id.to_string(),
                    run_state.to_string(),
                    verifier.to_string(),
                )
            })
    });
    let Some((client_id, run_state, verifier)) = run else {
        return show(
            StatusCode::BAD_REQUEST,
            context! { error => "no_run", error_description => "This browser started no Try it run in the last 15 minutes. Start one from the app's Try it tab." },
        );
    };
    if q.state.as_deref() != Some(run_state.as_str()) {
        return show(
            StatusCode::BAD_REQUEST,
            context! { error => "state_mismatch", error_description => "The state in the callback is not the one this run sent: the response is not for this run." },
        );
    }
    if let Some(error) = q.error.as_deref().filter(|e| !e.is_empty()) {
        return show(
            StatusCode::OK,
            context! { error, error_description => q.error_description, client_id },
        );
    }
    let Some(code) = q
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 256)
    else {
        return show(
            StatusCode::BAD_REQUEST,
            context! { error => "invalid_request", error_description => "The callback has neither a code nor an error." },
        );
    };
    let client = match clients::find(state.db.reader(), &client_id).await {
        Ok(Some(c)) if c.redirect_uri == state.config.public_url.join(TRY_CALLBACK) => c,
        Ok(_) => {
            return show(
                StatusCode::BAD_REQUEST,
                context! { error => "invalid_client", error_description => "The app is gone, or its callback is no longer Galley's test callback." },
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "try-it callback failed");
            return show(
                StatusCode::INTERNAL_SERVER_ERROR,
                context! { error => "server_error", error_description => "Please try again later." },
            );
        }
    };
    let presented = code::Presented {
        code,
        redirect_uri: Some(&client.redirect_uri),
        verifier: Some(&verifier),
        endpoint: TokenType::User,
    };
    match code::exchange(&state.tokens, &client, presented).await {
        Ok(tokens) => show(
            StatusCode::OK,
            context! { tokens, client_id, app_name => client.name },
        ),
        Err(e) => show(
            StatusCode::BAD_REQUEST,
            context! { error => e.oauth_code(), error_description => "The code exchange failed (a code works once, for five minutes).", client_id },
        ),
    }
}
