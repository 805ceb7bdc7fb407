//! Every page route of the portal, the developer hub, the operator pages
//! and the sign-up confirmation, with hostile input in the path, the query
//! and the form (with a valid CSRF token, so the input reaches the
//! handler): the answer is never a 5xx. The JSON API and the
//! authorization pages get the same treatment from schemathesis
//! (`fuzz.rs`), over the OpenAPI document.

use reqwest::StatusCode;

use crate::{authorize::Browser, both_engines, common::*, portal::admin_browser};

/// Values no form expects.
fn hostile() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "-1".into(),
        "0".into(),
        "99999999999999999999999999".into(),
        "1e308".into(),
        "NaN".into(),
        "\u{0}".into(),
        "<script>alert(1)</script>".into(),
        "'; DROP TABLE clients; --".into(),
        "ü🎁\u{202e}".into(),
        "a".repeat(3_000),
        "2026-02-30".into(),
        "../../etc/passwd".into(),
    ]
}

/// Path segments in place of ids.
const IDS: [&str; 6] = [
    "0",
    "-5",
    "99999999999999999999",
    "abc",
    "%00",
    "1%20OR%201%3D1",
];

const GETS: [&str; 12] = [
    "/admin/campaigns/{id}",
    "/admin/settings/api?rotate={v}&generate={v}&done={v}",
    "/admin/balance?from={v}&to={v}&kind={v}",
    "/admin/balance/ledger.csv?from={v}&to={v}&kind={v}",
    "/admin/reports/orders?from={v}&to={v}&status={v}&after={v}&before={v}",
    "/admin/reports/links?from={v}&to={v}&status={v}&campaign={v}&batch={v}&after={v}",
    "/admin/reports/links.csv?status={v}&campaign={v}&batch={v}",
    "/admin/audit?before={v}",
    "/admin/login?next={v}",
    "/developers/apps/{id}?delete={v}",
    "/developers/apps/{id}/oauth?refresh={v}",
    "/v1/oauth/authorize/signup/confirm?token={v}",
];

const POSTS: [&str; 17] = [
    "/admin/reports/orders/{id}/cancel",
    "/admin/settings/api/clients",
    "/admin/settings/api/{id}/token",
    "/admin/settings/api/{id}/rotate",
    "/admin/settings/api/{id}/grants/{id}/revoke",
    "/admin/admins",
    "/admin/admins/{id}/remove",
    "/admin/campaigns",
    "/admin/campaigns/{id}/edit",
    "/admin/campaigns/{id}/links",
    "/developers/apps",
    "/developers/apps/{id}",
    "/developers/apps/{id}/access",
    "/developers/apps/{id}/secret",
    "/developers/apps/{id}/try",
    "/operator/apps/{id}/reject",
    "/v1/oauth/authorize/signup/confirm",
];

/// The form fields any of the pages reads.
const FIELDS: [&str; 18] = [
    "name",
    "email",
    "password",
    "role",
    "scope",
    "visibility",
    "callback",
    "redirect_uri",
    "description",
    "homepage_url",
    "logo_url",
    "grace_hours",
    "quantity",
    "expiry",
    "denomination",
    "currency",
    "product",
    "token",
];

both_engines!(
    no_page_answers_a_server_error_for_hostile_input,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, email) = app.company("Acme").await;
        app.fund(company_id, "100").await;
        let admin = admin_browser(&app, &email).await;
        let encode =
            |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let mut seen = 0;
        let check = |path: &str, status: StatusCode| {
            assert!(!status.is_server_error(), "{path}: {status}");
        };
        for value in hostile() {
            let v = encode(&value);
            for id in IDS {
                for route in GETS {
                    let path = route.replace("{id}", id).replace("{v}", &v);
                    check(&path, admin.get(&app.url(&path)).await.status);
                    seen += 1;
                }
            }
            let csrf = admin.get(&app.url("/admin")).await.csrf();
            for id in IDS {
                for route in POSTS {
                    let path = route.replace("{id}", id);
                    let mut form: Vec<(String, String)> = FIELDS
                        .iter()
                        .map(|f| (f.to_string(), value.clone()))
                        .collect();
                    form.push(("csrf".into(), csrf.clone()));
                    check(&path, admin.post(&app.url(&path), &form).await.status);
                    seen += 1;
                }
            }
        }
        assert_eq!(
            seen,
            hostile().len() * IDS.len() * (GETS.len() + POSTS.len())
        );
        // Still logged in, nothing broken: the overview answers.
        assert_eq!(admin.get(&app.url("/admin")).await.status, StatusCode::OK);
        // And the log-in pages themselves.
        for value in hostile() {
            let browser = Browser::new();
            for (page, action) in [
                ("/admin/login", "/admin/login"),
                ("/operator/login", "/operator/login"),
            ] {
                let form = browser.get(&app.url(page)).await;
                let done = browser
                    .submit(
                        &app,
                        &form,
                        action,
                        &[("email", &value), ("password", &value), ("next", &value)],
                    )
                    .await;
                check(action, done.status);
            }
        }
    }
);
