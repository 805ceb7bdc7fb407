//! The reward-link page for recipients, `/r/{code}`: choose one of the
//! campaign's vouchers, see its code, optionally have it e-mailed. No
//! account and no JavaScript; forms carry a CSRF token (double submit).
//!
//! Choosing posts to `/r/{code}` and, whatever the outcome of a race, ends
//! on the link's page (post/redirect/get), which shows the one voucher the
//! link was redeemed for.
//!
//! May touch: `domain::links` (reads the link; redeems and e-mails through
//! the domain), `domain::money`, `pages::session` (CSRF), `store::links`
//! (the row type), `state`. Never `api`.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use minijinja::context;
use serde::Serialize;

use crate::pages::session;
use crate::{
    domain::{
        self,
        links::{self, Redemption, State as LinkState},
    },
    state::AppState,
    store::links::LinkRow,
};

/// Routes of the redemption page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/r/{code}", get(show).post(choose))
        .route("/r/{code}/email", post(email))
}

/// A voucher to choose, as the page shows it.
#[derive(Serialize)]
struct Choice {
    id: i64,
    name: String,
    image: String,
}

/// A notice above the page's content.
enum Notice {
    None,
    Error(String),
    Sent(String),
}

async fn show(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    render(&state, &headers, &code, StatusCode::OK, Notice::None).await
}

/// Form fields of a page post.
fn field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The link of a page post whose CSRF token matches; otherwise the page to
/// answer with (`retry` says what to do again after a CSRF failure).
async fn posted_link(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    body: &[u8],
    retry: &str,
) -> Result<LinkRow, Response> {
    let link = match links::find(&state.db, code).await {
        Ok(Some(link)) => link,
        Ok(None) => return Err(not_found(state)),
        Err(e) => return Err(failure(state, e)),
    };
    if !session::csrf_ok(state, headers, field(body, "csrf").as_deref()) {
        let notice = Notice::Error(format!("Your session expired. {retry}"));
        return Err(render(state, headers, code, StatusCode::FORBIDDEN, notice).await);
    }
    Ok(link)
}

async fn choose(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let retry = "Please choose your voucher again.";
    let link = match posted_link(&state, &headers, &code, &body, retry).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let product_id = field(&body, "product_id").and_then(|p| p.trim().parse::<i64>().ok());
    let (status, message) = match product_id {
        None => (
            StatusCode::BAD_REQUEST,
            "Choose one of the vouchers below.".to_string(),
        ),
        Some(product_id) => {
            match links::redeem(&state.db, &*state.clock, &link, product_id).await {
                Ok(Redemption::Redeemed | Redemption::Expired) => return see_other(&state, &code),
                Ok(Redemption::NotOffered) => (
                    StatusCode::BAD_REQUEST,
                    "That voucher is not part of this reward. Choose one of the vouchers below."
                        .into(),
                ),
                Ok(Redemption::OutOfStock(name)) => (
                    StatusCode::CONFLICT,
                    format!("{name} is out of stock right now. Choose another voucher."),
                ),
                Err(e) => return failure(&state, e),
            }
        }
    };
    render(&state, &headers, &code, status, Notice::Error(message)).await
}

async fn email(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let retry = "Please enter your e-mail address again.";
    let link = match posted_link(&state, &headers, &code, &body, retry).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let address = field(&body, "email").unwrap_or_default();
    let (status, notice) = match links::email_voucher(
        &state.db,
        &*state.clock,
        &links::Settings::from_config(&state.config),
        &link,
        &address,
    )
    .await
    {
        Ok(sent_to) => (
            StatusCode::OK,
            Notice::Sent(format!("We are sending your voucher to {sent_to}.")),
        ),
        Err(domain::Error::Invalid(message)) => (StatusCode::BAD_REQUEST, Notice::Error(message)),
        Err(e) => return failure(&state, e),
    };
    render(&state, &headers, &code, status, notice).await
}

/// Renders the link's page as it stands now (read here, after any change
/// the request made).
async fn render(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    status: StatusCode,
    notice: Notice,
) -> Response {
    let now = state.clock.now_ms();
    let link = match links::find(&state.db, code).await {
        Ok(Some(link)) => link,
        Ok(None) => return not_found(state),
        Err(e) => return failure(state, e),
    };
    let link_state = match links::state(&state.db, &link, now).await {
        Ok(s) => s,
        Err(e) => return failure(state, e),
    };
    let (csrf, cookie) = session::csrf_token(state, headers);
    let (error, sent) = match notice {
        Notice::None => (None, None),
        Notice::Error(m) => (Some(m), None),
        Notice::Sent(m) => (None, Some(m)),
    };
    let value = format!(
        "{} {}",
        crate::domain::money::amount_text(link.denomination_minor, &link.currency_code),
        link.currency_code
    );
    let base_path = state.config.public_url.base_path();
    let action = format!("{base_path}/r/{code}");
    let status = match link_state {
        LinkState::Expired if status == StatusCode::OK => StatusCode::GONE,
        _ => status,
    };
    let ctx = match link_state {
        LinkState::Open(products) => {
            let choices: Vec<Choice> = products
                .into_iter()
                .map(|p| Choice {
                    id: p.id,
                    name: p.name,
                    image: p.image_url,
                })
                .collect();
            context! {
                base_path, action, csrf, error, sent, value, state => "open", campaign => link.campaign_name,
                expires_at => link.expires_at, choices,
            }
        }
        LinkState::Redeemed(v) => {
            let codes: Vec<_> = v
                .codes
                .iter()
                .map(|c| context! { code => c.code, pin => c.pin, validity => c.validity })
                .collect();
            context! {
                base_path, action, csrf, error, sent, value, state => "redeemed", campaign => link.campaign_name,
                product => v.product.name, image => v.product.image_url, codes,
                instructions => v.product.redemption_instructions,
                terms => v.product.terms, email => v.order.email,
                validity_note => v.product.expiry_validity,
            }
        }
        LinkState::Expired => context! {
            base_path, action, csrf, error, sent, value, state => "expired", campaign => link.campaign_name,
            expires_at => link.expires_at,
        },
    };
    let mut response = state.templates.page(status, "redeem.html", ctx);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response.headers_mut().insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

fn see_other(state: &AppState, code: &str) -> Response {
    let location = format!("{}/r/{code}", state.config.public_url.base_path());
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

fn not_found(state: &AppState) -> Response {
    let ctx = context! { base_path => state.config.public_url.base_path(), state => "unknown" };
    state
        .templates
        .page(StatusCode::NOT_FOUND, "redeem.html", ctx)
}

fn failure(state: &AppState, e: domain::Error) -> Response {
    tracing::error!(error = %format!("{e:#}"), "reward link page failed");
    let ctx = context! { base_path => state.config.public_url.base_path(), state => "failure" };
    state
        .templates
        .page(StatusCode::INTERNAL_SERVER_ERROR, "redeem.html", ctx)
}
