//! The authorization-code flow at the HTTP level: pages, redirects, codes,
//! PKCE, sessions and CSRF. Tests named `rfc9700_*` each check one MUST of
//! the OAuth security BCP that applies to an authorization server.

use std::sync::LazyLock;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use galley::domain::clients::NewClient;
use reqwest::{header, redirect::Policy, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{both_engines, common::*};

pub const CALLBACK: &str = "https://app.example.com/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-galley-test";
/// The S256 challenge of [`VERIFIER`].
static CHALLENGE: LazyLock<String> = LazyLock::new(|| challenge(VERIFIER));

/// The PKCE S256 challenge of `verifier`.
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The authorize parameters of a PKCE request with [`VERIFIER`].
pub fn pkce() -> [(&'static str, &'static str); 2] {
    [
        ("code_challenge", CHALLENGE.as_str()),
        ("code_challenge_method", "S256"),
    ]
}

/// A browser: keeps cookies, does not follow redirects.
pub struct Browser {
    http: reqwest::Client,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header, or "".
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The CSRF token of the page's form.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("page has a CSRF field")
            + 19;
        let len = self.body[start..].find('"').expect("the value ends");
        self.body[start..start + len].to_string()
    }

    /// The hidden fields of the page's form, plus its CSRF token.
    pub fn hidden(&self) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[i + 27..];
            let name_end = rest.find('"').unwrap();
            let name = rest[..name_end].to_string();
            let value_start = rest.find("value=\"").unwrap() + 7;
            let value_end = value_start + rest[value_start..].find('"').unwrap();
            let value = rest[value_start..value_end]
                .replace("&amp;", "&")
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"");
            fields.push((name, value));
            rest = &rest[value_end..];
        }
        fields
    }
}

impl Browser {
    /// A fresh browser: no cookies yet.
    pub fn new() -> Self {
        Self::from_address([127, 0, 0, 1])
    }

