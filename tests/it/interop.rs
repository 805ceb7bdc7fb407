//! Clients written by others drive the server, run by `node --test`:
//! panva's `oauth4webapi` (npm) for discovery, client_credentials,
//! introspection, revocation and refresh (tests/interop/oauth4webapi.test.mjs),
//! and the whole authorization-code flow in headless Chromium through
//! `playwright-core` with `oauth4webapi` as the client app
//! (tests/interop/browser-flow.test.mjs), and the admin portal in headless
//! Chromium (tests/interop/portal.test.mjs, webhooks.test.mjs); screenshots in
//! target/screenshots/.

use galley::domain::clients::NewClient;

use crate::{both_engines, common::*};

both_engines!(oauth4webapi, |engine| async move {
    let dir = interop_dir("oauth4webapi");
    let app = TestApp::spawn(engine).await;
    let s = app.setup().await;
    let env = vec![
        ("GALLEY_ISSUER", app.base.clone()),
        ("GALLEY_CLIENT_ID", s.client.id),
        ("GALLEY_CLIENT_SECRET", s.client.secret),
        ("GALLEY_REFRESH_TOKEN", s.tokens.refresh),
    ];
    let stdout = node_test(dir, "oauth4webapi.test.mjs", env).await;
    assert!(
        stdout.contains("# pass 4") && stdout.contains("# fail 0"),
        "{stdout}"
    );
});

both_engines!(browser_flow, |engine| async move {
    let dir = interop_dir("playwright-core");
    let shots = chromium_screenshots(engine);
    let app = TestApp::spawn(engine).await;
    let (company_id, _) = app.company("Shop").await;
    let callback = format!("http://127.0.0.1:{}/callback", free_port());
    let client = app
        .create_client(NewClient {
            company_id,
            name: "Browser Test App".into(),
            redirect_uri: callback.clone(),
            scopes: "user_session,profile_read".into(),
            grant_types: Some("authorization_code,refresh_token".into()),
            public: false,
            signup_company: None,
        })
        .await;
    let env = vec![
        ("GALLEY_ISSUER", app.base.clone()),
        ("GALLEY_CLIENT_ID", client.id),
        ("GALLEY_CLIENT_SECRET", client.secret),
        ("GALLEY_CALLBACK", callback),
        ("GALLEY_SCREENSHOTS", shots.display().to_string()),
        ("GALLEY_SPOOL_DIR", app.spool_dir.display().to_string()),
    ];
    let stdout = node_test(dir, "browser-flow.test.mjs", env).await;
    assert!(
        stdout.contains("# pass 2") && stdout.contains("# fail 0"),
        "{stdout}"
    );
});

both_engines!(portal_browser, |engine| async move {
    let dir = interop_dir("playwright-core");
    let shots = chromium_screenshots(engine);
    let app = TestApp::spawn(engine).await;
    let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, "25000").await;
    let order = serde_json::json!({
        "query": "plumProAPI.mutation.placeOrder", "tag": "plumProAPI",
        "variables": {"data": {"productId": 101, "quantity": 1, "denomination": "500", "poNumber": "po-portal-1", "email": "ann@example.com"}},
    });
    let (status, placed) = app.api(&s.tokens.access, order).await;
    assert_eq!(status, 200, "{placed}");
    let env = vec![
        ("GALLEY_BASE", app.base.clone()),
        ("GALLEY_ADMIN_EMAIL", s.email),
        ("GALLEY_ADMIN_PASSWORD", "password123".to_string()),
        ("GALLEY_SCREENSHOTS", shots.display().to_string()),
    ];
    let stdout = node_test(dir, "portal.test.mjs", env).await;
    assert!(
        stdout.contains("# pass 1") && stdout.contains("# fail 0"),
        "{stdout}"
    );
});

both_engines!(developer_hub_browser, |engine| async move {
    let dir = interop_dir("playwright-core");
    let shots = chromium_screenshots(engine);
    let app = TestApp::spawn(engine).await;
    let (_, email) = app.company("Corner Shop").await;
    galley::domain::operators::add(
        &app.db,
        &*app.clock,
        &galley::domain::Actor::Cli,
        "rita@galley.test",
        galley::config::Redacted("review-password".into()),
    )
    .await
    .unwrap();
    let env = vec![
        ("GALLEY_OPERATOR_EMAIL", "rita@galley.test".to_string()),
        ("GALLEY_OPERATOR_PASSWORD", "review-password".to_string()),
        ("GALLEY_BASE", app.base.clone()),
        ("GALLEY_ADMIN_EMAIL", email),
        ("GALLEY_ADMIN_PASSWORD", "password123".to_string()),
        (
            "GALLEY_CALLBACK",
            format!("http://127.0.0.1:{}/callback", free_port()),
        ),
        ("GALLEY_SCREENSHOTS", shots.display().to_string()),
        ("GALLEY_SPOOL_DIR", app.spool_dir.display().to_string()),
    ];
    let stdout = node_test(dir, "developers.test.mjs", env).await;
    assert!(
        stdout.contains("# pass 1") && stdout.contains("# fail 0"),
        "{stdout}"
    );
});

both_engines!(webhooks_browser, |engine| async move {
    let dir = interop_dir("playwright-core");
    let shots = chromium_screenshots(engine);
    let app = TestApp::spawn_with(engine, |c| c.webhook_allow_private_targets = true).await;
    let (_, email) = app.company("Hook Shop").await;
    let receiver = crate::webhooks::Receiver::start().await;
    let env = vec![
        ("GALLEY_BASE", app.base.clone()),
        ("GALLEY_ADMIN_EMAIL", email),
        ("GALLEY_ADMIN_PASSWORD", "password123".to_string()),
        ("GALLEY_RECEIVER", receiver.url.clone()),
        ("GALLEY_SCREENSHOTS", shots.display().to_string()),
    ];
    let stdout = node_test(dir, "webhooks.test.mjs", env).await;
    assert!(
        stdout.contains("# pass 1") && stdout.contains("# fail 0"),
        "{stdout}"
    );
    let got = receiver.got();
    assert_eq!(got.len(), 2, "the test event and its replay: {got:?}");
    assert_eq!(got[0].id, got[1].id);
    assert_eq!(got[0].api_key.as_deref(), Some("static-key"));
});
