//! Webhooks end to end, with a real HTTP receiver started by the test: every
//! event arrives signed and verifiable with the secret `galley webhook add`
//! printed; a receiver that refuses twice gets the same `webhook-id` a third
//! time after back-off, and nothing more once it acknowledged; a `kill -9`
//! of the node with events in flight loses none; two nodes deliver each
//! attempt once; loopback targets are refused without the setting, by
//! address and by a host name that resolves there; bad input is a clear
//! error.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, http::HeaderMap, http::StatusCode, routing::post, Router};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use galley::{
    clock::SystemClock,
    domain::{
        webhooks::{self, NewWebhook, Settings},
        Actor,
    },
    store::Db,
};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::{
    both_engines,
    cli::{galley, import_codes},
    common::*,
    concurrency::start_node_with,
};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Got {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub api_key: Option<String>,
    pub body: String,
}

impl Got {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inner {
    got: Vec<Got>,
    /// Statuses to answer next, then 200.
    script: VecDeque<u16>,
    /// Wait this long before answering.
    delay: Duration,
}

/// A webhook receiver on 127.0.0.1 that records every request.
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:{port}/hook`.
    pub url: String,
}

impl Receiver {
    /// Starts one on a free port.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = inner.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    let got = Got {
                        id: header("webhook-id").unwrap_or_default(),
                        timestamp: header("webhook-timestamp").unwrap_or_default(),
                        signature: header("webhook-signature").unwrap_or_default(),
                        api_key: header("x-api-key"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    };
                    let (status, delay) = {
                        let mut inner = state.lock().unwrap();
                        inner.got.push(got);
                        (inner.script.pop_front().unwrap_or(200), inner.delay)
                    };
                    tokio::time::sleep(delay).await;
                    (StatusCode::from_u16(status).unwrap(), "thanks")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            inner,
            url: format!("http://127.0.0.1:{port}/hook"),
        }
    }

    /// What it got so far.
    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().unwrap().got.clone()
    }

    /// Answers `statuses` to the next requests, then 200.
    pub fn script(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().script = statuses.iter().copied().collect();
    }

    /// Waits this long before answering.
    pub fn delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// Waits (up to `secs`) until it got at least `n` requests.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Got> {
        for _ in 0..secs * 20 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver got {} requests, not {n}: {:?}",
            self.got().len(),
            self.got()
        );
    }
}

/// Checks a delivery's signature with `secret` as a receiver would.
pub fn verify(secret: &str, got: &Got) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", got.id, got.timestamp, got.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    got.signature.split(' ').any(|s| s == expected)
}

/// A server that may reach the receiver.
async fn open_app(engine: Engine) -> TestApp {
    TestApp::spawn_with(engine, |c| c.webhook_allow_private_targets = true).await
}

/// `galley webhook add` as the operator would run it; (id, secret).
fn add_by_cli(app: &TestApp, company: i64, url: &str, extra: &[&str]) -> (i64, String) {
    let company = company.to_string();
    let mut args = vec![
        "webhook",
        "add",
        "--company",
        &company,
        "--url",
        url,
        "--json",
        "--database-url",
        &app.test_db.url,
    ];
    args.extend_from_slice(extra);
    let (ok, out, err) =
        crate::cli::galley_env(&args, &[("GALLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")]);
    assert!(ok, "{err}");
    let secret = out["signing_secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{out}");
    (out["webhook_id"].as_i64().unwrap(), secret)
}

/// A delivery's (status, attempts) by event id.
async fn delivery(db: &Db, event_id: &str) -> (String, i64) {
    sqlx::query_as(
        "SELECT d.status, d.attempts FROM webhook_deliveries d JOIN webhook_events v ON v.id = d.event_row \
         WHERE v.event_id = $1",
    )
    .bind(event_id)
    .fetch_one(db.reader())
    .await
    .unwrap()
}

both_engines!(every_event_arrives_signed, |engine| async move {
    let app = open_app(engine).await;
    let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, "50000").await;
    let receiver = Receiver::start().await;
    let (_, secret) = add_by_cli(&app, s.company_id, &receiver.url, &["--api-key", "k-123"]);

    // order.delivered at once.
    let order = |product: i64, denomination: &str, po: &str| {
        json!({
            "query": "plumProAPI.mutation.placeOrder", "tag": "plumProAPI",
            "variables": {"data": {"productId": product, "quantity": 1, "denomination": denomination, "poNumber": po}},
        })
    };
    let (status, placed) = app.api(&s.tokens.access, order(101, "500", "po-1")).await;
    assert_eq!(status, 200, "{placed}");
    let order_id = placed["data"]["placeOrder"]["data"]["orderId"]
        .as_i64()
        .unwrap();
    let got = receiver.wait_for(1, 20).await;
    let first = got[0].json();
    assert_eq!(first["event"], "order.delivered");
    assert_eq!(first["data"]["orderId"], order_id);
    assert_eq!(first["data"]["poNumber"], "po-1");
    assert_eq!(first["data"]["deliveryStatus"], "delivered");
    assert_eq!(first["id"], got[0].id.as_str());
    assert!(got[0].id.starts_with("evt_"));

    // A delayed order: nothing until codes arrive, then order.delivered.
    let (status, placed) = app
        .api(&s.tokens.access, order(103, "2000", "po-late"))
        .await;
    assert_eq!(status, 200, "{placed}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        receiver.got().len(),
        1,
        "a pending order reports nothing yet"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("travel.csv");
    std::fs::write(&file, "code,pin,validity\nTRAVEL-1,,2099-01-01\n").unwrap();
    let (ok, _, err) = import_codes(&app.test_db.url, "103", "2000", file.to_str().unwrap());
    assert!(ok, "{err}");
    // The command line wrote the event at the real time; the server's clock
    // is a manual one.
    app.clock.advance_secs(5);
    let got = receiver.wait_for(2, 20).await;
    assert_eq!(got[1].json()["event"], "order.delivered");
    assert_eq!(got[1].json()["data"]["poNumber"], "po-late");

    // order.canceled: a waiting order canceled by the operator is refunded
    // in the same transaction, once.
    let balance_before = app.ledger_balance(s.company_id).await;
    let (status, placed) = app
        .api(&s.tokens.access, order(103, "2000", "po-cancel"))
        .await;
    assert_eq!(status, 200, "{placed}");
    let waiting = placed["data"]["placeOrder"]["data"]["orderId"]
        .as_i64()
        .unwrap();
    assert!(
        app.ledger_balance(s.company_id).await < balance_before,
        "charged"
    );
    let (company, id) = (s.company_id.to_string(), waiting.to_string());
    let cancel = [
        "order",
        "cancel",
        "--company",
        &company,
        "--id",
        &id,
        "--json",
        "--database-url",
        &app.test_db.url,
    ];
    let (ok, canceled, err) = galley(&cancel);
    assert!(ok, "{err}");
    assert_eq!(canceled["canceled"], true);
    assert_eq!(
        app.ledger_balance(s.company_id).await,
        balance_before,
        "refunded"
    );
    app.clock.advance_secs(5);
    let got = receiver.wait_for(3, 20).await;
    assert_eq!(got[2].json()["event"], "order.canceled");
    assert_eq!(got[2].json()["data"]["orderId"], waiting);
    assert_eq!(got[2].json()["data"]["deliveryStatus"], "canceled");
    let (ok, _, err) = galley(&cancel);
    assert!(!ok && err.contains("canceled"), "not twice: {err}");
    let delivered = order_id.to_string();
    let (ok, _, err) = galley(&[
        "order",
        "cancel",
        "--company",
        &company,
        "--id",
        &delivered,
        "--database-url",
        &app.test_db.url,
    ]);
    assert!(
        !ok && err.contains("complete"),
        "a delivered order stays: {err}"
    );
    let (ok, _, err) = galley(&[
        "order",
        "cancel",
        "--company",
        "999999",
        "--id",
        &id,
        "--database-url",
        &app.test_db.url,
    ]);
    assert!(!ok && err.contains("not found"), "{err}");
    let (_, details) = app
        .api(
            &s.tokens.access,
            json!({"query": "plumProAPI.mutation.getOrderDetails", "tag": "plumProAPI", "variables": {"data": {"poNumber": "po-cancel"}}}),
        )
        .await;
    assert!(details.to_string().contains("canceled"), "{details}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'order_refund' AND reference = 'order:{waiting}'"
        ))
        .await,
        1
    );

    // link.redeemed and link.expired.
    let campaign = app
        .campaign(s.company_id, "Thanks", "500", "INR", &[101])
        .await;
    let links = xoxo_links(&app, &s, campaign, 2).await;
    let link = app.link(&links[0]).await;
    let redeemed = galley::domain::links::redeem(&app.db, &*app.clock, &link, 101)
        .await
        .unwrap();
    assert!(matches!(
        redeemed,
        galley::domain::links::Redemption::Redeemed
    ));
    let got = receiver.wait_for(4, 20).await;
    let body = got[3].json();
    assert_eq!(body["event"], "link.redeemed");
    assert_eq!(body["data"]["linkId"], link.id);
    assert_eq!(body["data"]["campaignId"], campaign.to_string());
    assert_eq!(body["data"]["productId"], 101);
    app.clock.advance_secs(3 * 86_400);
    let refunded = galley::domain::links::sweep(&app.db, &*app.clock)
        .await
        .unwrap();
    assert_eq!(refunded, 1);
    let got = receiver.wait_for(5, 20).await;
    let body = got[4].json();
    assert_eq!(body["event"], "link.expired");
    assert_eq!(body["data"]["linkId"], app.link(&links[1]).await.id);
    assert_eq!(body["data"]["currency"], "INR");

    for g in &got {
        assert!(verify(&secret, g), "signature of {g:?}");
        assert_eq!(g.api_key.as_deref(), Some("k-123"));
        assert!(!verify(&webhooks::new_secret(), g));
    }
    let ids: std::collections::HashSet<_> = got.iter().map(|g| g.id.clone()).collect();
    assert_eq!(ids.len(), 5, "one id per event");
});

/// `generateLink` of `n` links of `campaign` expiring tomorrow; their URLs.
async fn xoxo_links(app: &TestApp, s: &Setup, campaign: i64, n: i64) -> Vec<String> {
    let data = json!({ "campaignId": campaign, "links_quantity": n, "link_expiry": app.expiry(1) });
    let (status, body) = app
        .api(
            &s.tokens.access,
            json!({"query": "xoxo_link.mutation.generateLink", "tag": "xoxo_link", "variables": {"data": data}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["generateLink"]["links"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

both_engines!(refused_twice_then_acknowledged_once, |engine| async move {
    let app = open_app(engine).await;
    let (company, _) = app.company("Hooked").await;
    let receiver = Receiver::start().await;
    receiver.script(&[500, 503]);
    let (id, secret) = add_by_cli(
        &app,
        company,
        &receiver.url,
        &["--events", "order.delivered"],
    );
    let event = webhooks::send_test(&app.db, &*app.clock, &Actor::Cli, company, id)
        .await
        .unwrap();
    let got = receiver.wait_for(1, 20).await;
    assert_eq!(got[0].id, event);
    // Not again until the back-off (about 2 s on the server's clock) passed.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), 1, "no retry before the back-off");
    assert_eq!(delivery(&app.db, &event).await, ("pending".into(), 1));
    app.clock.advance_secs(3);
    receiver.wait_for(2, 20).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), 2, "the second back-off is about 4 s");
    app.clock.advance_secs(5);
    let got = receiver.wait_for(3, 20).await;
    assert!(got.iter().all(|g| g.id == event), "{got:?}");
    assert!(got.iter().all(|g| verify(&secret, g)));
    for _ in 0..40 {
        if delivery(&app.db, &event).await.0 == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivery(&app.db, &event).await, ("delivered".into(), 3));
    // Acknowledged: never again, however long we wait.
    app.clock.advance_secs(4 * 86_400);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), 3);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("galley_webhook_deliveries_total{outcome=\"retry\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("galley_webhook_queue_depth"), "{metrics}");
    assert!(
        metrics.contains("galley_webhook_oldest_pending_seconds"),
        "{metrics}"
    );

    // The portal replays it: the same id once more.
    let browser = crate::portal::admin_browser(&app, &admin_of(&app, company).await).await;
    let delivery_id = app
        .count("SELECT MAX(id) FROM webhook_deliveries")
        .await
        .to_string();
    // Through another endpoint's page the delivery is not found.
    let (other, _) = add_by_cli(&app, company, &receiver.url, &[]);
    let wrong = crate::portal::post(
        &app,
        &browser,
        &format!("/admin/webhooks/{other}"),
        &format!("/admin/webhooks/{other}/deliveries/{delivery_id}/replay"),
        &[],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND, "{}", wrong.body);
    let page = crate::portal::post(
        &app,
        &browser,
        &format!("/admin/webhooks/{id}"),
        &format!("/admin/webhooks/{id}/deliveries/{delivery_id}/replay"),
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let got = receiver.wait_for(4, 20).await;
    assert_eq!(got[3].id, event);
});

/// The e-mail of a company's super admin.
async fn admin_of(app: &TestApp, company: i64) -> String {
    app.count_text(&format!(
        "SELECT email FROM admins WHERE company_id = {company}"
    ))
    .await
}

both_engines!(
    gives_up_after_three_days_and_disables_the_endpoint,
    |engine| async move {
        let app = open_app(engine).await;
        let (company, admin) = app.company("Gone").await;
        let receiver = Receiver::start().await;
        receiver.script(&[500; 64]);
        let (id, _) = add_by_cli(&app, company, &receiver.url, &[]);
        let event = webhooks::send_test(&app.db, &*app.clock, &Actor::Cli, company, id)
            .await
            .unwrap();
        receiver.wait_for(1, 20).await;
        // Hours pass: attempts back off to an hour apart, then give up.
        let mut n = 1;
        while delivery(&app.db, &event).await.0 == "pending" && n < 200 {
            app.clock.advance_secs(7200);
            n += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let (status, attempts) = delivery(&app.db, &event).await;
        assert_eq!(status, "failed");
        assert!(
            (30..60).contains(&attempts),
            "{attempts} attempts in 3 days"
        );
        // The worker disables the endpoint right after recording the last
        // failure (two statements): wait for it.
        let enabled_sql = format!("SELECT enabled FROM webhook_endpoints WHERE id = {id}");
        let mut enabled = app.count(&enabled_sql).await;
        for _ in 0..100 {
            if enabled == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            enabled = app.count(&enabled_sql).await;
        }
        assert_eq!(enabled, 0, "failing for 3 days disables the endpoint");
        let mail = app.wait_for_mail(&admin, 1).await;
        assert!(mail.contains("disabled the webhook endpoint"), "{mail}");
        // Replay of everything failed since yesterday, after enabling it.
        receiver.script(&[]);
        webhooks::set_enabled(&app.db, &*app.clock, &Actor::Cli, company, id, true)
            .await
            .unwrap();
        let since = app.clock_ms() - 10 * 86_400_000;
        let n =
            webhooks::replay_failed_since(&app.db, &*app.clock, &Actor::Cli, company, id, since)
                .await
                .unwrap();
        assert_eq!(n, 1);
        let before = receiver.got().len();
        receiver.wait_for(before + 1, 20).await;
    }
);

both_engines!(
    private_targets_are_refused_without_the_setting,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company, _) = app.company("Strict").await;
        let receiver = Receiver::start().await;
        let url_arg = |url: &str| {
            let company = company.to_string();
            let (ok, out, err) = galley(&[
                "webhook",
                "add",
                "--company",
                &company,
                "--url",
                url,
                "--json",
                "--database-url",
                &app.test_db.url,
            ]);
            (ok, out, err)
        };
        for bad in [
            receiver.url.clone(),
            receiver.url.replace("http://", "https://"),
            "https://[::1]/hook".to_string(),
            "https://169.254.169.254/latest/meta-data".to_string(),
            "https://localhost/hook".to_string(),
            "not a url".to_string(),
            "https://hooks.example.com/in#frag".to_string(),
        ] {
            let (ok, out, err) = url_arg(&bad);
            assert!(!ok, "{bad} was accepted: {out}");
            assert_eq!(out["error"]["code"], "usage", "{bad}: {out}");
            assert!(!err.is_empty());
        }
        let (ok, out, _) = galley(&[
            "webhook",
            "add",
            "--company",
            &company.to_string(),
            "--url",
            "https://hooks.example.com/in",
            "--events",
            "order.placed",
            "--json",
            "--database-url",
            &app.test_db.url,
        ]);
        assert!(!ok);
        assert!(
            out["error"]["message"]
                .as_str()
                .unwrap()
                .contains("order.delivered"),
            "{out}"
        );
        let (ok, out, _) = galley(&[
            "webhook",
            "disable",
            "--id",
            "999",
            "--json",
            "--database-url",
            &app.test_db.url,
        ]);
        assert!(!ok);
        assert_eq!(out["error"]["code"], "not_found");

        // A host name that resolves to 127.0.0.1, added while the setting was
        // on (or whose DNS changed since): refused when connecting.
        let port = receiver
            .url
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        for target in [
            format!("https://localhost:{port}/hook"),
            format!("https://127.0.0.1:{port}/hook"),
            receiver.url.clone(),
        ] {
            let created = webhooks::add(
                &app.db,
                &*app.clock,
                &Actor::Cli,
                Settings {
                    allow_private_targets: true,
                },
                NewWebhook {
                    company_id: company,
                    url: target.clone(),
                    api_key: String::new(),
                    events: String::new(),
                },
            )
            .await
            .unwrap();
            let event = webhooks::send_test(&app.db, &*app.clock, &Actor::Cli, company, created.id)
                .await
                .unwrap();
            let mut last = (String::new(), 0i64, String::new());
            for _ in 0..100 {
                last = sqlx::query_as(
                    "SELECT d.status, d.attempts, d.last_error FROM webhook_deliveries d \
                 JOIN webhook_events v ON v.id = d.event_row WHERE v.event_id = $1",
                )
                .bind(&event)
                .fetch_one(app.db.reader())
                .await
                .unwrap();
                if last.1 > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(last.1, 1, "{target}: {last:?}");
            assert_eq!(last.0, "pending");
            let why = &last.2;
            assert!(
                why.contains("loopback") || why.contains("https"),
                "{target}: {why}"
            );
        }
        assert!(receiver.got().is_empty(), "{:?}", receiver.got());
    }
);

/// A migrated database for `galley serve` nodes, with a company and an
/// endpoint of `receiver`; (db, company, endpoint id, secret).
async fn shared_db(test_db: &TestDb, receiver: &Receiver) -> (Db, i64, i64, String) {
    let db = Db::connect(&test_db.url, 4).await.unwrap();
    galley::store::migrate::run(&db).await.unwrap();
    let company = galley::domain::companies::create(
        &db,
        &SystemClock,
        &Actor::Cli,
        galley::domain::companies::NewCompany {
            name: "Nodes".into(),
            base_currency: "INR".into(),
            admin_email: format!("{}@nodes.test", galley::crypto::new_id()),
            admin_password: galley::config::Redacted("password123".into()),
            country: None,
        },
    )
    .await
    .unwrap();
    let created = webhooks::add(
        &db,
        &SystemClock,
        &Actor::Cli,
        Settings {
            allow_private_targets: true,
        },
        NewWebhook {
            company_id: company.company_id,
            url: receiver.url.clone(),
            api_key: String::new(),
            events: String::new(),
        },
    )
    .await
    .unwrap();
    (db, company.company_id, created.id, created.secret)
}

const OPEN: &[(&str, &str)] = &[("GALLEY_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")];

both_engines!(kill_nine_loses_no_event, |engine| async move {
    let test_db = TestDb::new(engine).await;
    let http = reqwest::Client::new();
    let receiver = Receiver::start().await;
    // The receiver holds every request longer than the node lives.
    receiver.delay(Duration::from_secs(30));
    let (db, company, endpoint, secret) = shared_db(&test_db, &receiver).await;
    let (node, _) = start_node_with(&test_db.url, &http, OPEN).await;
    let mut events = Vec::new();
    for _ in 0..5 {
        events.push(
            webhooks::send_test(&db, &SystemClock, &Actor::Cli, company, endpoint)
                .await
                .unwrap(),
        );
    }
    receiver.wait_for(5, 20).await;
    drop(node); // SIGKILL: the attempts in flight are never recorded.
    receiver.delay(Duration::ZERO);
    let before = receiver.got().len();
    let (_node, _) = start_node_with(&test_db.url, &http, OPEN).await;
    // The lease of the dead node's attempts runs out, then they are sent.
    let got = receiver.wait_for(before + 5, 40).await;
    for event in &events {
        assert!(
            got.iter().any(|g| &g.id == event),
            "{event} never arrived again"
        );
    }
    for _ in 0..100 {
        let delivered = events.iter().map(|e| delivery(&db, e));
        let all = futures::future::join_all(delivered).await;
        if all.iter().all(|(s, _)| s == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for event in &events {
        assert_eq!(delivery(&db, event).await.0, "delivered", "{event}");
    }
    assert!(got.iter().all(|g| verify(&secret, g)));
    db.close().await;
});

both_engines!(two_nodes_send_each_attempt_once, |engine| async move {
    let test_db = TestDb::new(engine).await;
    let http = reqwest::Client::new();
    let receiver = Receiver::start().await;
    let (db, company, endpoint, _) = shared_db(&test_db, &receiver).await;
    let (_a, _) = start_node_with(&test_db.url, &http, OPEN).await;
    let (_b, _) = start_node_with(&test_db.url, &http, OPEN).await;
    let mut events = Vec::new();
    for _ in 0..40 {
        events.push(
            webhooks::send_test(&db, &SystemClock, &Actor::Cli, company, endpoint)
                .await
                .unwrap(),
        );
    }
    receiver.wait_for(40, 40).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = receiver.got();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for g in &got {
        *seen.entry(g.id.clone()).or_default() += 1;
    }
    assert_eq!(got.len(), 40, "{seen:?}");
    assert!(events.iter().all(|e| seen.get(e) == Some(&1)), "{seen:?}");
    db.close().await;
});

both_engines!(portal_pages_are_the_companys_own, |engine| async move {
    let app = open_app(engine).await;
    let (company, email) = app.company("Mine").await;
    let (other, _) = app.company("Theirs").await;
    let receiver = Receiver::start().await;
    let (theirs, _) = add_by_cli(&app, other, &receiver.url, &[]);
    let browser = crate::portal::admin_browser(&app, &email).await;
    let page = browser
        .get(&app.url(&format!("/admin/webhooks/{theirs}")))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = browser.get(&app.url("/admin/webhooks/nope")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = crate::portal::post(
        &app,
        &browser,
        "/admin/webhooks",
        &format!("/admin/webhooks/{theirs}/test"),
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    // Add from the portal: the secret once, then masked.
    let page = crate::portal::post(
        &app,
        &browser,
        "/admin/webhooks?add=1",
        "/admin/webhooks",
        &[
            ("url", &receiver.url),
            ("api_key", ""),
            ("event", "link.redeemed"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let secret = crate::portal::code_text(&page, "secret").replace("&#x2f;", "/");
    assert!(secret.starts_with("whsec_"));
    let list = browser.get(&app.url("/admin/webhooks")).await;
    assert!(list.body.contains("127.0.0.1:"), "{}", list.body);
    assert!(!list.body.contains(&secret));
    let page = crate::portal::post(
        &app,
        &browser,
        "/admin/webhooks?add=1",
        "/admin/webhooks",
        &[("url", "ftp://x"), ("event", "link.redeemed")],
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("https://"), "{}", page.body);
    let n = app
        .count(&format!(
            "SELECT COUNT(*) FROM webhook_endpoints WHERE company_id = {company}"
        ))
        .await;
    assert_eq!(n, 1);
    // Rotation with a window: both signatures for a while.
    let id = app
        .count(&format!(
            "SELECT id FROM webhook_endpoints WHERE company_id = {company}"
        ))
        .await;
    let page = crate::portal::post(
        &app,
        &browser,
        &format!("/admin/webhooks/{id}?rotate=1"),
        &format!("/admin/webhooks/{id}/rotate"),
        &[("keep_old_hours", "24")],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let new_secret = crate::portal::code_text(&page, "secret").replace("&#x2f;", "/");
    assert_ne!(new_secret, secret);
    let page = crate::portal::post(
        &app,
        &browser,
        &format!("/admin/webhooks/{id}"),
        &format!("/admin/webhooks/{id}/test"),
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let got = receiver.wait_for(1, 20).await;
    assert_eq!(got[0].signature.split(' ').count(), 2, "{:?}", got[0]);
    assert!(verify(&secret, &got[0]) && verify(&new_secret, &got[0]));
    app.clock.advance_secs(25 * 3600);
    // The session ended meanwhile.
    let browser = crate::portal::admin_browser(&app, &email).await;
    crate::portal::post(
        &app,
        &browser,
        &format!("/admin/webhooks/{id}"),
        &format!("/admin/webhooks/{id}/test"),
        &[],
    )
    .await;
    let got = receiver.wait_for(2, 20).await;
    assert!(verify(&new_secret, &got[1]) && !verify(&secret, &got[1]));
    let page = browser
        .get(&app.url(&format!("/admin/webhooks/{id}")))
        .await;
    assert!(
        page.body.contains("webhook.test") && page.body.contains("Delivered"),
        "{}",
        page.body
    );
});