    /// A fresh browser whose requests come from `address` (any address of
    /// the loopback range reaches the server).
    pub fn from_address(address: [u8; 4]) -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .local_address(std::net::IpAddr::from(address))
                .build()
                .unwrap(),
        }
    }

    /// Reads a response into a [`Page`].
    async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        Page {
            status,
            headers,
            body: response.text().await.unwrap(),
        }
    }

    /// GETs `url`.
    pub async fn get(&self, url: &str) -> Page {
        Self::page(self.http.get(url).send().await.unwrap()).await
    }

    /// POSTs `fields` as a form to `url`.
    pub async fn post(&self, url: &str, fields: &[(String, String)]) -> Page {
        Self::page(self.http.post(url).form(fields).send().await.unwrap()).await
    }

    /// Submits the form of `page` to `path` with extra fields.
    pub async fn submit(
        &self,
        app: &TestApp,
        page: &Page,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Page {
        self.submit_to(&app.base, page, path, extra).await
    }

    /// Like [`Browser::submit`] against any server base URL.
    pub async fn submit_to(
        &self,
        base: &str,
        page: &Page,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Page {
        let mut fields = page.hidden();
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post(&format!("{base}{path}"), &fields).await
    }

    /// Answers the consent page with `decision` (`allow` or `deny`).
    pub async fn decide(&self, app: &TestApp, consent: &Page, decision: &str) -> Page {
        self.submit(
            app,
            consent,
            "/v1/oauth/authorize",
            &[("decision", decision)],
        )
        .await
    }

    /// Submits the log-in form of `login` with an e-mail and a password.
    async fn log_in(&self, app: &TestApp, login: &Page, email: &str, password: &str) -> Page {
        let fields = [("email", email), ("password", password)];
        self.submit(app, login, "/v1/oauth/authorize/login", &fields)
            .await
    }

    /// Opens the sign-up page of `authorize_url`, signs up with `fields`,
    /// and follows the confirmation link e-mailed to the address; returns
    /// the redirect back to the authorization request.
    pub async fn sign_up(
        &self,
        app: &TestApp,
        authorize_url: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let email = fields.iter().find(|(k, _)| *k == "email").unwrap().1;
        let mails_before = app.mails_to(email).len();
        let sent = self.request_sign_up(app, authorize_url, fields).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(sent.body.contains("Check your e-mail"), "{}", sent.body);
        let mail = app.wait_for_mail(email, mails_before + 1).await;
        self.confirm_sign_up(app, &confirm_link(&mail)).await
    }

    /// Opens the sign-up page of `authorize_url` and submits `fields`.
    async fn request_sign_up(
        &self,
        app: &TestApp,
        authorize_url: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let query = authorize_url.split_once('?').unwrap().1;
        let signup = self
            .get(&app.url(&format!("/v1/oauth/authorize/signup?{query}")))
            .await;
        assert_eq!(signup.status, 200);
        assert!(signup.body.contains("name=\"name\""));
        self.submit(app, &signup, "/v1/oauth/authorize/signup", fields)
            .await
    }

    /// Opens a sign-up confirmation link and presses its button.
    async fn confirm_sign_up(&self, app: &TestApp, link: &str) -> Page {
        let page = self.get(link).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let done = self
            .submit(app, &page, "/v1/oauth/authorize/signup/confirm", &[])
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        done
    }
}

/// The sign-up confirmation link in an e-mail.
pub fn confirm_link(mail: &str) -> String {
    let at = mail
        .find("/v1/oauth/authorize/signup/confirm?token=gly_su_")
        .unwrap_or_else(|| panic!("no confirmation link in {mail}"));
    let start = mail[..at].rfind("http").unwrap();
    mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect()
}

/// An authorization request of `client_id` (state `xyz-state`), plus `extra`.
pub fn authorize_url(app: &TestApp, client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", CALLBACK);
    query
        .append_pair("scope", "user_session,profile_read")
        .append_pair("state", "xyz-state");
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    app.url(&format!("/v1/oauth/authorize?{}", query.finish()))
}

/// The query parameter `name` of a URL.
pub fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A company, a client of it, and a storefront user (signed up through
/// the pages) whose browser is logged in.
struct Flow {
    client: Client,
    company_id: i64,
    browser: Browser,
    /// The session cookie, `galley_session=...`.
    session: String,
}

/// A client of `company_id` for the authorization-code flow to [`CALLBACK`].
async fn client_for_flow(app: &TestApp, company_id: i64, public: bool, name: &str) -> Client {
    app.create_client(NewClient {
        company_id,
        name: name.into(),
        redirect_uri: CALLBACK.into(),
        scopes: "user_session,company_session,profile_read,points_read".into(),
        grant_types: Some("authorization_code,refresh_token".into()),
        public,
        signup_company: None,
    })
    .await
}

impl Flow {
    /// Opens the plain authorization request in the user's browser.
    async fn authorize(&self, app: &TestApp) -> Page {
        self.browser
            .get(&authorize_url(app, &self.client.id, &[]))
            .await
    }
}

/// The company "Shop" and its private client "Shop App".
async fn shop_app(app: &TestApp) -> (i64, Client) {
    let (company_id, _) = app.company("Shop").await;
    (
        company_id,
        client_for_flow(app, company_id, false, "Shop App").await,
    )
}

/// The "Shop" company and app, and Asha signed up and logged in.
async fn signed_up(app: &TestApp) -> Flow {
    let (company_id, client) = shop_app(app).await;
    let browser = Browser::new();
    let url = authorize_url(app, &client.id, &[]);
    let login = browser.get(&url).await;
    assert_eq!(login.status, 200);
    assert!(
        login.body.contains("name=\"email\"") && login.body.contains("name=\"password\""),
        "{}",
        login.body
    );
    let done = browser
        .sign_up(
            app,
            &url,
            &[
                ("name", "Asha"),
                ("email", "asha@shop.test"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert!(done.location().contains("/v1/oauth/authorize?"));
    let cookie = done
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("galley_session="))
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "http public URL: no Secure flag: {cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    Flow {
        client,
        company_id,
        browser,
        session,
    }
}

/// Runs authorize → consent → allow and returns the code.
/// (A consent given before is remembered: then the redirect comes at once.)
async fn consent_and_get_code(app: &TestApp, flow: &Flow, extra: &[(&str, &str)]) -> String {
    let consent = flow
        .browser
        .get(&authorize_url(app, &flow.client.id, extra))
        .await;
    let back = if consent.status == 303 {
        consent
    } else {
        assert_eq!(consent.status, 200, "{}", consent.body);
        assert!(consent.body.contains("name=\"decision\" value=\"allow\""));
        assert!(consent.body.contains("name=\"decision\" value=\"deny\""));
        flow.browser.decide(app, &consent, "allow").await
    };
    assert_eq!(back.status, 303);
    let location = back.location();
    assert!(location.starts_with(CALLBACK), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("xyz-state")
    );
    query_param(&location, "code").expect("code in the redirect")
}

/// Exchanges `code` for tokens at `path` (Basic credentials of `client`).
pub async fn exchange(
    app: &TestApp,
    client: &Client,
    code: &str,
    extra: &[(&str, &str)],
    path: &str,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
    ];
    form.extend_from_slice(extra);
    app.form(path, &form, Some(client)).await
}

both_engines!(
    sign_up_answers_alike_whether_or_not_the_address_has_an_account,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let url = authorize_url(&app, &flow.client.id, &[]);
        let fields = |email| {
            [
                ("name", "Someone"),
                ("email", email),
                ("password", "another horse"),
            ]
        };
        let taken = Browser::new()
            .request_sign_up(&app, &url, &fields("asha@shop.test"))
            .await;
        let fresh = Browser::new()
            .request_sign_up(&app, &url, &fields("new@shop.test"))
            .await;
        assert_eq!(
            (taken.status, fresh.status),
            (StatusCode::OK, StatusCode::OK)
        );
        assert!(fresh.body.contains("Check your e-mail"), "{}", fresh.body);
        assert_eq!(
            taken.body.replace("asha@shop.test", "ADDRESS"),
            fresh.body.replace("new@shop.test", "ADDRESS"),
            "the page does not tell whether the address has an account"
        );

        // Asha is told that she has an account, with the way to log in and
        // no link that would make a second one.
        let note = app.wait_for_mail("asha@shop.test", 2).await;
        assert!(note.contains("has an account already"), "{note}");
        assert!(note.contains("/v1/oauth/authorize?client_id="), "{note}");
        assert!(!note.contains("signup/confirm"), "{note}");

        // Nothing is made until the link is followed and its button
        // pressed: a mail scanner that opens the link makes no account.
        let one = "SELECT COUNT(*) FROM users";
        assert_eq!(app.count(one).await, 1);
        let link = confirm_link(&app.wait_for_mail("new@shop.test", 1).await);
        let scanned = Browser::new().get(&link).await;
        assert_eq!(scanned.status, 200);
        assert!(scanned.body.contains("new@shop.test"), "{}", scanned.body);
        assert_eq!(app.count(one).await, 1);

        // The button needs the page's CSRF token.
        let browser = Browser::new();
        let page = browser.get(&link).await;
        let confirm_path = "/v1/oauth/authorize/signup/confirm";
        let without: Vec<_> = page
            .hidden()
            .into_iter()
            .filter(|(k, _)| k != "csrf")
            .collect();
        let refused = browser.post(&app.url(confirm_path), &without).await;
        assert_eq!(refused.status, 403);
        assert_eq!(app.count(one).await, 1);

        let late = Browser::new();
        let late_page = late.get(&link).await;
        let done = browser.confirm_sign_up(&app, &link).await;
        assert!(
            done.location()
                .starts_with(&format!("/v1/oauth/authorize?client_id={}", flow.client.id)),
            "{}",
            done.location()
        );
        assert_eq!(app.count(one).await, 2);
        let consent = browser.get(&app.url(&done.location())).await;
        assert!(
            consent.body.contains("name=\"decision\""),
            "{}",
            consent.body
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.signed_up'")
                .await,
            2
        );

        // The link works once.
        let again = Browser::new().get(&link).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        assert!(again.body.contains("no longer works"), "{}", again.body);
        let replayed = late.submit(&app, &late_page, confirm_path, &[]).await;
        assert_eq!(replayed.status, StatusCode::NOT_FOUND);
        assert_eq!(app.count(one).await, 2);

        // Once sent, the link is not kept in the outbox.
        for _ in 0..100 {
            let unsent = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL";
            if app.count(unsent).await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(
            app.count("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%gly_su_%'")
                .await,
            0
        );
    }
);

both_engines!(
    sign_up_links_expire_and_one_address_gets_few_mails,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, client) = shop_app(&app).await;
        let url = authorize_url(&app, &client.id, &[]);
        let fields = [
            ("name", "Flo"),
            ("email", "flood@shop.test"),
            ("password", "correct horse"),
        ];
        for _ in 0..5 {
            let page = Browser::new().request_sign_up(&app, &url, &fields).await;
            assert_eq!(page.status, 200);
            assert!(page.body.contains("Check your e-mail"), "{}", page.body);
        }
        assert_eq!(
            app.count("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%flood@shop.test%'")
                .await,
            3,
            "three e-mails per address per 15 minutes"
        );

        // Invalid input is still said plainly (it reveals nothing).
        let bad = Browser::new()
            .request_sign_up(
                &app,
                &url,
                &[
                    ("name", "Flo"),
                    ("email", "not an address"),
                    ("password", "correct horse"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        // After 24 hours the link no longer works.
        let link = confirm_link(&app.wait_for_mail("flood@shop.test", 1).await);
        assert_eq!(Browser::new().get(&link).await.status, 200);
        app.clock.advance_secs(24 * 3600 + 1);
        let late = Browser::new().get(&link).await;
        assert_eq!(late.status, StatusCode::NOT_FOUND);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
        let unknown = Browser::new()
            .get(&app.url(&format!(
                "/v1/oauth/authorize/signup/confirm?token=gly_su_{}",
                "A".repeat(43)
            )))
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
);

both_engines!(sign_up_consent_exchange_and_refresh, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let flow = signed_up(&app).await;
    let consent = flow.authorize(&app).await;
    assert!(consent.body.contains("Shop App"));
    assert!(
        consent.body.contains("Read your profile"),
        "scopes are described in words"
    );
    let code = consent_and_get_code(&app, &flow, &pkce()).await;
    assert!(code.len() >= 43, "at least 128 bits");
    let (status, tokens) = exchange(
        &app,
        &flow.client,
        &code,
        &[("code_verifier", VERIFIER)],
        "/v1/oauth/token/user",
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "user_session profile_read");
    let (status, introspection) = app
        .form(
            "/v1/oauth/introspect",
            &[("token", tokens["access_token"].as_str().unwrap())],
            Some(&flow.client),
        )
        .await;
    assert_eq!(status, 200);
    assert!(introspection["sub"].as_str().unwrap().starts_with("user:"));
    assert_eq!(introspection["company_id"], flow.company_id);
    let (status, refreshed) = app
        .refresh(&flow.client, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{refreshed}");
    // Only the hash of the code is stored.
    let stored: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM auth_codes")
        .fetch_all(app.db.reader())
        .await
        .unwrap();
    assert_eq!(stored, vec![(galley::crypto::hash_secret(&code),)]);
});

both_engines!(
    rfc9700_exact_redirect_uri_matching_and_no_open_redirector,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, client) = shop_app(&app).await;
        let browser = Browser::new();
        let near_misses = [
            "https://app.example.com/callback/",
            "https://app.example.com/callback?x=1",
            "https://app.example.com/callbackx",
            "https://APP.example.com/callback",
            "https://evil.example.net/callback",
            "http://app.example.com/callback",
            "https://app.example.com/callback#frag",
        ];
        for redirect in near_misses {
            let url = authorize_url(&app, &client.id, &[]).replace(
                &url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
                &url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
            );
            let page = browser.get(&url).await;
            assert_eq!(page.status, 400, "{redirect}");
            assert!(
                page.headers.get(header::LOCATION).is_none(),
                "never redirects to {redirect}"
            );
            assert!(page.body.contains("redirect_uri"));
        }
        let page = browser.get(&app.url("/v1/oauth/authorize?client_id=unknown&response_type=code&redirect_uri=https%3A%2F%2Fevil.example.net%2F")).await;
        assert_eq!(page.status, 404, "no such app");
        assert!(page.headers.get(header::LOCATION).is_none());
        let page = browser
            .get(&app.url(&format!(
                "/v1/oauth/authorize?client_id={}&response_type=code",
                client.id
            )))
            .await;
        assert_eq!(
            (page.status, page.headers.get(header::LOCATION).is_none()),
            (StatusCode::BAD_REQUEST, true)
        );
        let page = browser
            .get(&format!(
                "{}&client_id=again",
                authorize_url(&app, &client.id, &[])
            ))
            .await;
        assert_eq!(page.status, 400, "repeated parameters");
    }
);

both_engines!(
    errors_after_the_redirect_check_go_back_with_state,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, client) = shop_app(&app).await;
        let browser = Browser::new();
        let base = authorize_url(&app, &client.id, &[]);
        let cases = [
            (
                base.replace("response_type=code", "response_type=token"),
                "unsupported_response_type",
            ),
            (
                base.replace("scope=user_session%2Cprofile_read", "scope=nope"),
                "invalid_scope",
            ),
            (
                base.replace("scope=user_session%2Cprofile_read", "scope=plum_pro_api"),
                "invalid_scope",
            ),
            (
                base.replace("&scope=user_session%2Cprofile_read", ""),
                "invalid_scope",
            ),
            (
                format!(
                    "{base}&code_challenge={}&code_challenge_method=plain",
                    *CHALLENGE
                ),
                "invalid_request",
            ),
            (
                format!("{base}&code_challenge=short&code_challenge_method=S256"),
                "invalid_request",
            ),
        ];
        for (url, error) in cases {
            let page = browser.get(&url).await;
            assert_eq!(page.status, 303, "{url}");
            let location = page.location();
            assert!(location.starts_with(CALLBACK), "{location}");
            assert_eq!(
                query_param(&location, "error").as_deref(),
                Some(error),
                "{url}"
            );
            assert_eq!(
                query_param(&location, "state").as_deref(),
                Some("xyz-state")
            );
        }
    }
);

