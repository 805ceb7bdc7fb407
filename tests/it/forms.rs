//! Every form of the pages refuses a post without its CSRF token and with
//! a wrong one, and changes nothing then: log-in, sign-up and consent
//! (authorization pages), choosing a voucher and e-mailing it (reward-link
//! page). Also the session cookie's flags on an https public URL.
//!
//! Cookies are handled by hand here (no cookie store), so that each post
//! carries exactly the cookies a test means it to.

use reqwest::{header, redirect::Policy, Response};
use serde_json::json;

use crate::{both_engines, common::*};

const CALLBACK: &str = "https://app.example.com/callback";

/// A client that follows no redirects and keeps no cookies.
fn plain() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The value of the cookie `name` a response sets, if any.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    set_cookie_header(response, name).map(|c| {
        c.split(';')
            .next()
            .unwrap()
            .trim_start_matches(&format!("{name}="))
            .to_string()
    })
}

/// The whole `Set-Cookie` header of the cookie `name`, if any.
fn set_cookie_header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// A page's form: its hidden fields (the CSRF token among them, unescaped).
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = html;
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

/// A form as a page served it: its hidden fields and the browser's cookies
/// then (`name=value; ...`, the page's CSRF cookie included).
struct Form {
    fields: Vec<(String, String)>,
    cookies: String,
}

impl Form {
    /// GETs `url` with `cookies`; the form of the page (200 expected).
    async fn open(http: &reqwest::Client, url: &str, cookies: &str) -> Form {
        let mut request = http.get(url);
        if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let csrf = set_cookie(&response, "galley_csrf");
        let html = response.text().await.unwrap();
        let fields = hidden_fields(&html);
        let cookies = match csrf {
            Some(csrf) if cookies.is_empty() => format!("galley_csrf={csrf}"),
            Some(csrf) => format!("{cookies}; galley_csrf={csrf}"),
            None => cookies.to_string(),
        };
        assert!(
            fields.iter().any(|(k, _)| k == "csrf"),
            "{url} has a CSRF field: {html}"
        );
        Form { fields, cookies }
    }

    /// POSTs the form to `url` with `extra` fields; `csrf` decides the
    /// token: `Token::Own` as served, `Token::Missing`, or `Token::Forged`
    /// (the same made-up value in cookie and field: a double submit the
    /// server did not sign).
    async fn post(
        &self,
        http: &reqwest::Client,
        url: &str,
        extra: &[(&str, &str)],
        csrf: Token,
    ) -> Response {
        const FORGED: &str = "00000000000000000000000000000000.0000000000000000000000000000000000000000000000000000000000000000";
        let mut fields: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|(k, _)| k != "csrf" || csrf == Token::Own)
            .cloned()
            .collect();
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut cookies = self.cookies.clone();
        if csrf == Token::Forged {
            fields.push(("csrf".into(), FORGED.into()));
            let forged = format!("galley_csrf={FORGED}");
            cookies = cookies
                .split("; ")
                .filter(|c| !c.is_empty() && !c.starts_with("galley_csrf="))
                .chain([forged.as_str()])
                .collect::<Vec<_>>()
                .join("; ");
        }
        http.post(url)
            .header(header::COOKIE, cookies)
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// Asserts that a post without the token and one with a forged token
    /// are both refused (403, no redirect, no session).
    async fn assert_refused(&self, http: &reqwest::Client, url: &str, extra: &[(&str, &str)]) {
        for csrf in [Token::Missing, Token::Forged] {
            let response = self.post(http, url, extra, csrf).await;
            assert_eq!(response.status(), 403, "{url} {csrf:?}");
            assert!(response.headers().get(header::LOCATION).is_none());
            assert!(set_cookie(&response, "galley_session").is_none());
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Own,
    Missing,
    Forged,
}

/// An authorization request of `client_id` for `scope`.
fn authorize_url(app: &TestApp, client_id: &str, scope: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", scope)
        .append_pair("state", "s")
        .finish();
    app.url(&format!("/v1/oauth/authorize?{query}"))
}

/// Logs the company's admin in through the log-in form (company scopes);
/// returns the browser's cookies with the session.
async fn admin_session(app: &TestApp, http: &reqwest::Client, s: &Setup) -> String {
    let url = authorize_url(app, &s.client.id, "company_session plum_pro_api");
    let login = Form::open(http, &url, "").await;
    let response = login
        .post(
            http,
            &app.url("/v1/oauth/authorize/login"),
            &[("email", &s.email), ("password", "password123")],
            Token::Own,
        )
        .await;
    assert_eq!(response.status(), 303);
    let session = set_cookie(&response, "galley_session").expect("a session cookie");
    format!("galley_session={session}")
}

both_engines!(
    // Guards: `session::csrf_ok` at each form. With the reward-link pages'
    // check removed (`web::redeem`), step 4 failed (a post without a token
    // redeemed the link); with the signature check dropped from `csrf_ok`
    // (an equal cookie and field enough), step 1 failed (a forged pair got
    // the password checked).
    every_form_refuses_a_missing_or_forged_csrf_token,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let http = plain();
        let s = app
            .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], "", "10000")
            .await;
        let (shop, _) = app.company("Shop").await;
        let storefront = app
            .create_client(galley::domain::clients::NewClient {
                company_id: shop,
                name: "Shop App".into(),
                redirect_uri: CALLBACK.into(),
                scopes: "user_session,profile_read".into(),
                grant_types: Some("authorization_code,refresh_token".into()),
                public: false,
                signup_company: None,
            })
            .await;
        let user_url = authorize_url(&app, &storefront.id, "user_session profile_read");

