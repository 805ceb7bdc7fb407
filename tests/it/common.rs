//! The test harness: a fresh database per test on either engine, the real
//! server started in-process on port 0, and helpers per endpoint.
//!
//! PostgreSQL tests need `GALLEY_TEST_PG_URL`, the URL of a throwaway cluster
//! that `scripts/test.sh` starts with `initdb`/`pg_ctl`; each test creates its
//! own database in it. Without it those tests fail loudly, never skip.

#![allow(dead_code)]

use std::{sync::Arc, time::Duration};

use galley::{
    app::App,
    clock::ManualClock,
    config::{Config, Redacted},
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
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
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

    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(engine, |_| {}).await
    }

    pub async fn spawn_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Self {
        let test_db = TestDb::new(engine).await;
        let mut config = test_config(&test_db.url);
        tweak(&mut config);
        // Pick the port first so that the public URL can name it.
        if config.listen.ends_with(":0") {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            config.listen = format!("127.0.0.1:{}", probe.local_addr().unwrap().port());
        }
        if config.public_url.is_none() {
            config.public_url = Some(format!("http://{}", config.listen));
        }
        let valid = config.validate().expect("valid test config");
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A company with a super admin; returns (company_id, admin e-mail).
    pub async fn company(&self, name: &str) -> (i64, String) {
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
                base_currency: "INR".into(),
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

    pub async fn client_with(&self, company_id: i64, scopes: &str, grants: &str) -> Client {
        let created = galley::domain::clients::create(
            &self.db,
            &*self.clock,
            &galley::domain::Actor::Cli,
            galley::domain::clients::NewClient {
                company_id,
                name: "Test App".into(),
                redirect_uri: "https://app.example.com/callback".into(),
                scopes: scopes.into(),
                grant_types: Some(grants.into()),
                public: false,
                signup_company: None,
            },
        )
        .await
        .unwrap();
        Client {
            id: created.client_id,
            secret: created.client_secret,
        }
    }

    /// An access + refresh pair for the company's admin.
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
            refresh: issued.refresh_token.unwrap(),
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
        status_json(
            self.http
                .get(self.url("/v1/oauth/token"))
                .bearer_auth(access_token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /v1/oauth/api` with a bearer token.
    pub async fn api(&self, access_token: &str, body: Value) -> (u16, Value) {
        status_json(
            self.http
                .post(self.url("/v1/oauth/api"))
                .bearer_auth(access_token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
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