both_engines!(
    deny_sends_access_denied_with_the_seed_description,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let consent = flow.authorize(&app).await;
        let back = flow.browser.decide(&app, &consent, "deny").await;
        assert_eq!(back.status, 303);
        assert_eq!(
        back.location(),
        format!("{CALLBACK}?error=access_denied&error_description=The+user+denied+the+request&state=xyz-state")
    );
    }
);

both_engines!(
    rfc9700_pkce_is_verified_and_required_for_public_apps,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        // Wrong verifier, then missing verifier: refused (each burns its code).
        let code = consent_and_get_code(&app, &flow, &pkce()).await;
        let reply = exchange(
            &app,
            &flow.client,
            &code,
            &[("code_verifier", &format!("{VERIFIER}x"))],
            "/v1/oauth/token/user",
        )
        .await;
        assert_error(&reply, 400, "invalid_grant");
        let code = consent_and_get_code(&app, &flow, &pkce()).await;
        let reply = exchange(&app, &flow.client, &code, &[], "/v1/oauth/token/user").await;
        assert_error(&reply, 400, "invalid_grant");
        // A public app must send a challenge.
        let public = client_for_flow(&app, flow.company_id, true, "Public App").await;
        let page = flow
            .browser
            .get(&authorize_url(&app, &public.id, &[]))
            .await;
        assert_eq!(
            query_param(&page.location(), "error").as_deref(),
            Some("invalid_request")
        );
        assert!(query_param(&page.location(), "error_description")
            .unwrap()
            .contains("PKCE"));
        let page = flow
            .browser
            .get(&authorize_url(&app, &public.id, &pkce()))
            .await;
        assert_eq!(
            page.status, 200,
            "with PKCE the public app gets the consent page"
        );
    }
);

