//! The developer hub at the HTTP level: the journey of an app from Create
//! an app to a refreshed secret (with and without a grace period), scopes
//! and grant types, Try it with Galley's test callback, placeholder
//! callbacks, the review of public apps, deletion, CSRF on every form,
//! another company's apps answering 404, and storefront users kept out.

use reqwest::StatusCode;

use crate::{
    authorize::{authorize_url, exchange, pkce, query_param, Browser, Page, CALLBACK},
    both_engines,
    common::*,
    portal::{admin_browser, code_text, post},
};

/// Creates an app on the hub; returns it (id and the secret shown once)
/// and the answer.
async fn create_app(
    app: &TestApp,
    browser: &Browser,
    visibility: &str,
    callback: &[(&str, &str)],
) -> (Client, Page) {
    let mut fields = vec![
        ("visibility", visibility),
        ("name", "Loyalty App"),
        ("description", "Points for every purchase"),
    ];
    fields.extend_from_slice(callback);
    let page = post(
        app,
        browser,
        "/developers/apps/new",
        "/developers/apps",
        &fields,
    )
    .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    assert!(
        page.body.contains("OAuth &amp; access scopes"),
        "lands on the second tab"
    );
    let client = Client {
        id: code_text(&page, "client-id"),
        secret: code_text(&page, "client-secret"),
    };
    (client, page)
}

/// A storefront user of the app's company signs up and allows `client`;
/// returns the tokens of the code exchange.
async fn user_tokens(app: &TestApp, client: &Client, email: &str) -> serde_json::Value {
    let user = Browser::new();
    let url = authorize_url(app, &client.id, &[]);
    user.sign_up(
        app,
        &url,
        &[
            ("name", "Uma"),
            ("email", email),
            ("password", "correct horse"),
        ],
    )
    .await;
    let consent = user.get(&url).await;
    assert!(
        consent.body.contains("Points for every purchase"),
        "the description is on the consent page"
    );
    let back = user.decide(app, &consent, "allow").await;
    let code = query_param(&back.location(), "code").expect("a code");
    let (status, tokens) = exchange(app, client, &code, &[], "/v1/oauth/token/user").await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

both_engines!(
    an_app_from_creation_to_a_refreshed_secret,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (company_id, email) = app.company("Shop").await;
        let dev = admin_browser(&app, &email).await;
        let (client, page) = create_app(
            &app,
            &dev,
            "private",
            &[("callback", "url"), ("redirect_uri", CALLBACK)],
        )
        .await;
        assert!(client.secret.starts_with("gly_cs_"));
        assert!(
            page.body.contains("only time the secret is shown"),
            "{}",
            page.body
        );
        let later = dev
            .get(&app.url(&format!("/developers/apps/{}/oauth", client.id)))
            .await;
        assert!(
            !later.body.contains(&client.secret),
            "the secret is shown once"
        );

        // A user authorizes the app; the hub counts them.
        let tokens = user_tokens(&app, &client, "uma@shop.test").await;
        let list = dev.get(&app.url("/developers")).await;
        assert!(
            list.body.contains("Loyalty App") && list.body.contains("<td class=\"num\">1</td>"),
            "{}",
            list.body
        );

        // Refresh: the old secret stops at once, the user's tokens stay valid,
        // the client_id does not change.
        let dialog = dev
            .get(&app.url(&format!("/developers/apps/{}/oauth?refresh=1", client.id)))
            .await;
        assert!(
            dialog.body.contains("Generate new client secret"),
            "{}",
            dialog.body
        );
        let path = format!("/developers/apps/{}/secret", client.id);
        let fresh = post(
            &app,
            &dev,
            &format!("/developers/apps/{}/oauth", client.id),
            &path,
            &[("grace_hours", "0")],
        )
        .await;
        assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
        assert_eq!(code_text(&fresh, "client-id"), client.id);
        let new = Client {
            id: client.id.clone(),
            secret: code_text(&fresh, "client-secret"),
        };
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert_eq!(
            app.refresh(&client, refresh).await.0,
            401,
            "the old secret is refused"
        );
        let (status, refreshed) = app.refresh(&new, refresh).await;
        assert_eq!(
            status, 200,
            "the user's refresh token still works: {refreshed}"
        );

        // With a grace period both secrets work until it ends.
        let graced = post(
            &app,
            &dev,
            &format!("/developers/apps/{}/oauth", client.id),
            &path,
            &[("grace_hours", "1")],
        )
        .await;
        let newest = Client {
            id: client.id.clone(),
            secret: code_text(&graced, "client-secret"),
        };
        let token = refreshed["refresh_token"].as_str().unwrap();
        let (status, again) = app.refresh(&new, token).await;
        assert_eq!(
            status, 200,
            "the previous secret works during the grace period: {again}"
        );
        app.clock.advance_secs(3601);
        let dev = admin_browser(&app, &email).await;
        let token = again["refresh_token"].as_str().unwrap();
        assert_eq!(app.refresh(&new, token).await.0, 401, "and not after it");
        assert_eq!(app.refresh(&newest, token).await.0, 200);
        let too_long = post(
            &app,
            &dev,
            &format!("/developers/apps/{}/oauth", client.id),
            &path,
            &[("grace_hours", "100000")],
        )
        .await;
        assert_eq!(too_long.status, StatusCode::BAD_REQUEST);

        // Scopes and grant types: client credentials for a private app.
        let path = format!("/developers/apps/{}/access", client.id);
        let from = format!("/developers/apps/{}/oauth", client.id);
        let saved = post(
            &app,
            &dev,
            &from,
            &path,
            &[
                ("scope", "user_session"),
                ("scope", "profile_read"),
                ("scope", "points_read"),
                ("client_credentials", "1"),
            ],
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let (status, cc) = app
            .form(
                "/v1/oauth/token/company",
                &[("grant_type", "client_credentials")],
                Some(&newest),
            )
            .await;
        assert_eq!(status, 200, "{cc}");
        let none = post(&app, &dev, &from, &path, &[]).await;
        assert_eq!(none.status, StatusCode::BAD_REQUEST);
        assert!(none.body.contains("at least one scope"), "{}", none.body);
        let bogus = post(&app, &dev, &from, &path, &[("scope", "root")]).await;
        assert_eq!(bogus.status, StatusCode::BAD_REQUEST);

        // Every change is in the audit log, made by the admin.
        let admin_id = app
            .count(&format!("SELECT id FROM admins WHERE email = '{email}'"))
            .await;
        let actions = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE company_id = {company_id} AND actor = 'admin:{admin_id}' \
             AND action IN ('client.created', 'client.secret_rotated', 'client.access_changed')"
        ))
        .await;
        assert_eq!(actions, 4);
    }
);

