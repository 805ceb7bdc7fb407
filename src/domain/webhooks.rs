//! Webhooks: a company's endpoints (URL, optional static `x-api-key`, the
//! events it subscribes to, a signing secret), the events (`order.delivered`,
//! `order.canceled`, `link.redeemed`, `link.expired`) written by [`emit`]
//! in the transaction of the change they report, and the rules of targets:
//! https only, and no loopback, private, link-local or metadata address
//! unless `webhook_allow_private_targets` is on ([`forbidden_ip`] is also
//! what the delivery worker applies to every resolved address).
//!
//! # The signing secret
//! `whsec_` followed by 32 random bytes in base64 (the Standard Webhooks
//! form). It is stored **as is**, unlike client secrets and tokens, which
//! Galley keeps only as hashes: those are checked when presented, while
//! this one must be used as the HMAC key of every delivery, which a hash
//! cannot be. Encrypting it with a key kept in the same database would add
//! nothing. It is a per-endpoint key: whoever reads it can forge webhooks
//! to that one receiver, but gains no access to Galley. It is shown once
//! (at creation and rotation), masked afterwards, never logged, and
//! `Debug` of the rows that carry it leaves it out.
//!
//! May touch: `store` (`webhooks`, `outbox`, `companies`), the audit trail
//! (`domain::record`), `config`, `crypto`, `clock`. Never an entry point.

use std::net::IpAddr;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use super::{Actor, Error, Result};
use crate::{
    clock::{iso_date, Clock},
    crypto,
    store::{
        outbox,
        webhooks::{self as store, NewEndpoint},
        Db, StoreError, Tx,
    },
};

/// An event a webhook reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// An order's vouchers were delivered (at once, or when codes for a
    /// waiting delayed order were imported).
    OrderDelivered,
    /// An order was canceled.
    OrderCanceled,
    /// A reward link was redeemed.
    LinkRedeemed,
    /// A reward link expired unredeemed and its value was refunded.
    LinkExpired,
    /// A test event sent from the portal or the CLI to one endpoint.
    Test,
}

impl EventKind {
    /// The events an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventKind; 4] = [
        EventKind::OrderDelivered,
        EventKind::OrderCanceled,
        EventKind::LinkRedeemed,
        EventKind::LinkExpired,
    ];

    /// The name in the body's `event` field.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderDelivered => "order.delivered",
            EventKind::OrderCanceled => "order.canceled",
            EventKind::LinkRedeemed => "link.redeemed",
            EventKind::LinkExpired => "link.expired",
            EventKind::Test => "webhook.test",
        }
    }

    /// A subscribable event by name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .find(|k| k.as_str() == name.trim())
    }
}

/// Endpoints one company may have.
pub const MAX_ENDPOINTS: i64 = 20;
/// Longest URL accepted.
const MAX_URL: usize = 2000;
/// Longest rotation window: the old secret signs for at most a week.
pub const MAX_ROTATION_WINDOW_SECS: i64 = 7 * 24 * 3600;
/// Outbox kind of the e-mail telling admins an endpoint was disabled.
pub const DISABLED_EMAIL: &str = "webhook_disabled";

/// The webhook settings of the configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// `webhook_allow_private_targets`: http and private addresses allowed.
    pub allow_private_targets: bool,
}

impl Settings {
    /// From the validated configuration.
    pub fn from_config(config: &crate::config::ValidConfig) -> Self {
        Settings {
            allow_private_targets: config.webhook_allow_private_targets,
        }
    }
}

/// True for addresses a webhook must not reach: loopback, private,
/// link-local (which holds the cloud metadata address 169.254.169.254),
/// carrier-grade NAT, unique-local, multicast, unspecified, broadcast,
/// documentation and reserved ranges, and IPv6 forms that embed such an
/// IPv4 address.
pub fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_ip(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] & 0xffc0) == 0xfec0
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
                || (seg[0] == 0x0064 && seg[1] == 0xff9b)
                || (seg[0] == 0x2002)
                || seg[..6] == [0, 0, 0, 0, 0, 0]
        }
    }
}

