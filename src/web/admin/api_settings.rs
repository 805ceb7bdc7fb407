//! Settings → API: the company's API credentials, as in the portal the
//! Plum API's users know. **Generate Client ID** (a dialog with the
//! integration's scopes, Save) shows the Client ID and the Secret ID — the
//! secret this once, then masked; **Generate Token** shows an access and a
//! refresh token once; live grants can be revoked; the secret can be
//! rotated (the old one stops at once, tokens stay valid).
//!
//! May touch: `domain::clients` (create, rotate), `domain::tokens` (issue
//! to the admin, revoke a grant), `store::clients` and `store::tokens`
//! (reads), `state`, the portal kit in `super`.

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
    domain::{self, clients::NewClient, scopes::ScopeSet},
    state::AppState,
    store::{clients::ClientRow, tokens},
};

/// The redirect URI of clients made here: they get their tokens from
/// **Generate Token** and the refresh grant, never through a browser.
pub const NO_CALLBACK: &str = "urn:ietf:wg:oauth:2.0:oob";

/// The scopes an integration made here may have, as the dialog offers them.
const OFFERED: [(&str, &str); 2] = [
    (
        "plum_pro_api",
        "Plum PRO API: the catalog, orders and the balance",
    ),
    ("xoxo_link", "Xoxo Link: reward campaigns and links"),
];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/settings/api", get(show))
        .route("/admin/settings/api/clients", post(generate_client))
        .route(
            "/admin/settings/api/{client_id}/token",
            post(generate_token),
        )
        .route("/admin/settings/api/{client_id}/rotate", post(rotate))
        .route(
            "/admin/settings/api/{client_id}/grants/{family_id}/revoke",
            post(revoke),
        )
}

#[derive(Deserialize)]
struct Show {
    generate: Option<String>,
    rotate: Option<String>,
    done: Option<String>,
}

/// `GET /admin/settings/api`; `?generate=1` opens the Generate Client ID
/// dialog, `?rotate=<client_id>` the rotation's confirmation.
async fn show(State(state): State<AppState>, portal: Portal, Query(q): Query<Show>) -> Response {
    render(&state, &portal, StatusCode::OK, None, &q).await
}

async fn render(
    state: &AppState,
    portal: &Portal,
    status: StatusCode,
    error: Option<&str>,
    q: &Show,
) -> Response {
    let now = state.clock.now_ms();
    let rows =
        match crate::store::clients::list_by_company(state.db.reader(), portal.company.id).await {
            Ok(rows) => rows,
            Err(e) => return portal.failure(state, e.into()),
        };
    let mut clients = Vec::new();
    for client in rows.iter().filter(|c| is_api_client(c)) {
        let grants = match tokens::live_families(state.db.reader(), &client.client_id, now).await {
            Ok(g) => g,
            Err(e) => return portal.failure(state, e.into()),
        };
        let grants: Vec<_> = grants
            .iter()
            .map(|g| {
                context! {
                    family_id => g.family_id, subject => g.subject, scopes => g.scopes,
                    created_at => g.created_at, expires_at => g.expires_at,
                }
            })
            .collect();
        clients.push(context! {
            client_id => client.client_id, name => client.name, scopes => client.scopes, grants,
        });
    }
    let rotate = q
        .rotate
        .as_deref()
        .and_then(|id| rows.iter().find(|c| c.client_id == id))
        .map(|c| context! { client_id => c.client_id, name => c.name });
    let done = match q.done.as_deref() {
        Some("revoked") => Some("The grant's tokens are revoked."),
        _ => None,
    };
    portal.page(
        state,
        status,
        "admin/api.html",
        context! {
            nav => "api", clients, error, done, rotate,
            dialog => q.generate.is_some() || error.is_some(),
            offered => OFFERED.iter().map(|(name, label)| context! { name, label }).collect::<Vec<_>>(),
        },
    )
}

/// Clients of the company for server-to-server use of the Rewards API or
/// Xoxo Link (apps for storefront users live in the developer hub).
fn is_api_client(client: &ClientRow) -> bool {
    let scopes = domain::clients::allowed_scopes(client);
    scopes.iter().any(|s| s.is_company()) && !domain::clients::is_public(client)
}

#[derive(Deserialize)]
struct NewApiClient {
    csrf: Option<String>,
    name: Option<String>,
    /// Checked scope boxes (`scope=plum_pro_api&scope=xoxo_link`).
    #[serde(default)]
    scope: Vec<String>,
}