both_engines!(rfc9700_no_pkce_downgrade, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let flow = signed_up(&app).await;
    let code = consent_and_get_code(&app, &flow, &[]).await;
    let reply = exchange(
        &app,
        &flow.client,
        &code,
        &[("code_verifier", VERIFIER)],
        "/v1/oauth/token/user",
    )
    .await;
    assert_error(&reply, 400, "invalid_grant");
    assert!(reply.1["error_description"]
        .as_str()
        .unwrap()
        .contains("code_challenge"));
});

both_engines!(
    rfc9700_codes_are_single_use_and_reuse_revokes_their_tokens,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let code = consent_and_get_code(&app, &flow, &[]).await;
        let (status, tokens) =
            exchange(&app, &flow.client, &code, &[], "/v1/oauth/token/user").await;
        assert_eq!(status, 200);
        let reply = exchange(&app, &flow.client, &code, &[], "/v1/oauth/token/user").await;
        assert_error(&reply, 400, "invalid_grant");
        assert_eq!(app.validate_reply(&tokens).await, 401);
        let reply = app
            .refresh(&flow.client, tokens["refresh_token"].as_str().unwrap())
            .await;
        assert_error(&reply, 400, "invalid_grant");
    }
);

both_engines!(
    codes_expire_after_five_minutes_and_bind_client_and_redirect,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let code = consent_and_get_code(&app, &flow, &[]).await;
        app.clock.advance_secs(301);
        let reply = exchange(&app, &flow.client, &code, &[], "/v1/oauth/token/user").await;
        assert_error(&reply, 400, "invalid_grant");
        assert!(reply.1["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"));

        let code = consent_and_get_code(&app, &flow, &[]).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://app.example.com/other"),
        ];
        let reply = app
            .form("/v1/oauth/token/user", &form, Some(&flow.client))
            .await;
        assert_error(&reply, 400, "invalid_grant");

        let other = client_for_flow(&app, flow.company_id, false, "Other").await;
        let code = consent_and_get_code(&app, &flow, &[]).await;
        let reply = exchange(&app, &other, &code, &[], "/v1/oauth/token/user").await;
        assert_error(&reply, 400, "invalid_grant");
        // Another client's attempt neither burns the code nor revokes
        // anything: its owner still exchanges it once.
        let (status, tokens) =
            exchange(&app, &flow.client, &code, &[], "/v1/oauth/token/user").await;
        assert_eq!(status, 200, "{tokens}");
        let reply = exchange(&app, &other, &code, &[], "/v1/oauth/token/user").await;
        assert_error(&reply, 400, "invalid_grant");
        assert_eq!(
            app.validate(tokens["access_token"].as_str().unwrap())
                .await
                .0,
            200,
            "another client presenting a used code revokes nothing"
        );
    }
);

