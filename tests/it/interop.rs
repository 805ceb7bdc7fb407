//! Clients written by others drive the server, run by `node --test`:
//! panva's `oauth4webapi` (npm) for discovery, client_credentials,
//! introspection, revocation and refresh (tests/interop/oauth4webapi.test.mjs),
//! and the whole authorization-code flow in headless Chromium through
//! `playwright-core` with `oauth4webapi` as the client app
//! (tests/interop/browser-flow.test.mjs; screenshots in target/screenshots/).

use std::{path::Path, process::Command};

use crate::{both_engines, common::*};

/// Runs `node --test <script>` in tests/interop with `env`; returns stdout
/// after asserting success.
async fn node_test(
    dir: std::path::PathBuf,
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

both_engines!(oauth4webapi, |engine| async move {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        dir.join("node_modules/oauth4webapi").exists(),
        "oauth4webapi is not installed: run `npm ci` in tests/interop (scripts/test.sh does)"
    );
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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `npm ci` in tests/interop (scripts/test.sh does)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "Chromium is missing: apt-get install chromium (.ci/run does)"
    );
    let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(format!("{engine:?}").to_lowercase());
    std::fs::create_dir_all(&shots).unwrap();
    let app = TestApp::spawn(engine).await;
    let (company_id, _) = app.company("Shop").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let callback = format!("http://127.0.0.1:{port}/callback");
    let created = galley::domain::clients::create(
        &app.db,
        &*app.clock,
        &galley::domain::Actor::Cli,
        galley::domain::clients::NewClient {
            company_id,
            name: "Browser Test App".into(),
            redirect_uri: callback.clone(),
            scopes: "user_session,profile_read".into(),
            grant_types: Some("authorization_code,refresh_token".into()),
            public: false,
            signup_company: None,
        },
    )
    .await
    .unwrap();
    let env = vec![
        ("GALLEY_ISSUER", app.base.clone()),
        ("GALLEY_CLIENT_ID", created.client_id),
        ("GALLEY_CLIENT_SECRET", created.client_secret),
        ("GALLEY_CALLBACK", callback),
        ("GALLEY_SCREENSHOTS", shots.display().to_string()),
    ];
    let stdout = node_test(dir, "browser-flow.test.mjs", env).await;
    assert!(
        stdout.contains("# pass 2") && stdout.contains("# fail 0"),
        "{stdout}"
    );
});
