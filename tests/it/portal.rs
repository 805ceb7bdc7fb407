//! The admin portal at the HTTP level: log-in and sessions (log-out,
//! log-out everywhere, idle and absolute timeouts, limits across nodes),
//! Settings → API end to end (Generate Client ID, the secret at the token
//! endpoint, Generate Token, rotation, revocation), the balance page and
//! its CSV, admins and roles, the audit log, CSRF on every form, and
//! another company's objects answering 404.

use reqwest::{header, StatusCode};
use serde_json::json;

use crate::{
    authorize::{Browser, Page},
    both_engines,
    common::*,
    concurrency::start_node,
};

/// The password `TestApp::company` gives its super admin.
pub const PASSWORD: &str = "password123";

/// The text of the element `<code id="{id}" ...>` on a page.
pub fn code_text(page: &Page, id: &str) -> String {
    let start = page
        .body
        .find(&format!("<code id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {}", page.body));
    let rest = &page.body[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</code>").unwrap();
    rest[open..close].trim().to_string()
}

/// Logs `browser` in to the portal of `base`; returns the answer.
pub async fn log_in_on(browser: &Browser, base: &str, email: &str, password: &str) -> Page {
    let form = browser.get(&format!("{base}/admin/login")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    browser
        .submit_to(
            base,
            &form,
            "/admin/login",
            &[("email", email), ("password", password)],
        )
        .await
}

/// A browser logged in to the portal as `email`.
pub async fn admin_browser(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new();
    let done = log_in_on(&browser, &app.base, email, PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/admin");
    browser
}

/// POSTs a portal form: `fields` plus the CSRF token of the page at `from`.
pub async fn post(
    app: &TestApp,
    browser: &Browser,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let page = browser.get(&app.url(from)).await;
    assert_eq!(page.status, StatusCode::OK, "{from}: {}", page.body);
    let mut form = vec![("csrf".to_string(), page.csrf())];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    browser.post(&app.url(path), &form).await
}

/// Generates a Client ID on Settings → API; returns it with its secret.
async fn generate_client(app: &TestApp, browser: &Browser, scopes: &[&str]) -> Client {
    let dialog = browser
        .get(&app.url("/admin/settings/api?generate=1"))
        .await;
    assert!(dialog.body.contains("role=\"dialog\""), "{}", dialog.body);
    assert!(
        dialog.body.contains("value=\"plum_pro_api\" checked"),
        "{}",
        dialog.body
    );
    let mut fields = vec![("name", "Rewards API")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let shown = post(
        app,
        browser,
        "/admin/settings/api",
        "/admin/settings/api/clients",
        &fields,
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    Client {
        id: code_text(&shown, "client-id"),
        secret: code_text(&shown, "secret"),
    }
}

both_engines!(
    settings_api_from_client_id_to_rotated_secret,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, email) = app.company("Acme").await;
        app.fund(company_id, "1000").await;

        // Without a session the portal sends the browser to its log-in page,
        // which sends it back afterwards.
        let browser = Browser::new();
        let away = browser.get(&app.url("/admin/settings/api")).await;
        assert_eq!(away.status, StatusCode::SEE_OTHER);
        assert_eq!(
            away.location(),
            "/admin/login?next=%2Fadmin%2Fsettings%2Fapi"
        );
        let login = browser.get(&app.url(&away.location())).await;
        let wrong = browser
            .submit(
                &app,
                &login,
                "/admin/login",
                &[("email", &email), ("password", "not it at all")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("not right"), "{}", wrong.body);
        let done = browser
            .submit(
                &app,
                &login,
                "/admin/login",
                &[("email", &email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(done.location(), "/admin/settings/api");
        let cookie = done.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            cookie.starts_with("galley_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        // Generate Client ID: the secret is shown once, then masked.
        let client = generate_client(&app, &browser, &["plum_pro_api"]).await;
        assert!(client.secret.starts_with("gly_cs_"), "{}", client.secret);
        let settings = browser.get(&app.url("/admin/settings/api")).await;
        assert!(settings.body.contains(&client.id));
        assert!(
            !settings.body.contains(&client.secret),
            "the secret is shown once"
        );

        // Generate Token: an access and a refresh token that work.
        let path = format!("/admin/settings/api/{}/token", client.id);
        let tokens = post(&app, &browser, "/admin/settings/api", &path, &[]).await;
        assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
        let access = code_text(&tokens, "access");
        let refresh = code_text(&tokens, "refresh");
        assert!(access.starts_with("gly_at_") && refresh.starts_with("gly_rt_"));
        assert!(
            tokens.body.contains("rotate"),
            "the page says that refresh rotates"
        );
        let balance = json!({"query": "plumProAPI.query.getBalance", "tag": "plumProAPI", "variables": {"data": {}}});
        let (status, reply) = app.api(&access, balance.clone()).await;
        assert_eq!(status, 200, "{reply}");
        let (status, refreshed) = app.refresh(&client, &refresh).await;
        assert_eq!(
            status, 200,
            "the secret works at the token endpoint: {refreshed}"
        );

        // Rotation: the old secret stops at once, tokens stay valid.
        let confirm = browser
            .get(&app.url(&format!("/admin/settings/api?rotate={}", client.id)))
            .await;
        assert!(
            confirm.body.contains("stops working at once"),
            "{}",
            confirm.body
        );
        let path = format!("/admin/settings/api/{}/rotate", client.id);
        let rotated = post(&app, &browser, "/admin/settings/api", &path, &[]).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
        assert_eq!(code_text(&rotated, "client-id"), client.id);
        let new = Client {
            id: client.id.clone(),
            secret: code_text(&rotated, "secret"),
        };
        assert_ne!(new.secret, client.secret);
        let next = refreshed["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.refresh(&client, next).await.0,
            401,
            "the old secret is refused"
        );
        let (status, again) = app.refresh(&new, next).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(
            app.validate(again["access_token"].as_str().unwrap())
                .await
                .0,
            200
        );

        // Revoking the grant ends its tokens.
        let settings = browser.get(&app.url("/admin/settings/api")).await;
        let revoke_at = settings
            .body
            .find("/grants/")
            .expect("a live grant is listed");
        let action_start = settings.body[..revoke_at].rfind("action=\"").unwrap() + 8;
        let action_end = revoke_at + settings.body[revoke_at..].find('"').unwrap();
        let action = settings.body[action_start..action_end].to_string();
        let revoked = post(&app, &browser, "/admin/settings/api", &action, &[]).await;
        assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
        assert_eq!(
            app.validate(again["access_token"].as_str().unwrap())
                .await
                .0,
            401
        );
        assert_eq!(
            app.refresh(&new, again["refresh_token"].as_str().unwrap())
                .await
                .0,
            400
        );

        // Every change is in the audit log, done by the admin.
        let admin_id = app
            .count(&format!("SELECT id FROM admins WHERE email = '{email}'"))
            .await;
        let by_admin = app
            .count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE actor = 'admin:{admin_id}' AND action IN \
             ('client.created', 'token.issued', 'client.secret_rotated', 'token.family_revoked')"
            ))
            .await;
        assert_eq!(by_admin, 4);
        let audit = browser.get(&app.url("/admin/audit")).await;
        assert!(
            audit.body.contains("client.secret_rotated") && audit.body.contains(&email),
            "{}",
            audit.body
        );
    }
);

both_engines!(
    balance_page_filters_and_exports_the_ledger,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, email) = app.company("Acme").await;
        app.fund(company_id, "1000").await;
        app.fund(company_id, "250.50").await;
        let browser = admin_browser(&app, &email).await;
        let page = browser.get(&app.url("/admin/balance")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("1250.50 INR"), "{}", page.body);
        assert!(
            page.body.contains("galley funds add"),
            "the page says who adds funds"
        );
        assert!(page.body.contains("<polyline"), "a balance chart");

        let today = galley::clock::day(app.clock_ms());
        let csv = browser
            .get(&app.url(&format!(
                "/admin/balance/ledger.csv?from={today}&to={today}&kind=fund"
            )))
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("attachment"));
        let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][3], "250.50");
        assert_eq!(&rows[1][5], "1250.50");
        let none = browser
            .get(&app.url(&format!(
                "/admin/balance/ledger.csv?from={today}&to={today}&kind=link_charge"
            )))
            .await;
        assert_eq!(
            none.body.lines().count(),
            1,
            "only the header: {}",
            none.body
        );

        // Bad filters are said plainly.
        for query in [
            "from=yesterday",
            "from=2026-12-31&to=2026-01-01",
            "from=9999-99-99",
            "kind=%00",
        ] {
            let page = browser
                .get(&app.url(&format!("/admin/balance?{query}")))
                .await;
            assert!(
                page.status.is_client_error() || page.status == StatusCode::OK,
                "{query}: {}",
                page.status
            );
            assert!(!page.status.is_server_error());
        }
        let bad = browser.get(&app.url("/admin/balance?from=yesterday")).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("must be a date"), "{}", bad.body);
    }
);