/// Checks a target URL: `https` (or `http` with the setting), a host, no
/// user name, fragment or forbidden literal address. Host names are
/// checked again on every delivery, on the addresses they resolve to.
pub fn check_url(raw: &str, settings: Settings) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return Err(Error::Invalid(format!(
            "the URL must have 1 to {MAX_URL} characters"
        )));
    }
    let url = url::Url::parse(raw).map_err(|e| {
        Error::Invalid(format!(
            "`{}` is not a URL ({e}); write it as https://example.com/webhooks",
            super::scopes::truncate(raw, 80)
        ))
    })?;
    match url.scheme() {
        "https" => {}
        "http" if settings.allow_private_targets => {}
        _ => return Err(Error::Invalid(
            "the URL must start with https:// (plain http only with webhook_allow_private_targets)"
                .into(),
        )),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Invalid(
            "the URL must not carry a user name or password; use the API key instead".into(),
        ));
    }
    if url.fragment().is_some() {
        return Err(Error::Invalid("the URL must not have a #fragment".into()));
    }
    let refused = || {
        Error::Invalid(
            "the URL points to a loopback, private or link-local address, which webhooks may not reach"
                .into(),
        )
    };
    match url.host() {
        None => return Err(Error::Invalid("the URL has no host".into())),
        Some(url::Host::Ipv4(ip)) if forbidden_ip(ip.into()) => {
            if !settings.allow_private_targets {
                return Err(refused());
            }
        }
        Some(url::Host::Ipv6(ip)) if forbidden_ip(ip.into()) => {
            if !settings.allow_private_targets {
                return Err(refused());
            }
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if !settings.allow_private_targets && (d == "localhost" || d.ends_with(".localhost")) {
                return Err(refused());
            }
        }
        Some(_) => {}
    }
    Ok(url.to_string())
}

/// What is checked of a stored target just before each delivery: the
/// scheme and a literal address (which never reaches the resolver); host
/// names are checked on the addresses they resolve to when connecting.
pub fn check_target(raw: &str, settings: Settings) -> Result<()> {
    let url = url::Url::parse(raw).map_err(|e| Error::Invalid(format!("not a URL: {e}")))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && settings.allow_private_targets) {
        return Err(Error::Invalid("only https targets are allowed".into()));
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if literal.is_some_and(forbidden_ip) && !settings.allow_private_targets {
        return Err(Error::Invalid(
            "the target is a loopback, private or link-local address, which webhooks may not reach"
                .into(),
        ));
    }
    Ok(())
}

/// Parses a subscription list (comma- or space-separated); empty means
/// every event.
pub fn parse_events(text: &str) -> Result<String> {
    let mut chosen: Vec<EventKind> = Vec::new();
    for name in text.split([',', ' ']).filter(|n| !n.trim().is_empty()) {
        let kind = EventKind::parse(name).ok_or_else(|| {
            Error::Invalid(format!(
                "`{}` is not an event; choose from {}",
                super::scopes::truncate(name.trim(), 40),
                EventKind::SUBSCRIBABLE.map(EventKind::as_str).join(", ")
            ))
        })?;
        if !chosen.contains(&kind) {
            chosen.push(kind);
        }
    }
    if chosen.is_empty() {
        chosen = EventKind::SUBSCRIBABLE.to_vec();
    }
    Ok(chosen
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

/// Checks a static `x-api-key` value: at most 200 visible ASCII characters.
fn check_api_key(key: &str) -> Result<String> {
    let key = key.trim();
    if key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Error::Invalid(
            "the API key must be at most 200 visible ASCII characters without spaces".into(),
        ));
    }
    Ok(key.to_string())
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    format!("whsec_{}", STANDARD.encode(crypto::random_bytes::<32>()))
}

/// The HMAC key of a secret: its bytes after `whsec_`, base64-decoded.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()
}

/// An endpoint to add (CLI and portal input, unchecked).
#[derive(Clone, Debug)]
pub struct NewWebhook {
    /// Owning company.
    pub company_id: i64,
    /// Target URL.
    pub url: String,
    /// Static `x-api-key` header, empty for none.
    pub api_key: String,
    /// Events, comma-separated; empty for all.
    pub events: String,
}

/// A new endpoint, with its secret (shown this once).
pub struct Created {
    /// Endpoint id.
    pub id: i64,
    /// Signing secret.
    pub secret: String,
    /// The subscribed events, comma-separated.
    pub events: String,
}

