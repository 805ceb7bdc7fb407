//! Delivery of outbox messages: a background worker per node claims due
//! messages (with a lease, so nodes never send the same one), delivers them
//! and records the outcome, retrying failures with exponential back-off
//! (first retry after about 2 s, doubling, at most 1 hour apart, for up to
//! 3 days). [`webhooks`] delivers webhook events the same way, from their
//! own table of deliveries.
//!
//! May touch: `store::outbox` and `store::webhooks` (claims messages and
//! deliveries and records the outcome, straight to the store),
//! `domain::links`, `domain::users` and `domain::webhooks` (message kinds,
//! webhook rules), `crypto` (retry
//! jitter), `state`. Never `api` or `web`.

pub mod email;
pub mod webhooks;

use std::time::Duration;

use crate::{domain::users, state::AppState, store::outbox};

/// How long a claimed message is reserved for the worker that claimed it.
const LEASE_MS: i64 = 60_000;
/// Give up after this long.
const GIVE_UP_MS: i64 = 3 * 24 * 3600 * 1000;
/// How often the worker looks for due messages.
const POLL: Duration = Duration::from_millis(250);

/// Delay before attempt `attempts + 1` (after `attempts` failures), with
/// ±20 % jitter.
pub fn backoff_ms(attempts: i64) -> i64 {
    let base = 2_000i64
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(3_600_000);
    let jitter = i64::from(u16::from_le_bytes(crate::crypto::random_bytes::<2>())) % (base / 5 + 1);
    base - base / 10 + jitter
}

/// Runs the worker until the task is aborted.
pub async fn run(state: AppState) {
    let mailer = match email::Mailer::new(&state.config) {
        Ok(mailer) => mailer,
        Err(e) => {
            tracing::error!(error = %e, "e-mail delivery is disabled: the SMTP settings are not usable");
            return;
        }
    };
    let mut scrub_pending = false;
    loop {
        match deliver_due(&state, &mailer).await {
            Ok(dropped_secrets) => scrub_pending |= dropped_secrets,
            Err(e) => tracing::warn!(error = %e, "outbox delivery pass failed"),
        }
        if scrub_pending {
            match state.db.scrub_log().await {
                Ok(done) => scrub_pending = !done,
                Err(e) => tracing::warn!(error = %e, "scrubbing the database log failed"),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One pass over the due messages; true when a secret (a link's URL) was
/// dropped from a message, so the database log should be scrubbed.
async fn deliver_due(state: &AppState, mailer: &email::Mailer) -> anyhow::Result<bool> {
    let mut dropped_secrets = false;
    let now = state.clock.now_ms();
    for message in outbox::due(&state.db, now, 20).await? {
        if !outbox::claim(&state.db, message.id, now, LEASE_MS).await? {
            continue;
        }
        let result = match message.kind.as_str() {
            "order_email" => mailer.send_order(state, &message).await,
            "order_admin_email" => mailer.send_order_to_admins(state, &message).await,
            crate::domain::links::LINK_EMAIL => mailer.send_link(state, &message).await,
            crate::domain::webhooks::DISABLED_EMAIL => {
                mailer.send_webhook_disabled(state, &message).await
            }
            users::SIGNUP_CONFIRM | users::SIGNUP_EXISTING => {
                mailer.send_sign_up(state, &message).await
            }
            other => Err(anyhow::anyhow!("unknown outbox message kind `{other}`")),
        };
        let now = state.clock.now_ms();
        match result {
            Ok(()) => {
                let scrubbed = email::without_secrets(&message);
                dropped_secrets |= scrubbed.is_some();
                outbox::mark_sent(&state.db, message.id, now, scrubbed.as_deref()).await?
            }
            Err(e) => {
                let give_up = now - message.created_at > GIVE_UP_MS;
                let next = if give_up {
                    i64::MAX
                } else {
                    now + backoff_ms(message.attempts)
                };
                tracing::warn!(id = message.id, attempts = message.attempts + 1, give_up, error = %format!("{e:#}"), "delivery failed");
                let scrubbed = if give_up {
                    email::without_secrets(&message)
                } else {
                    None
                };
                dropped_secrets |= scrubbed.is_some();
                outbox::mark_failed(
                    &state.db,
                    message.id,
                    &format!("{e:#}"),
                    next,
                    scrubbed.as_deref(),
                )
                .await?;
            }
        }
    }
    Ok(dropped_secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps_at_an_hour() {
        for _ in 0..100 {
            let first = backoff_ms(0);
            assert!((1_800..=2_200).contains(&first), "{first}");
            let third = backoff_ms(2);
            assert!((7_200..=8_800).contains(&third), "{third}");
            assert!(backoff_ms(30) <= 3_960_000);
        }
    }
}