both_engines!(
    every_portal_form_needs_its_csrf_token,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, email) = app.company("Acme").await;
        let browser = admin_browser(&app, &email).await;
        let client = generate_client(&app, &browser, &["plum_pro_api"]).await;
        let admin_id = app
            .count(&format!("SELECT id FROM admins WHERE email = '{email}'"))
            .await;
        let forms = [
            "/admin/login".to_string(),
            "/admin/logout".into(),
            "/admin/logout-everywhere".into(),
            "/admin/settings/api/clients".into(),
            format!("/admin/settings/api/{}/token", client.id),
            format!("/admin/settings/api/{}/rotate", client.id),
            format!("/admin/settings/api/{}/grants/x/revoke", client.id),
            "/admin/admins".into(),
            format!("/admin/admins/{admin_id}/remove"),
        ];
        let wrong = format!("{}.{}", "0".repeat(32), "0".repeat(64));
        let before = app.count("SELECT COUNT(*) FROM audit_events").await;
        for path in &forms {
            let fields = |csrf: Option<&str>| {
                let mut f = vec![
                    ("email".to_string(), "new@acme.test".to_string()),
                    ("password".to_string(), PASSWORD.to_string()),
                    ("scope".to_string(), "plum_pro_api".to_string()),
                ];
                if let Some(c) = csrf {
                    f.push(("csrf".into(), c.into()));
                }
                f
            };
            let missing = browser.post(&app.url(path), &fields(None)).await;
            assert_eq!(
                missing.status,
                StatusCode::FORBIDDEN,
                "{path} without a token"
            );
            let forged = browser.post(&app.url(path), &fields(Some(&wrong))).await;
            assert_eq!(
                forged.status,
                StatusCode::FORBIDDEN,
                "{path} with a wrong token"
            );
            // A token from another browser's session does not pass either.
            let other = Browser::new();
            let page = other.get(&app.url("/admin/login")).await;
            let foreign = browser
                .post(&app.url(path), &fields(Some(&page.csrf())))
                .await;
            assert_eq!(
                foreign.status,
                StatusCode::FORBIDDEN,
                "{path} with another browser's token"
            );
        }
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events").await,
            before,
            "nothing changed"
        );
        assert_eq!(
            browser.get(&app.url("/admin")).await.status,
            StatusCode::OK,
            "still logged in"
        );
    }
);

