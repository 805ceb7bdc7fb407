//! The test harness: a fresh database per test on either engine, the real
//! server started in-process on port 0, and helpers per endpoint.
//!
//! PostgreSQL tests need `GALLEY_TEST_PG_URL`, the URL of a throwaway cluster
//! that `scripts/test.sh` starts with `initdb`/`pg_ctl`; each test creates its
//! own database in it. Without it those tests fail loudly, never skip.

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::Duration,
};

use galley::{
    app::App,
    clock::ManualClock,
    config::{Config, Redacted},
    domain::{clients::NewClient, Actor},
    store::Db,
};
use serde_json::{json, Value};

/// The two engines every test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Declares one async test per engine:
/// `both_engines!(name, |engine| async move { ... });`
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                ($body)($crate::common::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                ($body)($crate::common::Engine::Postgres).await
            }
        }
    };
}

/// A fresh, empty database; SQLite files live in a temp dir kept alive here.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new database on `engine`.
    pub async fn new(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("galley.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let admin = std::env::var("GALLEY_TEST_PG_URL").expect(
                    "GALLEY_TEST_PG_URL is not set: run the suite with scripts/test.sh, which starts a \
                     throwaway PostgreSQL cluster",
                );
                let name = format!("galley_test_{}", galley::crypto::new_id());
                let db = Db::connect(&admin, 1)
                    .await
                    .expect("connect to the test cluster");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(db.reader())
                    .await
                    .expect("create database");
                db.close().await;
                let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
                TestDb {
                    url: format!("{base}/{name}"),
                    _dir: None,
                }
            }
        }
    }
}

/// A running server and what tests need to drive it.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub db: Db,
    pub engine: Engine,
    pub test_db: TestDb,
    /// Where the server writes its e-mails (no SMTP server in tests unless
    /// one sets `smtp_url`).
    pub spool_dir: PathBuf,
    /// The database the server uses (the test's own, unless a test points
    /// the server elsewhere).
    db_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestApp {
    /// Every test ends by checking the ledger's invariant on its database:
    /// each company's balance is the sum of its ledger entries.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let url = self.db_url.clone();
        let mismatches = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let db = Db::connect(&url, 1).await.unwrap();
                let found = galley::store::ledger::mismatches(db.reader())
                    .await
                    .unwrap();
                db.close().await;
                found
            })
        })
        .join()
        .unwrap();
        assert!(
            mismatches.is_empty(),
            "the ledger does not add up to the balance: {mismatches:?}"
        );
    }
}

/// The e-mails in the spool folder `dir` to `address`, oldest first, as
/// text with quoted-printable soft line breaks and escapes undone.
pub fn mails_in(dir: &Path, address: &str) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort_by_key(|p| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<i64>().ok())
    });
    let to = format!("To: {address}");
    files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|raw| {
            let text = quoted_printable::decode(&raw, quoted_printable::ParseMode::Robust)
                .expect("robust decoding never fails");
            String::from_utf8_lossy(&text).into_owned()
        })
        .filter(|mail| mail.lines().any(|l| l.eq_ignore_ascii_case(&to)))
        .collect()
}

