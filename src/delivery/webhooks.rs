//! Webhook delivery: a worker on every node claims due deliveries (with a
//! lease on the attempt, so nodes never send the same attempt twice), POSTs
//! the event's body signed the Standard Webhooks way, and records the
//! outcome: a 2xx within 10 s is success; anything else is retried with
//! [`super::backoff_ms`] (about 2 s, doubling with jitter, at most 1 hour
//! apart) for 3 days, then the delivery is marked failed. An endpoint that
//! has failed every attempt for 3 days is disabled and its company's admins
//! are e-mailed.
//!
//! Outgoing requests are guarded: https only, no redirects, no proxy,
//! timeouts on connecting and on the whole request, response bodies read
//! up to a cap and stored truncated; every address a host name resolves to
//! is checked when connecting ([`GuardedResolver`]), so a name that
//! resolves to a private address (DNS rebinding included) is refused,
//! unless `webhook_allow_private_targets` is on.
//!
//! May touch: `store::webhooks` (the deliveries' state, straight to the
//! store), `domain::webhooks` (address rules, secrets, disabling an
//! endpoint), `state`, `clock`. Never `api` or `web`.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;

use crate::{
    domain::webhooks::{self as rules, Settings},
    state::AppState,
    store::webhooks::{self as store, Due, Outcome},
};

/// How long a claimed attempt is reserved: the request's whole timeout
/// plus a margin. A node that dies mid-attempt leaves it to another node
/// after this.
pub const LEASE_MS: i64 = 15_000;
/// The whole request, from connecting to the last byte of the answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Connecting (DNS, TCP, TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Most bytes of a response body read.
const READ_CAP: usize = 16 * 1024;
/// Most characters of a response body stored.
const STORE_CAP: usize = 1000;
/// Deliveries claimed per pass.
const BATCH: i64 = 32;
/// How often the worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(250);

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the key of
/// `secret`; `None` when the secret is not valid base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = rules::secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: the current secret's signature, and the
/// previous secret's too while its rotation window lasts (space-separated).
pub fn signature_header(due: &Due, now_ms: i64, timestamp: i64) -> Option<String> {
    let mut header = sign(&due.secret, &due.event_id, timestamp, &due.body)?;
    if !due.previous_secret.is_empty() && now_ms < due.previous_secret_until {
        if let Some(old) = sign(&due.previous_secret, &due.event_id, timestamp, &due.body) {
            header.push(' ');
            header.push_str(&old);
        }
    }
    Some(header)
}

/// Resolves host names and keeps only the addresses a webhook may reach;
/// a name with none left fails to connect.
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    /// `webhook_allow_private_targets`.
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || !rules::forbidden_ip(a.ip()))
                .collect();
            if allowed.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = if found.is_empty() {
                    format!("{host} resolves to no address").into()
                } else {
                    format!(
                        "{host} resolves only to loopback, private or link-local addresses, which webhooks may not reach"
                    )
                    .into()
                };
                return Err(why);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The guarded HTTP client.
