//! The demo app's callback (`galley demo` only): a page on Galley itself
//! that receives the authorization response, exchanges the code in-process
//! as the demo client, and shows the result.
//!
//! May touch: `domain::tokens::code` (exchanges the code through the token
//! writer in `state`), `domain::scopes`, `store::clients` (reads the demo
//! client), `state` (templates). Never `api`.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use minijinja::context;
use serde::Deserialize;

use crate::{
    domain::{scopes::TokenType, tokens::code},
    state::AppState,
    store::clients,
};

/// Query of the callback.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /developers/demo/callback`.
pub async fn callback(State(state): State<AppState>, Query(query): Query<Callback>) -> Response {
    let base_path = state.config.public_url.base_path();
    let Some(demo_client) = state.demo_client.clone() else {
        return state.templates.page(
            StatusCode::NOT_FOUND,
            "error.html",
            context! { base_path, title => "Not found", message => "The demo app runs only under `galley demo`." },
        );
    };
    let show_error = |error: &str, description: &str| {
        state.templates.page(
            StatusCode::OK,
            "callback.html",
            context! { base_path, error, error_description => description, state => query.state },
        )
    };
    // An empty parameter is an absent one (`?code=&error=`).
    fn given(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.trim().is_empty())
    }
    if let Some(error) = given(&query.error) {
        return show_error(error, given(&query.error_description).unwrap_or(""));
    }
    let Some(code) = given(&query.code) else {
        return show_error("invalid_request", "the callback has neither code nor error");
    };
    let client = match clients::find(state.db.reader(), &demo_client).await {
        Ok(Some(client)) => client,
        _ => return show_error("server_error", "the demo client is missing"),
    };
    let presented = code::Presented {
        code,
        redirect_uri: Some(&client.redirect_uri),
        verifier: None,
        endpoint: TokenType::User,
    };
    match code::exchange(&state.tokens, &client, presented).await {
        Ok(tokens) => state.templates.page(
            StatusCode::OK,
            "callback.html",
            context! { base_path, tokens, state => query.state },
        ),
        Err(e) => show_error(e.oauth_code(), "the code exchange failed"),
    }
}