/// Waits (up to 20 s) for the `n`th e-mail to `address` in the spool
/// folder `dir` and returns it.
pub async fn wait_for_mail_in(dir: &Path, address: &str, n: usize) -> String {
    for _ in 0..200 {
        if let Some(mail) = mails_in(dir, address).into_iter().nth(n - 1) {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no e-mail number {n} to {address} in {}", dir.display());
}

/// Settings a test may change before the server starts.
pub fn test_config(db_url: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        database_url: Redacted(db_url.into()),
        database_max_connections: 8,
        max_body_bytes: 64 * 1024,
        spool_dir: std::env::temp_dir()
            .join(format!("galley-spool-{}", galley::crypto::new_id()))
            .display()
            .to_string(),
        ..Config::default()
    }
}

impl TestApp {
    /// Adds `amount` (base currency) to a company's balance, as the operator.
    pub async fn fund(&self, company_id: i64, amount: &str) -> galley::domain::money::Money {
        galley::domain::ledger::add_funds(
            &self.db,
            &*self.clock,
            &galley::domain::Actor::Cli,
            company_id,
            amount,
        )
        .await
        .unwrap()
    }

    /// Starts a server on a fresh database of `engine`.
    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(engine, |_| {}).await
    }

    /// Like [`TestApp::spawn`] with the test configuration changed by `tweak`.
    pub async fn spawn_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Self {
        let test_db = TestDb::new(engine).await;
        let mut config = test_config(&test_db.url);
        tweak(&mut config);
        // Pick the port first so that the public URL can name it.
        if config.listen.ends_with(":0") {
            config.listen = format!("127.0.0.1:{}", free_port());
        }
        if config.public_url.is_none() {
            config.public_url = Some(format!("http://{}", config.listen));
        }
        let valid = config.validate().expect("valid test config");
        let db_url = valid.database_url.expose().to_string();
        let spool_dir = PathBuf::from(&valid.spool_dir);
        let clock = Arc::new(ManualClock::new());
        let base = valid.public_url.base();
        let app = App::build(valid, clock.clone()).await.expect("app builds");
        let db = app.state().db.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            clock,
            db,
            engine,
            test_db,
            spool_dir,
            db_url,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server and waits for it (graceful shutdown).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(10), server)
                .await
                .expect("shutdown in time")
                .unwrap();
        }
    }

    /// The e-mails spooled so far to `address` (see [`mails_in`]).
    pub fn mails_to(&self, address: &str) -> Vec<String> {
        mails_in(&self.spool_dir, address)
    }

    /// Waits for the `n`th e-mail to `address` (see [`wait_for_mail_in`]).
    pub async fn wait_for_mail(&self, address: &str, n: usize) -> String {
        wait_for_mail_in(&self.spool_dir, address, n).await
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A company with a super admin; returns (company_id, admin e-mail).
    pub async fn company(&self, name: &str) -> (i64, String) {
        self.company_in(name, "INR").await
    }

    /// Like [`TestApp::company`] with another base currency.
    pub async fn company_in(&self, name: &str, base_currency: &str) -> (i64, String) {
        let email = format!(
            "{}@{}.test",
            galley::crypto::new_id(),
            name.to_lowercase().replace(' ', "-")
        );
        let created = galley::domain::companies::create(
            &self.db,
            &*self.clock,
            &galley::domain::Actor::Cli,
            galley::domain::companies::NewCompany {
                name: name.into(),
                base_currency: base_currency.into(),
                country: None,
                admin_email: email.clone(),
                admin_password: Redacted("password123".into()),
            },
        )
        .await
        .unwrap();
        (created.company_id, email)
    }

    /// A client of `company_id` with every grant type and the given scopes.
    pub async fn client(&self, company_id: i64, scopes: &str) -> Client {
        self.client_with(
            company_id,
            scopes,
            "authorization_code,refresh_token,client_credentials",
        )
        .await
    }

    /// A private client of `company_id` with the given scopes and grant types.
    pub async fn client_with(&self, company_id: i64, scopes: &str, grants: &str) -> Client {
        self.create_client(NewClient {
            company_id,
            name: "Test App".into(),
            redirect_uri: "https://app.example.com/callback".into(),
            scopes: scopes.into(),
            grant_types: Some(grants.into()),
            public: false,
            signup_company: None,
        })
        .await
    }

    /// Registers any client, as the operator; returns its credentials.
    pub async fn create_client(&self, new: NewClient) -> Client {
        let created = galley::domain::clients::create(
            &self.db,
            &*self.clock,
            &galley::domain::Actor::Cli,
            new,
        )
        .await
        .unwrap();
        Client {
            id: created.client_id,
            secret: created.client_secret,
        }
    }

    /// An access + refresh pair for the company's admin (the refresh token is
    /// empty when the client lacks the `refresh_token` grant).
    pub async fn admin_tokens(&self, client: &Client, admin_email: &str, scopes: &str) -> Tokens {
        let settings = galley::config::Config::default().validate().unwrap().tokens;
        let issued = galley::domain::tokens::issue_for_admin(
            &self.db,
            &*self.clock,
            &settings,
            &client.id,
            admin_email,
            scopes,
        )
        .await
        .unwrap();
        Tokens {
            access: issued.access_token,
            refresh: issued.refresh_token.unwrap_or_default(),
        }
    }

    /// Company, client (all scopes) and an admin token pair in one call.
    pub async fn setup(&self) -> Setup {
        let (company_id, email) = self.company("Acme").await;
        let client = self
            .client(
                company_id,
                "plum_pro_api,xoxo_link,company_session,user_session",
            )
            .await;
        let tokens = self
            .admin_tokens(&client, &email, "plum_pro_api,xoxo_link")
            .await;
        Setup {
            company_id,
            email,
            client,
            tokens,
        }
    }

    /// POST a JSON body to the token endpoint.
    pub async fn token_json(&self, token_type: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(&format!("/v1/oauth/token/{token_type}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        status_json(response).await
    }

    /// POST a form to a path with optional Basic credentials.
    pub async fn form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        basic: Option<&Client>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(client) = basic {
            request = request.basic_auth(&client.id, Some(&client.secret));
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        status_json(request.body(body).send().await.unwrap()).await
    }

    /// The seed's refresh request (JSON, credentials in the body).
    pub async fn refresh(&self, client: &Client, refresh_token: &str) -> (u16, Value) {
        self.token_json(
            "user",
            json!({
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client.id,
                "client_secret": client.secret,
            }),
        )
        .await
    }

    /// `GET /v1/oauth/token` with a bearer token.
    pub async fn validate(&self, access_token: &str) -> (u16, Value) {
        self.validate_on(&self.base, access_token).await
    }

    /// The validation status of the access token in a token reply.
    pub async fn validate_reply(&self, token_reply: &Value) -> u16 {
        let access_token = token_reply["access_token"].as_str().unwrap();
        self.validate(access_token).await.0
    }

    /// Like [`TestApp::validate`] against another node's base URL.
    pub async fn validate_on(&self, base: &str, access_token: &str) -> (u16, Value) {
        status_json(
            self.http
                .get(format!("{base}/v1/oauth/token"))
                .bearer_auth(access_token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /v1/oauth/api` with a bearer token.
    pub async fn api(&self, access_token: &str, body: Value) -> (u16, Value) {
        api_on(&self.http, &self.base, access_token, &body).await
    }
}

/// `POST {base}/v1/oauth/api` with a bearer token, on any node.
pub async fn api_on(
    http: &reqwest::Client,
    base: &str,
    access_token: &str,
    body: &Value,
) -> (u16, Value) {
    status_json(
        http.post(format!("{base}/v1/oauth/api"))
            .bearer_auth(access_token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Asserts an OAuth error reply: its status and its `error` code.
#[track_caller]
pub fn assert_error(reply: &(u16, Value), status: u16, error: &str) {
    assert_reply_code(reply, "error", status, error);
}

/// Asserts a Plum API error reply: its status and its `errorId`.
#[track_caller]
pub fn assert_error_id(reply: &(u16, Value), status: u16, error_id: &str) {
    assert_reply_code(reply, "errorId", status, error_id);
}

/// Asserts a reply's status and the code its body has under `field`.
#[track_caller]
fn assert_reply_code(reply: &(u16, Value), field: &str, status: u16, code: &str) {
    assert_eq!(
        (reply.0, reply.1[field].as_str()),
        (status, Some(code)),
        "{}",
        reply.1
    );
}

pub struct Client {
    pub id: String,
    pub secret: String,
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

pub struct Setup {
    pub company_id: i64,
    pub email: String,
    pub client: Client,
    pub tokens: Tokens,
}

/// Status and JSON body (Null when the body is empty).
pub async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

impl TestApp {
    /// The server's current time (the shared manual clock).
    pub fn clock_ms(&self) -> i64 {
        use galley::clock::Clock;
        self.clock.now_ms()
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// A link expiry, `DD-MM-YYYY`: the server's day plus `days`.
    pub fn expiry(&self, days: i64) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(self.clock_ms() / 1000 + days * 86_400)
            .unwrap();
        format!("{:02}-{:02}-{}", t.day(), u8::from(t.month()), t.year())
    }
}

/// The sample catalog (products 101, 102, 103).
pub const SAMPLE_CATALOG: &str = include_str!("../../samples/catalog.json");
/// The sample gift card (product 104, codes generated on sale).
pub const SAMPLE_GIFT_CARD: &str = include_str!("../../samples/gift-card.json");
/// The sample codes of product 101 at 500 INR (`CCD-500-0001` to `-0004`).
pub const SAMPLE_CODES: &str = include_str!("../../samples/codes.csv");

impl TestApp {
    /// Imports `catalogs`, then `codes` (CSV with header; none if empty) of
    /// product 101 at 500 INR, and sets up a company funded with `funds` INR.
    pub async fn stocked(&self, catalogs: &[&str], codes: &str, funds: &str) -> Setup {
        let quiet = |_: usize, _: usize| {};
        for catalog in catalogs {
            galley::domain::catalog::import(&self.db, &*self.clock, &Actor::Cli, catalog, &quiet)
                .await
                .unwrap();
        }
        if !codes.is_empty() {
            galley::domain::inventory::import_codes(
                &self.db,
                &*self.clock,
                &Actor::Cli,
                101,
                "500",
                codes,
                &quiet,
            )
            .await
            .unwrap();
        }
        let s = self.setup().await;
        self.fund(s.company_id, funds).await;
        s
    }

    /// A campaign in India of `value` `currency` offering `products`; its id.
    pub async fn campaign(
        &self,
        company_id: i64,
        name: &str,
        value: &str,
        currency: &str,
        products: &[i64],
    ) -> i64 {
        galley::domain::campaigns::create(
            &self.db,
            &*self.clock,
            &galley::domain::Actor::Cli,
            galley::domain::campaigns::NewCampaign {
                company_id,
                name: name.into(),
                denomination: value.into(),
                currency: currency.into(),
                country: "IN".into(),
                product_ids: products.to_vec(),
            },
        )
        .await
        .unwrap()
    }

    /// A company's balance in minor units, asserting that it equals the sum
    /// of its ledger (one statement, one snapshot: a sweep may commit at any
    /// time).
    pub async fn ledger_balance(&self, company_id: i64) -> i64 {
        let (balance, sum): (i64, i64) = sqlx::query_as(
            "SELECT balance_minor, CAST((SELECT COALESCE(SUM(amount_minor), 0) FROM ledger_entries \
             WHERE company_id = $1) AS BIGINT) FROM companies WHERE id = $1",
        )
        .bind(company_id)
        .fetch_one(self.db.reader())
        .await
        .unwrap();
        assert_eq!(
            balance, sum,
            "the running balance equals the sum of the ledger"
        );
        balance
    }

    /// The one number a `SELECT COUNT(*) ...` statement returns.
    pub async fn count(&self, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(self.db.reader())
            .await
            .unwrap();
        n
    }

    /// The one text value `sql` selects.
    pub async fn count_text(&self, sql: &str) -> String {
        let (text,): (String,) = sqlx::query_as(sql)
            .fetch_one(self.db.reader())
            .await
            .unwrap();
        text
    }

    /// The stored link behind a reward-link URL; panics if there is none.
    pub async fn link(&self, url: &str) -> galley::store::links::LinkRow {
        galley::domain::links::find(&self.db, code_of(url))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no link {url}"))
    }
}

/// The code of a reward-link URL (its last path segment).
pub fn code_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

/// The CSRF token a reward-link page hands the browser: its
/// `galley_csrf` cookie, which the form repeats (double submit).
pub async fn link_csrf(http: &reqwest::Client, link_url: &str) -> String {
    let response = http.get(link_url).send().await.unwrap();
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("galley_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("{link_url} set no CSRF cookie"))
        .to_string()
}

/// A browser-like client for the reward-link pages: no redirects followed.
pub fn link_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// POSTs a form `body` to a reward-link page with `csrf` as cookie and as
/// the form's `csrf` field; returns (status, page).
pub async fn post_link_form(
    http: &reqwest::Client,
    url: &str,
    csrf: &str,
    body: &str,
) -> (u16, String) {
    let response = http
        .post(url)
        .header("cookie", format!("galley_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&{body}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A free TCP port on 127.0.0.1 (bound once, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `GET {base}/readyz` answers 200; panics after 30 s.
pub async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

/// tests/interop, asserting that the npm `package` is installed there.
pub fn interop_dir(package: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        dir.join("node_modules").join(package).exists(),
        "{package} is not installed: run `npm ci` in tests/interop (scripts/test.sh does)"
    );
    dir
}

/// Asserts that Chromium is installed; returns target/screenshots/{engine}/,
/// created.
pub fn chromium_screenshots(engine: Engine) -> PathBuf {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: apt-get install chromium (.ci/run does)"
    );
    let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(format!("{engine:?}").to_lowercase());
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// Runs `node --test <script>` in `dir` with `env`; returns stdout after
/// asserting success.
pub async fn node_test(
    dir: PathBuf,
    script: &'static str,
    env: Vec<(&'static str, String)>,
) -> String {
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-concurrency=1", script])
            .current_dir(dir)
            .envs(env)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `galley demo` started as a child process on a fresh database of
/// `engine` (in a temp dir, for its spool); killed on drop.
pub struct Demo {
    /// What the demo printed (`--json`): `public_url`, credentials, ids.
    pub info: Value,
    /// Its public URL.
    pub base: String,
    child: std::process::Child,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// Starts the demo with `env` added to its environment and waits until
    /// it is ready.
    pub async fn start(engine: Engine, env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_galley"))
            .args([
                "demo",
                "--json",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &db.url,
            ])
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start galley demo");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line
        })
        .await
        .unwrap();
        let info: Value = serde_json::from_str(&line).expect("demo prints one JSON object");
        let base = info["public_url"].as_str().unwrap().to_string();
        wait_ready(&reqwest::Client::new(), &base).await;
        Demo {
            info,
            base,
            child,
            _db: db,
            _dir: dir,
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python of the test tools' virtual environment (aiosmtpd,
/// schemathesis), from `GALLEY_TEST_PYTHON`, which scripts/test.sh sets.
/// Panics when it is missing: these tests never skip.
pub fn test_python() -> PathBuf {
    let python = std::env::var_os("GALLEY_TEST_PYTHON")
        .map(PathBuf::from)
        .expect(
            "GALLEY_TEST_PYTHON is not set: run the suite with scripts/test.sh, which makes the \
         test tools' virtual environment (aiosmtpd, schemathesis) and sets it",
        );
    assert!(
        python.exists(),
        "GALLEY_TEST_PYTHON={} does not exist: run scripts/test.sh",
        python.display()
    );
    python
}