both_engines!(
    sessions_end_on_log_out_when_idle_and_with_age,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, email) = app.company("Acme").await;
        let session_of = |page: &Page| {
            page.headers
                .get_all(header::SET_COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
                .find(|c| c.starts_with("galley_session="))
                .unwrap()
        };
        let replay = |cookie: String| {
            let url = app.url("/admin");
            async move {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap()
                    .get(url)
                    .header(header::COOKIE, cookie)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };

        // Log-out ends the session: its cookie no longer opens the portal.
        let browser = Browser::new();
        let done = log_in_on(&browser, &app.base, &email, PASSWORD).await;
        let cookie = session_of(&done);
        assert_eq!(replay(cookie.clone()).await, StatusCode::OK);
        let out = post(&app, &browser, "/admin", "/admin/logout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(out.location(), "/admin/login");
        assert_eq!(
            replay(cookie).await,
            StatusCode::SEE_OTHER,
            "a logged-out session cannot be replayed"
        );

        // Log-out everywhere ends the admin's other sessions too.
        let phone = admin_browser(&app, &email).await;
        let laptop = admin_browser(&app, &email).await;
        let out = post(&app, &phone, "/admin", "/admin/logout-everywhere", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(
            laptop.get(&app.url("/admin")).await.status,
            StatusCode::SEE_OTHER
        );

        // 30 minutes without a request end a session; requests keep it alive,
        // up to 12 hours after log-in.
        let idle = admin_browser(&app, &email).await;
        let busy = admin_browser(&app, &email).await;
        for _ in 0..35 {
            app.clock.advance_secs(20 * 60);
            assert_eq!(busy.get(&app.url("/admin")).await.status, StatusCode::OK);
        }
        assert_eq!(
            idle.get(&app.url("/admin")).await.status,
            StatusCode::SEE_OTHER,
            "idle for hours"
        );
        app.clock.advance_secs(20 * 60);
        let aged = busy.get(&app.url("/admin")).await;
        assert_eq!(aged.status, StatusCode::SEE_OTHER, "12 hours after log-in");
        assert!(aged.location().starts_with("/admin/login"));
    }
);

both_engines!(
    another_companys_objects_are_not_found,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, alice) = app.company("Acme").await;
        let (_, bob) = app.company("Bolt").await;
        let a = admin_browser(&app, &alice).await;
        let b = admin_browser(&app, &bob).await;
        let theirs = generate_client(&app, &b, &["plum_pro_api", "xoxo_link"]).await;
        let ours = generate_client(&app, &a, &["plum_pro_api"]).await;
        let path = format!("/admin/settings/api/{}/token", theirs.id);
        let tokens = post(&app, &b, "/admin/settings/api", &path, &[]).await;
        assert_eq!(tokens.status, StatusCode::OK);
        let family = app
            .count_text(&format!(
                "SELECT family_id FROM tokens WHERE client_id = '{}' LIMIT 1",
                theirs.id
            ))
            .await;
        let bob_id = app
            .count(&format!("SELECT id FROM admins WHERE email = '{bob}'"))
            .await;
        for path in [
            format!("/admin/settings/api/{}/token", theirs.id),
            format!("/admin/settings/api/{}/rotate", theirs.id),
            format!("/admin/settings/api/{}/grants/{family}/revoke", theirs.id),
            format!("/admin/settings/api/{}/grants/{family}/revoke", ours.id),
            format!("/admin/admins/{bob_id}/remove"),
        ] {
            let page = post(&app, &a, "/admin", &path, &[]).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
            assert!(
                !page.body.contains("Bolt"),
                "nothing of the other company shows"
            );
        }
        let settings = a
            .get(&app.url(&format!("/admin/settings/api?rotate={}", theirs.id)))
            .await;
        assert!(
            !settings.body.contains(&theirs.id),
            "no dialog for another company's client"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM tokens WHERE revoked_at IS NOT NULL")
                .await,
            0
        );
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM admins WHERE id = {bob_id}"))
                .await,
            1
        );
    }
);

