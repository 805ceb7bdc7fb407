//! `POST /v1/oauth/revoke` (RFC 7009). Client-authenticated; answers 200
//! whether or not the token existed, so it reveals nothing. Revoking a
//! refresh token revokes its whole family, access tokens included.
//!
//! May touch: `domain::tokens` (revokes), `store::tokens` (reads the token
//! by hash), `oauth::clients`, `crypto`, `state`. Never `api` or `web`.

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use super::{clients, error::OAuthError, params::Params};
use crate::{crypto, domain::tokens, state::AppState, store::tokens::find_by_hash};

/// The revocation endpoint.
pub async fn revoke(
    State(state): State<AppState>,
    params: Params,
) -> Result<impl IntoResponse, OAuthError> {
    let client = clients::authenticate(&state, &params).await?;
    let token = params.require("token")?;
    let Some(row) = find_by_hash(state.db.reader(), &crypto::hash_secret(token)).await? else {
        return Ok(StatusCode::OK);
    };
    tokens::revoke(&state.db, state.clock.now_ms(), &client.client_id, &row).await?;
    Ok(StatusCode::OK)
}