/// `authorize_url` asking for `scope` instead of the user scopes.
fn authorize_url_for(app: &TestApp, client_id: &str, scope: &str) -> String {
    authorize_url(app, client_id, &[]).replace(
        "scope=user_session%2Cprofile_read",
        &format!(
            "scope={}",
            url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>()
        ),
    )
}

/// A client of `company_id` that may ask for the company scopes too.
async fn money_app(app: &TestApp, company_id: i64, public: bool, name: &str) -> Client {
    app.create_client(NewClient {
        company_id,
        name: name.into(),
        redirect_uri: CALLBACK.into(),
        scopes: "user_session,company_session,profile_read,plum_pro_api,xoxo_link".into(),
        grant_types: Some("authorization_code,refresh_token".into()),
        public,
        signup_company: None,
    })
    .await
}

both_engines!(
    storefront_users_cannot_grant_company_scopes,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let code = consent_and_get_code(&app, &flow, &[]).await;
        let reply = exchange(&app, &flow.client, &code, &[], "/v1/oauth/token/company").await;
        assert_error(&reply, 400, "invalid_grant");
        let money = money_app(&app, flow.company_id, false, "Shop Integration").await;
        for scope in [
            "user_session,company_session",
            "plum_pro_api",
            "xoxo_link,profile_read",
        ] {
            let page = flow
                .browser
                .get(&authorize_url_for(&app, &money.id, scope))
                .await;
            assert_eq!(page.status, 403, "{scope}: {}", page.body);
            assert!(
                page.body.contains("Only an admin of that company"),
                "{}",
                page.body
            );
            assert!(!page.body.contains("name=\"decision\""), "no consent form");
            assert!(
                page.body.contains("error=access_denied") && page.body.contains("state=xyz-state"),
                "the way back tells the app: {}",
                page.body
            );
        }
        // A forged consent POST gets no code either.
        let consent = flow.browser.get(&authorize_url(&app, &money.id, &[])).await;
        assert_eq!(consent.status, 200, "{}", consent.location());
        let mut fields = consent.hidden();
        for (k, v) in fields.iter_mut() {
            if k == "scope" {
                *v = "plum_pro_api".into();
            }
        }
        fields.push(("decision".into(), "allow".into()));
        let forged = flow
            .browser
            .post(&app.url("/v1/oauth/authorize"), &fields)
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        // Sign-up is not offered for company scopes.
        let url = authorize_url_for(&app, &money.id, "plum_pro_api");
        let query = url.split_once('?').unwrap().1;
        let signup = Browser::new()
            .get(&app.url(&format!("/v1/oauth/authorize/signup?{query}")))
            .await;
        assert_eq!(signup.status, 403);
        assert!(!signup.body.contains("name=\"password\""));
    }
);

both_engines!(
    company_admins_grant_company_scopes_for_their_company,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (shop, shop_admin) = app.company("Shop").await;
        let client = money_app(&app, shop, false, "Shop Integration").await;
        let browser = Browser::new();
        let url = authorize_url_for(&app, &client.id, "plum_pro_api,company_session");
        let login = browser.get(&url).await;
        assert_eq!(login.status, 200);
        assert!(login.body.contains("company admin"), "{}", login.body);
        assert!(
            !login.body.contains("Create an account"),
            "no sign-up for admins"
        );
        // A storefront password does not open the admin path.
        let wrong = browser
            .log_in(&app, &login, &shop_admin, "not-the-password")
            .await;
        assert_eq!(wrong.status, 401);
        let back = browser
            .log_in(&app, &login, &shop_admin, "password123")
            .await;
        assert_eq!(back.status, 303, "{}", back.body);
        let consent = browser.get(&url).await;
        assert_eq!(consent.status, 200, "{}", consent.body);
        assert!(
            consent
                .body
                .contains("Place orders charged to Shop&#x27;s balance")
                || consent
                    .body
                    .contains("Place orders charged to Shop's balance"),
            "{}",
            consent.body
        );
        let back = browser.decide(&app, &consent, "allow").await;
        let code = query_param(&back.location(), "code").expect("a code");
        let (status, tokens) = exchange(&app, &client, &code, &[], "/v1/oauth/token/company").await;
        assert_eq!(status, 200, "{tokens}");
        let (status, balance) = app
            .api(
                tokens["access_token"].as_str().unwrap(),
                serde_json::json!({"query": "plumProAPI.query.getBalance", "variables": {"data": {}}}),
            )
            .await;
        assert_eq!(status, 200, "{balance}");
        let (_, info) = app
            .form(
                "/v1/oauth/introspect",
                &[("token", tokens["access_token"].as_str().unwrap())],
                Some(&client),
            )
            .await;
        assert_eq!(info["company_id"], shop);
        assert!(
            info["sub"].as_str().unwrap().starts_with("admin:"),
            "{info}"
        );
        // Admins are asked every time: no remembered consent for money.
        assert_eq!(browser.get(&url).await.status, 200);

        // An admin of another company cannot let Shop's private app act on
        // their company.
        let (_, other_admin) = app.company("Other").await;
        let stranger = Browser::new();
        let login = stranger.get(&url).await;
        stranger
            .log_in(&app, &login, &other_admin, "password123")
            .await;
        let page = stranger.get(&url).await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(
            page.body.contains("belongs to another company"),
            "{}",
            page.body
        );
    }
);

