//! `POST /v1/oauth/introspect` (RFC 7662). Client-authenticated; a client
//! learns only about its own tokens, anything else is `{"active":false}`.
//!
//! May touch: `domain::tokens` (`active_for`), `store::tokens` (reads,
//! through the batched reader in `state`), `oauth::clients`, `crypto`,
//! `state`. Never `api` or `web`.

use axum::{extract::State, http::header, response::IntoResponse, Json};
use serde_json::{json, Value};

use super::{clients, error::OAuthError, params::Params};
use crate::{crypto, domain::tokens, state::AppState, store::tokens::ACCESS};

/// The introspection endpoint.
pub async fn introspect(
    State(state): State<AppState>,
    params: Params,
) -> Result<impl IntoResponse, OAuthError> {
    let client = clients::authenticate(&state, &params).await?;
    let token = params.require("token")?;
    let row = state.reader.token(crypto::hash_secret(token)).await?;
    let now = state.clock.now_ms();
    let body = match row {
        Some(row) if tokens::active_for(&row, &client.client_id, now) => {
            json!({
                "active": true,
                "scope": row.scopes,
                "client_id": row.client_id,
                "token_type": if row.kind == ACCESS { "bearer" } else { "refresh_token" },
                "exp": row.expires_at / 1000,
                "iat": row.created_at / 1000,
                "sub": row.subject,
                "iss": state.config.public_url.base(),
                "company_id": row.company_id,
            })
        }
        _ => json!({ "active": false }),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json::<Value>(body)))
}