both_engines!(
    try_it_shows_the_code_exchanged_on_galleys_test_callback,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, email) = app.company("Shop").await;
        let dev = admin_browser(&app, &email).await;
        let (client, _) = create_app(&app, &dev, "private", &[("callback", "galley")]).await;
        let tab = format!("/developers/apps/{}/try", client.id);
        let started = post(&app, &dev, &tab, &tab, &[]).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER);
        let authorize = app.url(&started.location());
        assert!(
            authorize.contains("code_challenge_method=S256") && authorize.contains("state="),
            "{authorize}"
        );
        // The developer authorizes as a user would, in the same browser.
        dev.sign_up(
            &app,
            &authorize,
            &[
                ("name", "Dev"),
                ("email", "dev@shop.test"),
                ("password", "correct horse"),
            ],
        )
        .await;
        let consent = dev.get(&authorize).await;
        let back = dev.decide(&app, &consent, "allow").await;
        assert!(
            back.location().contains("/developers/try/callback?code="),
            "{}",
            back.location()
        );
        let result = dev.get(&back.location()).await;
        assert_eq!(result.status, StatusCode::OK, "{}", result.body);
        assert!(
            result.body.contains("The code was exchanged") && result.body.contains("gly_at_"),
            "{}",
            result.body
        );
        // The same callback again: the code works once.
        let replay = dev.get(&back.location()).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST);
        // Another browser (no run of its own) gets nothing.
        let stranger = Browser::new().get(&back.location()).await;
        assert_eq!(stranger.status, StatusCode::BAD_REQUEST);
        assert!(!stranger.body.contains("gly_at_"));
    }
);