both_engines!(only_super_admins_manage_admins, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let (_, boss) = app.company("Acme").await;
    let super_admin = admin_browser(&app, &boss).await;
    let added = post(
        &app,
        &super_admin,
        "/admin/admins",
        "/admin/admins",
        &[
            ("email", "Pat@Acme.test"),
            ("password", PASSWORD),
            ("role", "admin"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = super_admin.get(&app.url("/admin/admins")).await;
    assert!(list.body.contains("pat@acme.test"), "{}", list.body);

    // A plain admin sees the list but cannot change it.
    let pat = admin_browser(&app, "pat@acme.test").await;
    let page = pat.get(&app.url("/admin/admins")).await;
    assert!(page.body.contains("Only a super admin"), "{}", page.body);
    let boss_id = app
        .count(&format!("SELECT id FROM admins WHERE email = '{boss}'"))
        .await;
    let pat_id = app
        .count("SELECT id FROM admins WHERE email = 'pat@acme.test'")
        .await;
    let refused = post(
        &app,
        &pat,
        "/admin/admins",
        "/admin/admins",
        &[("email", "eve@acme.test"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let path = format!("/admin/admins/{boss_id}/remove");
    assert_eq!(
        post(&app, &pat, "/admin/admins", &path, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM admins").await, 2);

    // A taken address and a weak password are said on the page.
    let taken = post(
        &app,
        &super_admin,
        "/admin/admins",
        "/admin/admins",
        &[("email", "pat@acme.test"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST, "{}", taken.body);
    let weak = post(
        &app,
        &super_admin,
        "/admin/admins",
        "/admin/admins",
        &[("email", "eve@acme.test"), ("password", "short")],
    )
    .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.body);

    // The last super admin stays; a removed admin's sessions end.
    let path = format!("/admin/admins/{boss_id}/remove");
    let last = post(&app, &super_admin, "/admin/admins", &path, &[]).await;
    assert_eq!(last.status, StatusCode::BAD_REQUEST);
    assert!(last.body.contains("last super admin"), "{}", last.body);
    let path = format!("/admin/admins/{pat_id}/remove");
    let removed = post(&app, &super_admin, "/admin/admins", &path, &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        pat.get(&app.url("/admin")).await.status,
        StatusCode::SEE_OTHER
    );
    let actions = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE actor = 'admin:{boss_id}' AND action IN ('admin.added', 'admin.removed')"
        ))
        .await;
    assert_eq!(actions, 2);
});

both_engines!(log_in_limits_hold_across_two_nodes, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let (_, email) = app.company("Acme").await;
    let (_a, node_a) = start_node(&app.test_db.url, &app.http).await;
    let (_b, node_b) = start_node(&app.test_db.url, &app.http).await;
    let attacker = Browser::from_address([127, 0, 0, 9]);
    let form = attacker.get(&format!("{node_a}/admin/login")).await;
    let guesses = (0..60).map(|i| {
        let (attacker, form, email) = (&attacker, &form, &email);
        let base = if i % 2 == 0 {
            node_a.clone()
        } else {
            node_b.clone()
        };
        async move {
            let guess = format!("guess number {i}");
            attacker
                .submit_to(
                    &base,
                    form,
                    "/admin/login",
                    &[("email", email), ("password", &guess)],
                )
                .await
                .status
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 60, "only 401 and 429: {statuses:?}");
    assert!(
        checked <= 10,
        "at most 10 passwords checked across both nodes, got {checked}"
    );

    // The admin, from another address, still gets in: no lock-out.
    let admin = Browser::from_address([127, 0, 0, 10]);
    let done = log_in_on(&admin, &node_b, &email, PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
});

both_engines!(
    a_pending_order_is_canceled_and_refunded_from_the_orders_report,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, "10000").await;
        let before = app.ledger_balance(s.company_id).await;
        let order = json!({
            "query": "plumProAPI.mutation.placeOrder", "tag": "plumProAPI",
            "variables": {"data": {"productId": 103, "quantity": 1, "denomination": "2000", "poNumber": "po-wait"}},
        });
        let (status, placed) = app.api(&s.tokens.access, order).await;
        assert_eq!(status, 200, "{placed}");
        let id = placed["data"]["placeOrder"]["data"]["orderId"]
            .as_i64()
            .unwrap();
        assert!(app.ledger_balance(s.company_id).await < before);

        // Another company's admin does not find it.
        let (_, stranger) = app.company("Other").await;
        let other = admin_browser(&app, &stranger).await;
        let path = format!("/admin/reports/orders/{id}/cancel");
        let refused = post(&app, &other, "/admin/reports/orders", &path, &[]).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND);

        let admin = admin_browser(&app, &s.email).await;
        let report = admin.get(&app.url("/admin/reports/orders")).await;
        assert!(report.body.contains("Cancel and refund"), "{}", report.body);
        let forged = admin.post(&app.url(&path), &[]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let done = post(&app, &admin, "/admin/reports/orders", &path, &[]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(app.ledger_balance(s.company_id).await, before, "refunded");
        let again = post(&app, &admin, "/admin/reports/orders", &path, &[]).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST, "not twice");
        let canceled = admin
            .get(&app.url("/admin/reports/orders?status=canceled"))
            .await;
        assert!(canceled.body.contains("po-wait"), "{}", canceled.body);
        let admin_id = app
            .count(&format!(
                "SELECT id FROM admins WHERE email = '{}'",
                s.email
            ))
            .await;
        assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'order.canceled' AND actor = 'admin:{admin_id}'"
        ))
        .await,
        1
    );
    }
);