/// Adds an endpoint (enabled); returns it with its signing secret.
pub async fn add(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    settings: Settings,
    new: NewWebhook,
) -> Result<Created> {
    let url = check_url(&new.url, settings)?;
    let api_key = check_api_key(&new.api_key)?;
    let events = parse_events(&new.events)?;
    crate::store::companies::find(db.reader(), new.company_id)
        .await?
        .ok_or(Error::NotFound("company"))?;
    let secret = new_secret();
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if store::count_endpoints(&mut tx, new.company_id).await? >= MAX_ENDPOINTS {
        return Err(Error::Invalid(format!(
            "a company may have at most {MAX_ENDPOINTS} webhook endpoints; delete one first"
        )));
    }
    let id = store::insert_endpoint(
        &mut tx,
        &NewEndpoint {
            company_id: new.company_id,
            url: &url,
            api_key: &api_key,
            events: &events,
            secret: &secret,
        },
        now,
    )
    .await?;
    super::record(
        &mut tx,
        actor,
        new.company_id,
        "webhook.added",
        &format!("webhook:{id}"),
        json!({ "url": url, "events": events, "api_key": !api_key.is_empty() }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Created { id, secret, events })
}

/// Enables or disables one of the company's endpoints.
pub async fn set_enabled(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    id: i64,
    enabled: bool,
) -> Result<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !store::set_enabled(&mut tx, company_id, id, enabled, "").await? {
        return Err(Error::NotFound("webhook endpoint"));
    }
    let action = if enabled {
        "webhook.enabled"
    } else {
        "webhook.disabled"
    };
    super::record(
        &mut tx,
        actor,
        company_id,
        action,
        &format!("webhook:{id}"),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes one of the company's endpoints; its pending deliveries fail.
pub async fn delete(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    id: i64,
) -> Result<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !store::delete_endpoint(&mut tx, company_id, id, now).await? {
        return Err(Error::NotFound("webhook endpoint"));
    }
    super::record(
        &mut tx,
        actor,
        company_id,
        "webhook.deleted",
        &format!("webhook:{id}"),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives an endpoint a new secret (returned, to be shown once); the old
/// one keeps signing too for `keep_old_secs` (0: it stops at once), both
/// signatures in the header.
pub async fn rotate_secret(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    id: i64,
    keep_old_secs: i64,
) -> Result<String> {
    if !(0..=MAX_ROTATION_WINDOW_SECS).contains(&keep_old_secs) {
        return Err(Error::Invalid(format!(
            "the old secret may keep signing for 0 to {} hours",
            MAX_ROTATION_WINDOW_SECS / 3600
        )));
    }
    let now = clock.now_ms();
    let secret = new_secret();
    let mut tx = db.begin().await?;
    if !store::rotate_secret(&mut tx, company_id, id, &secret, now + keep_old_secs * 1000).await? {
        return Err(Error::NotFound("webhook endpoint"));
    }
    super::record(
        &mut tx,
        actor,
        company_id,
        "webhook.secret_rotated",
        &format!("webhook:{id}"),
        json!({ "old_secret_signs_for_seconds": keep_old_secs }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Queues a `webhook.test` event to one enabled endpoint of the company;
/// returns its event id.
pub async fn send_test(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    id: i64,
) -> Result<String> {
    let endpoint = store::find_endpoint(db.reader(), company_id, id)
        .await?
        .ok_or(Error::NotFound("webhook endpoint"))?;
    if endpoint.enabled != 1 {
        return Err(Error::Invalid(
            "the endpoint is disabled; enable it to send a test event".into(),
        ));
    }
    let now = clock.now_ms();
    let event_id = new_event_id();
    let body = body(
        &event_id,
        EventKind::Test,
        json!({ "endpointId": id, "message": "A test event from Galley." }),
        now,
    );
    let mut tx = db.begin().await?;
    store::insert_event(
        &mut tx,
        &event_id,
        company_id,
        EventKind::Test.as_str(),
        &body,
        &[id],
        now,
    )
    .await?;
    super::record(
        &mut tx,
        actor,
        company_id,
        "webhook.test_sent",
        &format!("webhook:{id}"),
        json!({ "event_id": event_id }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(event_id)
}

/// Queues one of the company's delivered or failed deliveries again, at
/// once, with the same `webhook-id` and body.
pub async fn replay(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    endpoint_id: i64,
    delivery_id: i64,
) -> Result<()> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    if !store::replay(&mut tx, company_id, endpoint_id, delivery_id, now).await? {
        return Err(Error::NotFound("finished delivery"));
    }
    super::record(
        &mut tx,
        actor,
        company_id,
        "webhook.replayed",
        &format!("webhook_delivery:{delivery_id}"),
        json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues again every failed delivery of one of the company's endpoints
/// first queued at or after `since_ms`; returns how many.
pub async fn replay_failed_since(
    db: &Db,
    clock: &dyn Clock,
    actor: &Actor,
    company_id: i64,
    endpoint_id: i64,
    since_ms: i64,
) -> Result<u64> {
    store::find_endpoint(db.reader(), company_id, endpoint_id)
        .await?
        .ok_or(Error::NotFound("webhook endpoint"))?;
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let n = store::replay_failed_since(&mut tx, company_id, endpoint_id, since_ms, now).await?;
    super::record(
        &mut tx,
        actor,
        company_id,
        "webhook.failed_replayed",
        &format!("webhook:{endpoint_id}"),
        json!({ "since": iso_date(since_ms), "deliveries": n }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Disables an endpoint that has failed every delivery for 3 days and
/// queues an e-mail to the company's admins; true for the one caller that
/// disabled it (several nodes may notice at once).
pub async fn disable_failing(db: &Db, clock: &dyn Clock, company_id: i64, id: i64) -> Result<bool> {
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let reason = "every delivery failed for 3 days";
    if !store::disable_failing(&mut tx, id, reason).await? {
        return Ok(false);
    }
    super::record(
        &mut tx,
        &Actor::System,
        company_id,
        "webhook.disabled",
        &format!("webhook:{id}"),
        json!({ "reason": reason }),
        now,
    )
    .await?;
    outbox::enqueue(
        &mut tx,
        DISABLED_EMAIL,
        &json!({ "company_id": company_id, "endpoint_id": id }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A new event id: `evt_` and 128 random bits.
fn new_event_id() -> String {
    format!("evt_{}", crypto::new_id())
}

/// The body every delivery of an event carries, byte for byte.
fn body(event_id: &str, kind: EventKind, data: Value, now: i64) -> String {
    json!({ "id": event_id, "event": kind.as_str(), "data": data, "createdAt": iso_date(now) })
        .to_string()
}

/// Writes event `kind` about the company, with `data`, in the caller's
/// transaction, and one delivery for each enabled endpoint subscribed to
/// it (nothing when there is none).
pub async fn emit(
    tx: &mut Tx,
    company_id: i64,
    kind: EventKind,
    data: Value,
    now: i64,
) -> std::result::Result<(), StoreError> {
    let endpoints: Vec<i64> = store::enabled_endpoints(tx, company_id)
        .await?
        .into_iter()
        .filter(|(_, events)| events.split(',').any(|e| e == kind.as_str()))
        .map(|(id, _)| id)
        .collect();
    if endpoints.is_empty() {
        return Ok(());
    }
    let event_id = new_event_id();
    let body = body(&event_id, kind, data, now);
    store::insert_event(
        tx,
        &event_id,
        company_id,
        kind.as_str(),
        &body,
        &endpoints,
        now,
    )
    .await
}

/// Emits `order.delivered` or `order.canceled` for an order.
pub async fn emit_order(
    tx: &mut Tx,
    kind: EventKind,
    order: &crate::store::orders::OrderRow,
    now: i64,
) -> std::result::Result<(), StoreError> {
    let status = if kind == EventKind::OrderCanceled {
        "canceled"
    } else {
        "delivered"
    };
    let data = json!({
        "orderId": order.id,
        "poNumber": order.po_number,
        "orderDate": crate::clock::date_time(order.created_at),
        "deliveryStatus": status,
    });
    emit(tx, order.company_id, kind, data, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
            "fe80::1",
            "::",
        ] {
            assert!(forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(!forbidden_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_must_be_https_and_public_unless_allowed() {
        let strict = Settings::default();
        let open = Settings {
            allow_private_targets: true,
        };
        assert!(check_url("https://hooks.example.com/in", strict).is_ok());
        for bad in [
            "http://hooks.example.com/in",
            "https://127.0.0.1/in",
            "https://[::1]/in",
            "https://localhost:8443/in",
            "https://169.254.169.254/latest",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            assert!(check_url(bad, strict).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9/in", open).is_ok());
    }

    #[test]
    fn event_lists() {
        assert_eq!(
            parse_events("").unwrap(),
            "order.delivered,order.canceled,link.redeemed,link.expired"
        );
        assert_eq!(
            parse_events("link.redeemed, order.delivered").unwrap(),
            "link.redeemed,order.delivered"
        );
        assert!(parse_events("order.placed").is_err());
    }

    #[test]
    fn secrets_decode_to_their_key() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret).unwrap().len(), 32);
    }
}