both_engines!(placeholders_reviews_and_deletion, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let (_, email) = app.company("Vendor").await;
    let dev = admin_browser(&app, &email).await;
    let (client, _) = create_app(&app, &dev, "public", &[("callback", "placeholder")]).await;
    let list = dev.get(&app.url("/developers")).await;
    assert!(
        list.body.contains("callback not yet working"),
        "{}",
        list.body
    );

    // A placeholder callback cannot be authorized, nor submitted.
    let url = authorize_url(&app, &client.id, &[]).replace(
        &url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
        &url::form_urlencoded::byte_serialize(
            galley::domain::clients::PLACEHOLDER_CALLBACK.as_bytes(),
        )
        .collect::<String>(),
    );
    let refused = Browser::new().get(&url).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("placeholder"), "{}", refused.body);
    let basic = format!("/developers/apps/{}", client.id);
    let submit = format!("/developers/apps/{}/submit", client.id);
    let early = post(&app, &dev, &basic, &submit, &[]).await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert!(early.body.contains("placeholder"), "{}", early.body);

    // A real callback, then review: draft → submitted → rejected (with a
    // reason the developer reads) → submitted → approved.
    let fields = [
        ("name", "Loyalty App"),
        ("callback", "url"),
        ("redirect_uri", CALLBACK),
        ("homepage_url", "javascript:alert(1)"),
    ];
    let bad = post(&app, &dev, &basic, &basic, &fields).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("https URL"), "{}", bad.body);
    let fields = [
        ("name", "Loyalty App"),
        ("callback", "url"),
        ("redirect_uri", CALLBACK),
        ("homepage_url", "https://loyalty.example.com"),
    ];
    assert_eq!(
        post(&app, &dev, &basic, &basic, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let (customer, _) = app.company("Customer").await;
    let other = client_for_other_company(&app, customer).await;

    assert!(
        other
            .sees(&app, &client.id)
            .await
            .body
            .contains("name=\"password\""),
        "a draft is not for other companies"
    );
    assert_eq!(
        post(&app, &dev, &basic, &submit, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let actor = galley::domain::Actor::Cli;
    galley::domain::clients::reject(
        &app.db,
        &*app.clock,
        &actor,
        &client.id,
        "The home page does not load.",
    )
    .await
    .unwrap();
    let list = dev.get(&app.url("/developers")).await;
    assert!(
        list.body.contains("rejected") && list.body.contains("The home page does not load."),
        "{}",
        list.body
    );
    assert!(
        other
            .sees(&app, &client.id)
            .await
            .body
            .contains("name=\"password\""),
        "rejected: not for other companies"
    );
    assert_eq!(
        post(&app, &dev, &basic, &submit, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    galley::domain::clients::approve(&app.db, &*app.clock, &actor, &client.id)
        .await
        .unwrap();
    assert!(
        other
            .sees(&app, &client.id)
            .await
            .body
            .contains("name=\"decision\""),
        "approved: other companies' users consent"
    );

    // A new callback sends an approved app back for review.
    let fields = [
        ("name", "Loyalty App"),
        ("callback", "url"),
        ("redirect_uri", "https://loyalty.example.com/cb"),
    ];
    assert_eq!(
        post(&app, &dev, &basic, &basic, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let page = dev.get(&app.url(&basic)).await;
    assert!(page.body.contains("submitted"), "{}", page.body);

    // Deletion revokes the app's tokens and consents; its id is gone.
    let path = format!("/developers/apps/{}/delete", client.id);
    let deleted = post(&app, &dev, &basic, &path, &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        dev.get(&app.url(&basic)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM consents WHERE client_id = '{}'",
            client.id
        ))
        .await,
        0
    );
    let (status, _) = app
        .form(
            "/v1/oauth/token/user",
            &[("grant_type", "client_credentials")],
            Some(&client),
        )
        .await;
    assert_eq!(status, 401);
});

/// A storefront user of another company, logged in through that company's
/// own app: the outsider who may authorize only approved public apps.
struct Outsider {
    client: Client,
}

async fn client_for_other_company(app: &TestApp, company_id: i64) -> Outsider {
    let client = app
        .create_client(galley::domain::clients::NewClient {
            company_id,
            name: "Customer App".into(),
            redirect_uri: CALLBACK.into(),
            scopes: "user_session,profile_read".into(),
            grant_types: Some("authorization_code,refresh_token".into()),
            public: false,
            signup_company: None,
        })
        .await;
    Outsider { client }
}

impl Outsider {
    /// What a fresh user of the outsider's company, logged in, sees at the
    /// authorization request of `client_id`.
    async fn sees(&self, app: &TestApp, client_id: &str) -> Page {
        self.logged_in(app)
            .await
            .get(&authorize_url(app, client_id, &pkce()))
            .await
    }

    /// A browser of a fresh user of the outsider's company, logged in.
    async fn logged_in(&self, app: &TestApp) -> Browser {
        let browser = Browser::new();
        let email = format!("{}@customer.test", galley::crypto::new_id());
        browser
            .sign_up(
                app,
                &authorize_url(app, &self.client.id, &[]),
                &[
                    ("name", "Cy"),
                    ("email", &email),
                    ("password", "correct horse"),
                ],
            )
            .await;
        browser
    }
}

both_engines!(
    the_hub_refuses_forged_forms_strangers_and_storefront_users,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let (_, alice) = app.company("Acme").await;
        let (_, bob) = app.company("Bolt").await;
        let a = admin_browser(&app, &alice).await;
        let b = admin_browser(&app, &bob).await;
        let (theirs, _) = create_app(
            &app,
            &b,
            "private",
            &[("callback", "url"), ("redirect_uri", CALLBACK)],
        )
        .await;
        let (ours, _) = create_app(
            &app,
            &a,
            "private",
            &[("callback", "url"), ("redirect_uri", CALLBACK)],
        )
        .await;

        // Another company's app is not found, by any route.
        for tab in ["", "/oauth", "/try", "/oauth?refresh=1", "?delete=1"] {
            let page = a
                .get(&app.url(&format!("/developers/apps/{}{tab}", theirs.id)))
                .await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{tab}");
        }
        for action in ["", "/access", "/secret", "/submit", "/delete", "/try"] {
            let path = format!("/developers/apps/{}{action}", theirs.id);
            let page = post(
                &app,
                &a,
                "/developers",
                &path,
                &[("scope", "user_session"), ("name", "Mine now")],
            )
            .await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
        }
        assert!(!a
            .get(&app.url("/developers"))
            .await
            .body
            .contains(&theirs.id));

        // Every form needs the session's CSRF token.
        let audit = "SELECT COUNT(*) FROM audit_events";
        let before = app.count(audit).await;
        let wrong = format!("{}.{}", "0".repeat(32), "0".repeat(64));
        for action in [
            "/developers/apps".to_string(),
            format!("/developers/apps/{}", ours.id),
            format!("/developers/apps/{}/access", ours.id),
            format!("/developers/apps/{}/secret", ours.id),
            format!("/developers/apps/{}/submit", ours.id),
            format!("/developers/apps/{}/delete", ours.id),
            format!("/developers/apps/{}/try", ours.id),
        ] {
            for csrf in [None, Some(wrong.as_str())] {
                let mut fields = vec![
                    ("visibility".to_string(), "private".to_string()),
                    ("name".into(), "X".into()),
                    ("scope".into(), "user_session".into()),
                ];
                if let Some(c) = csrf {
                    fields.push(("csrf".into(), c.into()));
                }
                let page = a.post(&app.url(&action), &fields).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{action} with {csrf:?}");
            }
        }
        assert_eq!(app.count(audit).await, before, "nothing changed");

        // A storefront user's session does not open the hub.
        let user = Browser::new();
        user.sign_up(
            &app,
            &authorize_url(&app, &ours.id, &[]),
            &[
                ("name", "Uma"),
                ("email", "uma@acme.test"),
                ("password", "correct horse"),
            ],
        )
        .await;
        let page = user.get(&app.url("/developers")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), "/admin/login?next=%2Fdevelopers");
    }
);

both_engines!(
    operators_review_public_apps_on_their_pages,
    |engine| async move {
        let app = TestApp::spawn(engine).await;

        // The operator names a reviewer from the command line.
        let db = &app.test_db.url;
        let (ok, added, err) = crate::cli::galley(&[
            "operator",
            "add",
            "--email",
            "Rita@Galley.test",
            "--password",
            "review-password",
            "--json",
            "--database-url",
            db,
        ]);
        assert!(ok, "{err}");
        let operator_id = added["operator_id"].as_i64().unwrap();
        let (ok, _, err) = crate::cli::galley(&[
            "operator",
            "add",
            "--email",
            "rita@galley.test",
            "--password",
            "review-password",
            "--database-url",
            db,
        ]);
        assert!(!ok && err.contains("already"), "{err}");
        let (ok, listed, _) =
            crate::cli::galley(&["operator", "list", "--json", "--database-url", db]);
        assert!(ok);
        assert_eq!(listed["operators"], serde_json::json!(["rita@galley.test"]));

        // A developer submits a public app.
        let (_, email) = app.company("Vendor").await;
        let dev = admin_browser(&app, &email).await;
        let (client, _) = create_app(
            &app,
            &dev,
            "public",
            &[("callback", "url"), ("redirect_uri", CALLBACK)],
        )
        .await;
        let basic = format!("/developers/apps/{}", client.id);
        let submit = format!("/developers/apps/{}/submit", client.id);
        assert_eq!(
            post(&app, &dev, &basic, &submit, &[]).await.status,
            StatusCode::SEE_OTHER
        );

        // The portal's session does not open the operator pages, nor the
        // reverse.
        assert_eq!(
            dev.get(&app.url("/operator")).await.location(),
            "/operator/login"
        );
        let rita = Browser::new();
        let form = rita.get(&app.url("/operator/login")).await;
        let wrong = rita
            .submit(
                &app,
                &form,
                "/operator/login",
                &[
                    ("email", "rita@galley.test"),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let done = rita
            .submit(
                &app,
                &form,
                "/operator/login",
                &[
                    ("email", "rita@galley.test"),
                    ("password", "review-password"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert_eq!(
            rita.get(&app.url("/admin")).await.status,
            StatusCode::SEE_OTHER
        );

        // Rejecting needs a reason and the CSRF token; the developer reads it.
        let page = rita.get(&app.url("/operator")).await;
        assert!(
            page.body.contains("Loyalty App") && page.body.contains("Vendor"),
            "{}",
            page.body
        );
        let reject = format!("/operator/apps/{}/reject", client.id);
        let forged = rita
            .post(
                &app.url(&reject),
                &[
                    ("csrf".into(), "0".repeat(32)),
                    ("reason".into(), "No.".into()),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let form = |reason: &str| {
            vec![
                ("csrf".to_string(), page.csrf()),
                ("reason".to_string(), reason.to_string()),
            ]
        };
        let bare = rita.post(&app.url(&reject), &form(" ")).await;
        assert_eq!(bare.status, StatusCode::BAD_REQUEST);
        let rejected = rita
            .post(&app.url(&reject), &form("The callback answers 404."))
            .await;
        assert_eq!(rejected.status, StatusCode::SEE_OTHER);
        let list = dev.get(&app.url("/developers")).await;
        assert!(
            list.body.contains("The callback answers 404."),
            "{}",
            list.body
        );

        // Submitted again, approved; recorded as done by the reviewer.
        assert_eq!(
            post(&app, &dev, &basic, &submit, &[]).await.status,
            StatusCode::SEE_OTHER
        );
        let page = rita.get(&app.url("/operator")).await;
        let approve = format!("/operator/apps/{}/approve", client.id);
        let approved = rita
            .post(&app.url(&approve), &[("csrf".to_string(), page.csrf())])
            .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER);
        assert!(dev.get(&app.url(&basic)).await.body.contains("approved"));
        let by_rita = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE actor = 'operator:{operator_id}' AND action IN ('client.rejected', 'client.approved')"
        ))
        .await;
        assert_eq!(by_rita, 2);

        // Removed, the reviewer's session ends.
        let (ok, _, err) = crate::cli::galley(&[
            "operator",
            "remove",
            "--email",
            "rita@galley.test",
            "--database-url",
            db,
        ]);
        assert!(ok, "{err}");
        assert_eq!(
            rita.get(&app.url("/operator")).await.status,
            StatusCode::SEE_OTHER
        );
    }
);