/// `POST /admin/settings/api/clients`: Generate Client ID's Save.
async fn generate_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    axum_extra::extract::Form(form): axum_extra::extract::Form<NewApiClient>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let offered: Vec<&str> = OFFERED.iter().map(|(n, _)| *n).collect();
    if form.scope.is_empty() || form.scope.iter().any(|s| !offered.contains(&s.as_str())) {
        let q = Show {
            generate: Some("1".into()),
            rotate: None,
            done: None,
        };
        return render(
            &state,
            &portal,
            StatusCode::BAD_REQUEST,
            Some("Choose at least one of the integrations offered."),
            &q,
        )
        .await;
    }
    let name = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Rewards API");
    let created = domain::clients::create(
        &state.db,
        &*state.clock,
        &portal.actor(),
        NewClient {
            company_id: portal.company.id,
            name: name.into(),
            redirect_uri: NO_CALLBACK.into(),
            scopes: form.scope.join(","),
            grant_types: Some("authorization_code,refresh_token".into()),
            public: false,
            signup_company: None,
        },
    )
    .await;
    match created {
        Ok(credentials) => portal.page(
            &state,
            StatusCode::OK,
            "admin/secret.html",
            context! {
                nav => "api", title => "Your Client ID and Secret ID",
                client_id => credentials.client_id,
                secret => credentials.client_secret,
                note => "Copy the Secret ID now: it is shown this once. Galley keeps only a hash of it.",
            },
        ),
        Err(domain::Error::Invalid(message)) => {
            let q = Show { generate: Some("1".into()), rotate: None, done: None };
            render(&state, &portal, StatusCode::BAD_REQUEST, Some(&message), &q).await
        }
        Err(e) => portal.failure(&state, e),
    }
}

/// The company's API client `client_id`, or the 404 page.
async fn own_client(
    state: &AppState,
    portal: &Portal,
    client_id: &str,
) -> Result<ClientRow, Response> {
    match crate::store::clients::find(state.db.reader(), client_id).await {
        Ok(Some(c)) if c.company_id == portal.company.id && is_api_client(&c) => Ok(c),
        Ok(_) => Err(portal.failure(state, domain::Error::NotFound("API client"))),
        Err(e) => Err(portal.failure(state, e.into())),
    }
}

/// `POST /admin/settings/api/{client_id}/token`: Generate Token.
async fn generate_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(client_id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    let client = match own_client(&state, &portal, &client_id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let scopes: ScopeSet = domain::clients::allowed_scopes(&client);
    let issued = domain::tokens::issue_for_admin(
        &state.db,
        &*state.clock,
        &state.config.tokens,
        &client.client_id,
        &portal.admin.email,
        &scopes
            .iter()
            .filter(|s| s.is_company())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
    )
    .await;
    match issued {
        Ok(tokens) => portal.page(
            &state,
            StatusCode::OK,
            "admin/tokens.html",
            context! {
                nav => "api", client_name => client.name, client_id => client.client_id,
                access_token => tokens.access_token, refresh_token => tokens.refresh_token,
                expires_in => tokens.expires_in, scope => tokens.scope,
                token_url => state.config.public_url.join("/v1/oauth/token/user"),
            },
        ),
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /admin/settings/api/{client_id}/rotate`: a new Secret ID; the old
/// one stops working at once, issued tokens stay valid.
async fn rotate(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path(client_id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Err(page) = own_client(&state, &portal, &client_id).await {
        return page;
    }
    match domain::clients::rotate_secret(&state.db, &*state.clock, &portal.actor(), &client_id).await {
        Ok(credentials) => portal.page(
            &state,
            StatusCode::OK,
            "admin/secret.html",
            context! {
                nav => "api", title => "Your new Secret ID",
                client_id => credentials.client_id,
                secret => credentials.client_secret,
                note => "The old Secret ID no longer works. Tokens issued before stay valid. Copy the new one now: it is shown this once.",
            },
        ),
        Err(e) => portal.failure(&state, e),
    }
}

/// `POST /admin/settings/api/{client_id}/grants/{family_id}/revoke`.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    portal: Portal,
    Path((client_id, family_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = portal.check_csrf(&state, &headers, form.csrf.as_deref()) {
        return refused;
    }
    if let Err(page) = own_client(&state, &portal, &client_id).await {
        return page;
    }
    let now = state.clock.now_ms();
    match domain::tokens::revoke_family(
        &state.db,
        now,
        &portal.actor(),
        portal.company.id,
        &client_id,
        &family_id,
    )
    .await
    {
        Ok(_) => see_other(&state, "/admin/settings/api?done=revoked"),
        Err(e) => portal.failure(&state, e),
    }
}