both_engines!(
    an_approved_public_app_acts_on_the_granting_admins_company,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (maker, _) = app.company("Maker").await;
        let (buyer, buyer_admin) = app.company("Buyer").await;
        let client = money_app(&app, maker, true, "Marketplace").await;
        galley::domain::clients::approve(
            &app.db,
            &*app.clock,
            &galley::domain::Actor::Cli,
            &client.id,
        )
        .await
        .unwrap();
        let browser = Browser::new();
        let url = authorize_url(&app, &client.id, &pkce())
            .replace("scope=user_session%2Cprofile_read", "scope=plum_pro_api");
        let login = browser.get(&url).await;
        browser
            .log_in(&app, &login, &buyer_admin, "password123")
            .await;
        let consent = browser.get(&url).await;
        assert!(consent.body.contains("Buyer"), "{}", consent.body);
        let back = browser.decide(&app, &consent, "allow").await;
        let code = query_param(&back.location(), "code").expect("a code");
        let (status, tokens) = exchange(
            &app,
            &client,
            &code,
            &[("code_verifier", VERIFIER)],
            "/v1/oauth/token/user",
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        let (_, info) = app
            .form(
                "/v1/oauth/introspect",
                &[("token", tokens["access_token"].as_str().unwrap())],
                Some(&client),
            )
            .await;
        assert_eq!(
            info["company_id"], buyer,
            "the granting admin's company, never another"
        );
    }
);

both_engines!(
    consent_is_remembered_for_the_same_scopes,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        consent_and_get_code(&app, &flow, &[]).await;
        let again = flow.authorize(&app).await;
        assert_eq!(again.status, 303, "no second consent page");
        assert!(query_param(&again.location(), "code").is_some());
        let wider = authorize_url(&app, &flow.client.id, &[]).replace(
            "scope=user_session%2Cprofile_read",
            "scope=user_session%2Cpoints_read",
        );
        assert_eq!(
            flow.browser.get(&wider).await.status,
            200,
            "new scopes ask again"
        );
    }
);

both_engines!(
    login_checks_password_and_is_rate_limited,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let browser = Browser::new();
        let url = authorize_url(&app, &flow.client.id, &[]);
        let login = browser.get(&url).await;
        let wrong = browser
            .log_in(&app, &login, "asha@shop.test", "wrong password")
            .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("not right"));
        let right = browser
            .log_in(&app, &login, "ASHA@shop.test", "correct horse")
            .await;
        assert_eq!(right.status, 303, "{}", right.body);
        // Ten failures (one above, nine here) from one address close the
        // account to that address for the window, even for the right
        // password...
        let attacker = Browser::new();
        let login = attacker.get(&url).await;
        for _ in 0..9 {
            let page = attacker
                .log_in(&app, &login, "asha@shop.test", "guess guess")
                .await;
            assert_eq!(page.status, 401);
        }
        let page = attacker
            .log_in(&app, &login, "asha@shop.test", "correct horse")
            .await;
        assert_eq!(page.status, 429);
        // ...but not to the user elsewhere: no lock-out anyone can cause.
        let elsewhere = Browser::from_address([127, 0, 0, 2]);
        let login_elsewhere = elsewhere.get(&url).await;
        let page = elsewhere
            .log_in(&app, &login_elsewhere, "asha@shop.test", "correct horse")
            .await;
        assert_eq!(page.status, 303, "the right password from another address");
        app.clock.advance_secs(15 * 60);
        let page = attacker
            .log_in(&app, &login, "asha@shop.test", "correct horse")
            .await;
        assert_eq!(page.status, 303, "the next window is open again");
    }
);

both_engines!(
    parallel_guesses_are_counted_before_they_are_checked,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let attacker = Browser::from_address([127, 0, 0, 3]);
        let url = authorize_url(&app, &flow.client.id, &[]);
        let login = attacker.get(&url).await;
        let guesses = (0..60).map(|i| {
            let (attacker, login, app) = (&attacker, &login, &app);
            async move {
                attacker
                    .log_in(app, login, "asha@shop.test", &format!("guess {i}"))
                    .await
                    .status
                    .as_u16()
            }
        });
        let statuses = futures::future::join_all(guesses).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(checked + refused, 60, "{statuses:?}");
        assert!(checked <= 10, "at most 10 passwords checked, got {checked}");

        // A hundred simultaneous sign-ups from one address start at most 50
        // sign-ups.
        let crowd = Browser::from_address([127, 0, 0, 4]);
        let query = url.split_once('?').unwrap().1.to_string();
        let signup = crowd
            .get(&app.url(&format!("/v1/oauth/authorize/signup?{query}")))
            .await;
        let sign_ups = (0..100).map(|i| {
            let (crowd, signup, app) = (&crowd, &signup, &app);
            async move {
                let fields = [
                    ("name", "Bot".to_string()),
                    ("email", format!("bot{i}@shop.test")),
                    ("password", "correct horse".to_string()),
                ];
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                crowd
                    .submit(app, signup, "/v1/oauth/authorize/signup", &fields)
                    .await
                    .status
                    .as_u16()
            }
        });
        let statuses = futures::future::join_all(sign_ups).await;
        let created = app
            .count("SELECT COUNT(*) FROM signup_confirmations WHERE email LIKE 'bot%'")
            .await;
        assert!(created <= 50, "{created} sign-ups: {statuses:?}");
        assert!(statuses.iter().filter(|s| **s == 429).count() >= 50);
    }
);