        // 1. Log-in: refused before the password is looked at; the real
        // token gets the password checked (401, a wrong password).
        let login = Form::open(&http, &user_url, "").await;
        let login_at = app.url("/v1/oauth/authorize/login");
        let fields = [("email", "asha@shop.test"), ("password", "a guess")];
        login.assert_refused(&http, &login_at, &fields).await;
        let checked = login.post(&http, &login_at, &fields, Token::Own).await;
        assert_eq!(checked.status(), 401);

        // 2. Sign-up: nothing is created or sent.
        let query = user_url.split_once('?').unwrap().1;
        let signup_page = app.url(&format!("/v1/oauth/authorize/signup?{query}"));
        let signup = Form::open(&http, &signup_page, "").await;
        let signup_at = app.url("/v1/oauth/authorize/signup");
        let fields = [
            ("name", "Asha"),
            ("email", "asha@shop.test"),
            ("password", "correct horse"),
        ];
        signup.assert_refused(&http, &signup_at, &fields).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);

        // 3. Consent: no code is issued.
        let session = admin_session(&app, &http, &s).await;
        let consent_url = authorize_url(&app, &s.client.id, "company_session plum_pro_api");
        let consent = Form::open(&http, &consent_url, &session).await;
        let consent_at = app.url("/v1/oauth/authorize");
        consent
            .assert_refused(&http, &consent_at, &[("decision", "allow")])
            .await;
        assert_eq!(app.count("SELECT COUNT(*) FROM auth_codes").await, 0);
        let allowed = consent
            .post(&http, &consent_at, &[("decision", "allow")], Token::Own)
            .await;
        assert_eq!(allowed.status(), 303);
        assert!(allowed.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("code="));

        // 4. Choosing a voucher on a reward-link page: the link stays
        // unredeemed.
        let campaign = app
            .campaign(s.company_id, "Thanks", "500", "INR", &[104])
            .await;
        let (status, body) = app
            .api(
                &s.tokens.access,
                json!({"tag": "xoxo_link", "query": "xoxo_link.mutation.generateLink",
                       "variables": {"data": {"campaignId": campaign, "links_quantity": 1, "link_expiry": app.expiry(3)}}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let link = body["data"]["generateLink"]["links"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let page = Form::open(&http, &link, "").await;
        page.assert_refused(&http, &link, &[("product_id", "104")])
            .await;
        assert_eq!(app.link(&link).await.status, "created");
        assert_eq!(
            page.post(&http, &link, &[("product_id", "104")], Token::Own)
                .await
                .status(),
            303
        );
        assert_eq!(app.link(&link).await.status, "redeemed");

        // 5. E-mailing the voucher: nothing is queued.
        let queued = || app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'order_email'");
        let page = Form::open(&http, &link, "").await;
        let email_at = format!("{link}/email");
        page.assert_refused(&http, &email_at, &[("email", "me@x.test")])
            .await;
        assert_eq!(queued().await, 0);
        assert_eq!(
            page.post(&http, &email_at, &[("email", "me@x.test")], Token::Own)
                .await
                .status(),
            200
        );
        assert_eq!(queued().await, 1);
    }
);

both_engines!(
    session_cookies_are_secure_on_an_https_public_url,
    |engine| async move {
        // Served over http here (TLS ends in front of Galley), announced as
        // https: the cookies are marked Secure.
        let port = free_port();
        let app = TestApp::spawn_with(engine, |c| {
            c.listen = format!("127.0.0.1:{port}");
            c.public_url = Some(format!("https://127.0.0.1:{port}"))
        })
        .await;
        let http = plain();
        let s = app.setup().await;
        let on_http = |url: String| url.replace("https://", "http://");
        let url = on_http(authorize_url(
            &app,
            &s.client.id,
            "company_session plum_pro_api",
        ));
        let login = Form::open(&http, &url, "").await;
        let response = login
            .post(
                &http,
                &on_http(app.url("/v1/oauth/authorize/login")),
                &[("email", &s.email), ("password", "password123")],
                Token::Own,
            )
            .await;
        assert_eq!(response.status(), 303);
        let cookie = set_cookie_header(&response, "galley_session").expect("a session cookie");
        for flag in ["Secure", "HttpOnly", "SameSite=Lax"] {
            assert!(cookie.contains(flag), "{flag}: {cookie}");
        }
    }
);