pub fn client(settings: Settings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .https_only(!settings.allow_private_targets)
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private_targets,
        }))
        .user_agent(concat!("Galley-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Runs the worker until the task is aborted.
pub async fn run(state: AppState) {
    let settings = Settings::from_config(&state.config);
    let http = match client(settings) {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery is disabled: no HTTP client");
            return;
        }
    };
    loop {
        if let Err(e) = deliver_due(&state, &http, settings).await {
            tracing::warn!(error = %format!("{e:#}"), "webhook delivery pass failed");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One pass: claims the due deliveries and sends them concurrently.
async fn deliver_due(
    state: &AppState,
    http: &reqwest::Client,
    settings: Settings,
) -> anyhow::Result<()> {
    let now = state.clock.now_ms();
    let mut claimed = Vec::new();
    for due in store::due(&state.db, now, BATCH).await? {
        if store::claim(&state.db, due.id, due.attempts, now, LEASE_MS).await? {
            claimed.push(due);
        }
    }
    let sends = claimed
        .into_iter()
        .map(|due| deliver_one(state, http, settings, due));
    for result in futures_util::future::join_all(sends).await {
        if let Err(e) = result {
            tracing::warn!(error = %format!("{e:#}"), "recording a webhook delivery failed");
        }
    }
    Ok(())
}

/// What one HTTP attempt got.
struct Attempt {
    status: Option<u16>,
    body: String,
    error: String,
}

/// Sends one claimed delivery and records the outcome.
async fn deliver_one(
    state: &AppState,
    http: &reqwest::Client,
    settings: Settings,
    due: Due,
) -> anyhow::Result<()> {
    let attempt = send(state, http, settings, &due).await;
    let now = state.clock.now_ms();
    let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
    let give_up = !ok && now - due.queued_at >= super::GIVE_UP_MS;
    let (status, next, outcome) = if ok {
        ("delivered", now, "delivered")
    } else if give_up {
        ("failed", i64::MAX, "failed")
    } else {
        ("pending", now + super::backoff_ms(due.attempts), "retry")
    };
    let error = if ok {
        String::new()
    } else if attempt.error.is_empty() {
        match attempt.status {
            Some(code) => format!("the endpoint answered HTTP {code}"),
            None => "no answer".into(),
        }
    } else {
        attempt.error.clone()
    };
    let recorded = store::record(
        &state.db,
        due.id,
        due.attempts,
        &Outcome {
            status,
            now,
            next_attempt_at: next,
            status_code: attempt.status.map(i64::from),
            response: &attempt.body,
            error: &error,
        },
    )
    .await?;
    if !recorded {
        return Ok(());
    }
    metrics::counter!("galley_webhook_deliveries_total", "outcome" => outcome).increment(1);
    if ok {
        store::endpoint_succeeded(&state.db, due.endpoint_id).await?;
    } else {
        tracing::info!(
            delivery = due.id, event = %due.event_id, attempts = due.attempts + 1,
            give_up, error = %error, "webhook delivery failed"
        );
        let failing_since = store::endpoint_failed(&state.db, due.endpoint_id, now).await?;
        if now - failing_since >= super::GIVE_UP_MS
            && rules::disable_failing(&state.db, &*state.clock, due.company_id, due.endpoint_id)
                .await?
        {
            tracing::warn!(
                endpoint = due.endpoint_id,
                "webhook endpoint disabled: every delivery failed for 3 days"
            );
        }
    }
    Ok(())
}

/// POSTs the delivery; never fails, the outcome says what happened.
async fn send(state: &AppState, http: &reqwest::Client, settings: Settings, due: &Due) -> Attempt {
    let failed = |error: String| Attempt {
        status: None,
        body: String::new(),
        error,
    };
    // Literal addresses never reach the resolver: check them here.
    if let Err(e) = rules::check_target(&due.url, settings) {
        return failed(e.to_string());
    }
    let timestamp = state.clock.now_ms().div_euclid(1000);
    let Some(signature) = signature_header(due, state.clock.now_ms(), timestamp) else {
        return failed("the endpoint's signing secret is not valid base64".into());
    };
    let mut request = http
        .post(&due.url)
        .header("content-type", "application/json")
        .header("webhook-id", &due.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(due.body.clone());
    if !due.api_key.is_empty() {
        request = request.header("x-api-key", &due.api_key);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return failed(describe(&e)),
    };
    let status = response.status().as_u16();
    let mut bytes = Vec::new();
    let mut error = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = READ_CAP - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if bytes.len() >= READ_CAP {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                error = describe(&e);
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut body: String = text.chars().take(STORE_CAP).collect();
    if text.chars().count() > STORE_CAP || bytes.len() >= READ_CAP {
        body.push('…');
    }
    // A 2xx whose body could not be read completely still acknowledged.
    if (200..300).contains(&status) {
        error.clear();
    }
    Attempt {
        status: Some(status),
        body,
        error,
    }
}

/// A request error with its causes, without the URL's query.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else if e.is_redirect() {
        "redirects are not followed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