both_engines!(forms_need_a_matching_csrf_token, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let flow = signed_up(&app).await;
    let consent = flow.authorize(&app).await;
    let mut fields: Vec<(String, String)> = consent
        .hidden()
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .collect();
    fields.push(("decision".into(), "allow".into()));
    assert_eq!(
        flow.browser
            .post(&app.url("/v1/oauth/authorize"), &fields)
            .await
            .status,
        403
    );
    fields.push(("csrf".into(), "0".repeat(32)));
    let page = flow
        .browser
        .post(&app.url("/v1/oauth/authorize"), &fields)
        .await;
    assert_eq!(page.status, 403);
    assert!(page.headers.get(header::LOCATION).is_none());
    let (nonce, signature) = consent
        .csrf()
        .split_once('.')
        .map(|(n, s)| (n.len(), s.len()))
        .unwrap();
    assert_eq!(
        (nonce, signature),
        (32, 64),
        "128-bit nonce and its HMAC-SHA256"
    );

    // A cookie and form field that agree are not enough: the server must
    // have made the token, for this session.
    let post_with = |token: String| {
        let mut fields: Vec<(String, String)> = consent
            .hidden()
            .into_iter()
            .filter(|(k, _)| k != "csrf")
            .collect();
        fields.push(("csrf".into(), token.clone()));
        fields.push(("decision".into(), "allow".into()));
        let cookie = format!("{}; galley_csrf={token}", flow.session);
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        let url = app.url("/v1/oauth/authorize");
        async move {
            http.post(url)
                .header("cookie", cookie)
                .form(&fields)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        post_with("0123456789abcdef0123456789abcdef".into()).await,
        403,
        "forged"
    );
    // A real token made for another browser without a session (an
    // attacker's, planted in the victim's browser) does not pass either.
    let stranger = Browser::new();
    let planted = stranger
        .get(&authorize_url(&app, &flow.client.id, &[]))
        .await
        .csrf();
    assert_eq!(post_with(planted).await, 403, "made for no session");
    assert_eq!(
        post_with(consent.csrf()).await,
        303,
        "the session's own token"
    );
});

both_engines!(
    rfc9700_no_cors_on_the_authorization_endpoint,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let url = authorize_url(&app, &flow.client.id, &[]);
        let response = app
            .http
            .get(&url)
            .header("Origin", "https://evil.example.net")
            .send()
            .await
            .unwrap();
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", "https://evil.example.net")
            .header("Access-Control-Request-Method", "GET")
            .send()
            .await
            .unwrap();
        for answer in [&response, &preflight] {
            assert!(answer
                .headers()
                .get("access-control-allow-origin")
                .is_none());
        }
        assert_eq!(
            response.headers()["x-frame-options"],
            "DENY",
            "pages cannot be framed (clickjacking)"
        );
    }
);

both_engines!(
    rfc9700_no_password_grant_and_no_implicit_flow,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let form = [
            ("grant_type", "password"),
            ("username", "asha@shop.test"),
            ("password", "correct horse"),
        ];
        let reply = app
            .form("/v1/oauth/token/user", &form, Some(&flow.client))
            .await;
        assert_error(&reply, 400, "unsupported_grant_type");
        let page = flow
            .browser
            .get(
                &authorize_url(&app, &flow.client.id, &[])
                    .replace("response_type=code", "response_type=token"),
            )
            .await;
        assert_eq!(
            query_param(&page.location(), "error").as_deref(),
            Some("unsupported_response_type")
        );
    }
);

both_engines!(hostile_app_names_are_shown_as_text, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let (company_id, _) = app.company("Shop").await;
    let client = client_for_flow(&app, company_id, false, "<script>alert(1)</script>").await;
    let hostile_state = url::form_urlencoded::byte_serialize(b"\"><img src=x onerror=alert(1)>")
        .collect::<String>();
    let page = Browser::new()
        .get(
            &authorize_url(&app, &client.id, &[])
                .replace("state=xyz-state", &format!("state={hostile_state}")),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<img src=x"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"));
});

both_engines!(secure_cookies_on_https_public_urls, |engine| async move {
    let port = free_port();
    let app = TestApp::spawn_with(engine, |c| {
        c.listen = format!("127.0.0.1:{port}");
        c.public_url = Some(format!("https://127.0.0.1:{port}"));
    })
    .await;
    let (_, client) = shop_app(&app).await;
    let url = authorize_url(&app, &client.id, &[]).replace("https://", "http://");
    let page = Browser::new().get(&url).await;
    let cookie = page.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("galley_csrf=")
            && cookie.contains("Secure")
            && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let _ = json!({});
});

