//! Request parameters of the token, revocation and introspection endpoints,
//! read from `application/x-www-form-urlencoded` (RFC 6749) or
//! `application/json` (as the seeds send them) into one [`Params`] map.
//!
//! Rules from RFC 6749 §3.1–3.2: a parameter without value counts as absent,
//! a repeated parameter is an error, unknown parameters are ignored.
//!
//! May touch: `domain::scopes` (`truncate`), `oauth::error`. Never `api` or
//! `web`.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header, HeaderMap, StatusCode},
};

use super::error::OAuthError;

/// Parameters of an OAuth request, plus the request headers (for HTTP Basic
/// client authentication).
#[derive(Debug)]
pub struct Params {
    values: HashMap<String, String>,
    /// The request's headers.
    pub headers: HeaderMap,
}

/// Longest parameter value accepted (tokens are ~50 characters).
const MAX_VALUE_LEN: usize = 4096;

impl Params {
    /// A parameter, `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter that must be present.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter `{name}`")))
    }

    /// Parses `body` according to `content_type`.
    pub fn parse(
        content_type: Option<&str>,
        body: &[u8],
        headers: HeaderMap,
    ) -> Result<Self, OAuthError> {
        let media = content_type
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let values =
            match media.as_str() {
                "application/json" => from_json(body)?,
                "application/x-www-form-urlencoded" | "" => from_form(body)?,
                _ => return Err(OAuthError::invalid_request(
                    "Content-Type must be application/x-www-form-urlencoded or application/json",
                )),
            };
        if let Some((name, _)) = values.iter().find(|(_, v)| v.len() > MAX_VALUE_LEN) {
            return Err(OAuthError::invalid_request(format!(
                "parameter `{}` is too long",
                truncate(name)
            )));
        }
        Ok(Self { values, headers })
    }
}

fn truncate(s: &str) -> String {
    crate::domain::scopes::truncate(s, 40)
}

fn from_form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    if std::str::from_utf8(body).is_err() {
        return Err(OAuthError::invalid_request(
            "the form body is not valid UTF-8",
        ));
    }
    let mut values = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if values
            .insert(name.to_string(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::invalid_request(format!(
                "parameter `{}` is given more than once",
                truncate(&name)
            )));
        }
    }
    Ok(values)
}

fn from_json(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| OAuthError::invalid_request(format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(OAuthError::invalid_request(
            "the JSON body must be an object",
        ));
    };
    let mut values = HashMap::with_capacity(map.len());
    for (name, value) in map {
        match value {
            serde_json::Value::String(s) => {
                values.insert(name, s);
            }
            serde_json::Value::Null => {}
            // Numbers are accepted where a client serialised an id as one.
            serde_json::Value::Number(n) => {
                values.insert(name, n.to_string());
            }
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{}` must be a string",
                    truncate(&name)
                )))
            }
        }
    }
    Ok(values)
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("invalid"));
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                OAuthError::invalid_request("the request body is too large")
                    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                OAuthError::invalid_request("the request body could not be read")
            }
        })?;
        Self::parse(content_type, &body, headers.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ct: &str, body: &str) -> Result<Params, OAuthError> {
        Params::parse(Some(ct), body.as_bytes(), HeaderMap::new())
    }

    #[test]
    fn form_and_json_agree() {
        let a = parse(
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token&refresh_token=a%2Bb",
        )
        .unwrap();
        let b = parse(
            "application/json; charset=utf-8",
            r#"{"grant_type":"refresh_token","refresh_token":"a+b"}"#,
        )
        .unwrap();
        assert_eq!(a.get("refresh_token"), Some("a+b"));
        assert_eq!(a.get("refresh_token"), b.get("refresh_token"));
    }

    #[test]
    fn empty_values_are_absent_and_repeats_are_errors() {
        let p = parse("application/x-www-form-urlencoded", "scope=&grant_type=x").unwrap();
        assert_eq!(p.get("scope"), None);
        assert!(parse("application/x-www-form-urlencoded", "a=1&a=2").is_err());
    }

    #[test]
    fn json_must_be_an_object_of_strings() {
        assert!(parse("application/json", "[1]").is_err());
        assert!(parse("application/json", "{").is_err());
        assert!(parse("application/json", r#"{"client_secret":{"$ne":1}}"#).is_err());
        assert_eq!(
            parse("application/json", r#"{"x":null}"#).unwrap().get("x"),
            None
        );
    }

    #[test]
    fn other_media_types_are_refused() {
        assert!(parse("text/plain", "a=b").is_err());
    }
}
