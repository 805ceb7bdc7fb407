//! Client authentication of OAuth requests (RFC 6749 §2.3.1): HTTP Basic
//! or the request body, compared in constant time. The rules about clients
//! themselves live in [`crate::domain::clients`].
//!
//! May touch: `store::clients` (reads, through the batched reader in
//! `state`), `crypto` (constant-time compare), `state`, `oauth::params`,
//! `oauth::error`. Never `api` or `web`.

use axum::http::{header, HeaderMap};
use base64::{engine::general_purpose::STANDARD, Engine};

use super::{error::OAuthError, params::Params};
use crate::{crypto, state::AppState, store::clients};

/// Hash compared against when the client id is unknown, so that unknown ids
/// and wrong secrets take the same time.
const DUMMY_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Authenticates the client of an OAuth request: HTTP Basic (RFC 6749
/// §2.3.1, form-encoded id and secret) or `client_id` + `client_secret` in
/// the body, never both.
pub async fn authenticate(
    state: &AppState,
    params: &Params,
) -> std::result::Result<clients::ClientRow, OAuthError> {
    let (client_id, secret) = credentials(&params.headers, params)?;
    if client_id.len() > 128 || secret.len() > 256 {
        return Err(OAuthError::invalid_client());
    }
    let client = state.reader.client(client_id).await?;
    let now = state.clock.now_ms();
    match client {
        Some(client) if crate::domain::clients::secret_matches(&client, &secret, now) => Ok(client),
        Some(_) => Err(OAuthError::invalid_client()),
        None => {
            // The same hashing work as for a known client, so that unknown
            // ids and wrong secrets take the same time.
            let _ = crypto::verify_secret(&secret, DUMMY_HASH);
            Err(OAuthError::invalid_client())
        }
    }
}

fn credentials(
    headers: &HeaderMap,
    params: &Params,
) -> std::result::Result<(String, String), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().map_err(|_| OAuthError::invalid_client()))
        .transpose()?
        .and_then(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| rest.trim().to_string())
        });
    match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method: HTTP Basic or the request body",
        )),
        (Some(encoded), None) => {
            let decoded = STANDARD
                .decode(encoded)
                .map_err(|_| OAuthError::invalid_client())?;
            let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(OAuthError::invalid_client)?;
            let (id, secret) = (form_decode(id)?, form_decode(secret)?);
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in HTTP Basic",
                ));
            }
            Ok((id, secret))
        }
        (None, Some(secret)) => {
            let id = params
                .get("client_id")
                .ok_or_else(OAuthError::invalid_client)?;
            Ok((id.to_string(), secret.to_string()))
        }
        (None, None) => Err(OAuthError::invalid_client()),
    }
}

/// Decodes one `application/x-www-form-urlencoded` component.
fn form_decode(s: &str) -> std::result::Result<String, OAuthError> {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| OAuthError::invalid_client())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20id:s%3Acret+x");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        let params = Params::parse(None, b"", headers.clone()).unwrap();
        assert_eq!(
            credentials(&headers, &params).unwrap(),
            ("my id".into(), "s:cret x".into())
        );
    }

    #[test]
    fn two_methods_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {}", STANDARD.encode("a:b")).parse().unwrap(),
        );
        let params = Params::parse(None, b"client_id=a&client_secret=b", headers.clone()).unwrap();
        assert!(credentials(&headers, &params).is_err());
    }
}