both_engines!(
    public_apps_sign_users_up_in_their_signup_company_and_need_approval,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (owner, _) = app.company("Vendor").await;
        let (customer, _) = app.company("Customer").await;
        let client = app
            .create_client(NewClient {
                company_id: owner,
                name: "Marketplace App".into(),
                redirect_uri: CALLBACK.into(),
                scopes: "user_session,profile_read".into(),
                grant_types: Some("authorization_code,refresh_token".into()),
                public: true,
                signup_company: Some(customer),
            })
            .await;
        let browser = Browser::new();
        let url = authorize_url(&app, &client.id, &pkce());
        browser
            .sign_up(
                &app,
                &url,
                &[
                    ("name", "Cora"),
                    ("email", "cora@customer.test"),
                    ("password", "correct horse"),
                ],
            )
            .await;
        let consent = browser.get(&url).await;
        let back = browser.decide(&app, &consent, "allow").await;
        let code = query_param(&back.location(), "code").unwrap();
        let (status, tokens) = exchange(
            &app,
            &client,
            &code,
            &[("code_verifier", VERIFIER)],
            "/v1/oauth/token/user",
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        let (_, info) = app
            .form(
                "/v1/oauth/introspect",
                &[("token", tokens["access_token"].as_str().unwrap())],
                Some(&client),
            )
            .await;
        assert_eq!(
            info["company_id"], customer,
            "the user was signed up in the app's sign-up company"
        );

        // A user of a third company, logged in through their own company's
        // app, is asked to log in here until the operator approves the app.
        let flow = signed_up(&app).await;
        let page = flow.browser.get(&url).await;
        assert!(
            page.body.contains("name=\"password\""),
            "not approved: the log-in page"
        );
        galley::domain::clients::approve(
            &app.db,
            &*app.clock,
            &galley::domain::Actor::Cli,
            &client.id,
        )
        .await
        .unwrap();
        let page = flow.browser.get(&url).await;
        assert!(
            page.body.contains("name=\"decision\""),
            "approved: straight to consent"
        );
        assert!(
            galley::domain::clients::approve(
                &app.db,
                &*app.clock,
                &galley::domain::Actor::Cli,
                &flow.client.id
            )
            .await
            .is_err(),
            "private apps need no approval"
        );
    }
);

both_engines!(
    migration_6_revokes_user_tokens_that_hold_company_scopes,
    |engine| async move {
        let test_db = TestDb::new(engine).await;
        let db = galley::store::Db::connect(&test_db.url, 2).await.unwrap();
        galley::store::migrate::run_through(&db, 5).await.unwrap();
        let clock = galley::clock::ManualClock::new();
        let company = galley::domain::companies::create(
            &db,
            &clock,
            &galley::domain::Actor::Cli,
            galley::domain::companies::NewCompany {
                name: "Old Shop".into(),
                base_currency: "INR".into(),
                country: None,
                admin_email: "admin@old-shop.test".into(),
                admin_password: galley::config::Redacted("password123".into()),
            },
        )
        .await
        .unwrap();
        let client = galley::domain::clients::create(
            &db,
            &clock,
            &galley::domain::Actor::Cli,
            NewClient {
                company_id: company.company_id,
                name: "Old App".into(),
                redirect_uri: CALLBACK.into(),
                scopes: "user_session,profile_read,plum_pro_api".into(),
                grant_types: None,
                public: false,
                signup_company: None,
            },
        )
        .await
        .unwrap();
        for (hash, subject, scopes) in [
            ("h1", "user:1", "user_session plum_pro_api"),
            ("h2", "user:1", "user_session profile_read"),
            ("h3", "admin:1", "plum_pro_api"),
        ] {
            sqlx::query(
                "INSERT INTO tokens (token_hash, kind, token_type, client_id, company_id, subject, scopes, \
                 family_id, grant_type, expires_at, created_at) VALUES ($1, 'access', 'user', $2, $3, $4, $5, $1, \
                 'authorization_code', $6, 0)",
            )
            .bind(hash)
            .bind(&client.client_id)
            .bind(company.company_id)
            .bind(subject)
            .bind(scopes)
            .bind(i64::MAX / 2)
            .execute(db.writer())
            .await
            .unwrap();
        }
        galley::store::migrate::run(&db).await.unwrap();
        let revoked: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT token_hash, revoked_at FROM tokens ORDER BY token_hash")
                .fetch_all(db.reader())
                .await
                .unwrap();
        let revoked: Vec<(String, bool)> =
            revoked.into_iter().map(|(h, r)| (h, r.is_some())).collect();
        assert_eq!(
            revoked,
            vec![
                ("h1".into(), true),
                ("h2".into(), false),
                ("h3".into(), false)
            ],
            "only the user's token with a company scope"
        );
        db.close().await;
    }
);

both_engines!(
    guess_limits_and_csrf_keys_hold_across_two_nodes,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let flow = signed_up(&app).await;
        let (_node, second) = crate::concurrency::start_node(&app.test_db.url, &app.http).await;
        let attacker = Browser::from_address([127, 0, 0, 5]);
        // The form of one node passes on the other: one CSRF key, shared
        // through the database.
        let login = attacker
            .get(&authorize_url(&app, &flow.client.id, &[]))
            .await;
        let guesses = (0..60).map(|i| {
            let (attacker, login) = (&attacker, &login);
            let base = if i % 2 == 0 {
                app.base.clone()
            } else {
                second.clone()
            };
            async move {
                let password = format!("guess {i}");
                let fields = [("email", "asha@shop.test"), ("password", password.as_str())];
                attacker
                    .submit_to(&base, login, "/v1/oauth/authorize/login", &fields)
                    .await
                    .status
                    .as_u16()
            }
        });
        let statuses = futures::future::join_all(guesses).await;
        let checked = statuses.iter().filter(|s| **s == 401).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(checked + refused, 60, "{statuses:?}");
        assert!(
            (1..=10).contains(&checked),
            "at most 10 checked over both nodes, got {checked}"
        );
    }
);
