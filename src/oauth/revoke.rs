//! `POST /v1/oauth/revoke` (RFC 7009). Client-authenticated; answers 200
//! whether or not the token existed, so it reveals nothing. Revoking a
//! refresh token revokes its whole family, access tokens included.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use super::{clients, error::OAuthError, params::Params};
use crate::{
    state::AppState,
    crypto,
    store::{audit, tokens},
};

/// The revocation endpoint.
pub async fn revoke(
    State(state): State<AppState>,
    params: Params,
) -> Result<impl IntoResponse, OAuthError> {
    let client = clients::authenticate(&state, &params).await?;
    let token = params.require("token")?;
    let Some(row) = tokens::find_by_hash(state.db.reader(), &crypto::hash_secret(token)).await?
    else {
        return Ok(StatusCode::OK);
    };
    if row.client_id != client.client_id || row.revoked_at.is_some() {
        return Ok(StatusCode::OK);
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let revoked = if row.kind == tokens::REFRESH {
        tokens::revoke_family(&mut tx, &row.family_id, now).await?
    } else {
        u64::from(tokens::revoke_one(&mut tx, row.id, now).await?)
    };
    audit::record(
        &mut tx,
        audit::Event {
            company_id: Some(row.company_id),
            actor: &format!("client:{}", client.client_id),
            action: "token.revoked",
            subject: &format!("token:{}", row.id),
            detail: json!({ "kind": row.kind, "revoked_tokens": revoked }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::OK)
}
