//! `galley demo`: seeds data, prints working credentials and an authorize
//! URL whose callback is a page on Galley itself.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use crate::{
    authorize::{confirm_link, Browser},
    both_engines,
    common::*,
};

both_engines!(
    demo_prints_working_credentials_and_a_live_flow,
    |engine| async move {
        let db = TestDb::new(engine).await;
        let port = free_port();
        let spool = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_galley"))
            .env("GALLEY_SPOOL_DIR", spool.path())
            .args([
                "demo",
                "--json",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &db.url,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line
        })
        .await
        .unwrap();
        let info: serde_json::Value =
            serde_json::from_str(&line).expect("demo prints one JSON object");
        let http = reqwest::Client::new();
        let base = info["public_url"].as_str().unwrap();
        wait_ready(&http, base).await;
        let access = info["access_token"].as_str().unwrap();
        let response = http
            .get(format!("{base}/v1/oauth/token"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // 100,000 INR of funds, less the printed link's 500.
        assert_eq!(info["balance"], 99500.0);

        // The printed reward link opens on the campaign's vouchers.
        let link = info["link"].as_str().unwrap();
        assert!(link.starts_with(&format!("{base}/r/")), "{link}");
        let page = http.get(link).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Cafe Coffee Day")
                && html.contains("Galley Gift Card")
                && html.contains("500.00 INR"),
            "{html}"
        );
        let (status, list) = status_json(
            http.post(format!("{base}/v1/oauth/api"))
                .bearer_auth(access)
                .json(&serde_json::json!({"tag": "xoxo_link", "query": "xoxo_link.query.campaignList", "variables": {"add_data": {}}}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            list["data"]["campaignList"]["data"][0]["campaignId"],
            info["campaign_id"]
        );

        // The printed authorize URL works end to end, ending on the demo page.
        let browser = Browser::new();
        let authorize = info["authorize_url"].as_str().unwrap();
        let login = browser.get(authorize).await;
        assert_eq!(login.status, 200);
        let signup_url = format!(
            "{base}/v1/oauth/authorize/signup?{}",
            authorize.split_once('?').unwrap().1
        );
        let signup = browser.get(&signup_url).await;
        let sent = browser
            .submit_to(
                base,
                &signup,
                "/v1/oauth/authorize/signup",
                &[
                    ("name", "Demo User"),
                    ("email", "demo.user@galley.test"),
                    ("password", "demo-user-password"),
                ],
            )
            .await;
        assert!(sent.body.contains("Check your e-mail"), "{}", sent.body);
        let mail = wait_for_mail_in(spool.path(), "demo.user@galley.test", 1).await;
        let confirm = browser.get(&confirm_link(&mail)).await;
        let done = browser
            .submit_to(base, &confirm, "/v1/oauth/authorize/signup/confirm", &[])
            .await;
        assert_eq!(done.status, 303);
        let consent = browser.get(&format!("{base}{}", done.location())).await;
        let back = browser
            .submit_to(
                base,
                &consent,
                "/v1/oauth/authorize",
                &[("decision", "allow")],
            )
            .await;
        let callback = back.location();
        assert!(
            callback.starts_with(&format!("{base}/developers/demo/callback?code=")),
            "{callback}"
        );
        let page = browser.get(&callback).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("gly_at_") && page.body.contains("gly_rt_"),
            "{}",
            page.body
        );

        // The printed admin URL: the admin's log-in, a consent in words
        // about the company's money, a token for the company.
        let admin = Browser::new();
        let url = info["admin_authorize_url"].as_str().unwrap();
        let login = admin.get(url).await;
        assert!(login.body.contains("company admin"), "{}", login.body);
        let done = admin
            .submit_to(
                base,
                &login,
                "/v1/oauth/authorize/login",
                &[
                    ("email", info["admin_email"].as_str().unwrap()),
                    ("password", info["admin_password"].as_str().unwrap()),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let consent = admin.get(url).await;
        assert!(consent.body.contains("Demo Company"), "{}", consent.body);
        let back = admin
            .submit_to(
                base,
                &consent,
                "/v1/oauth/authorize",
                &[("decision", "allow")],
            )
            .await;
        let page = admin.get(&back.location()).await;
        assert!(page.body.contains("gly_at_"), "{}", page.body);

        // The printed portal URL and admin log-in open the admin portal.
        let portal = Browser::new();
        let portal_url = info["portal_url"].as_str().unwrap();
        assert_eq!(portal_url, format!("{base}/admin"));
        let login = portal.get(&format!("{portal_url}/login")).await;
        let done = portal
            .submit_to(
                base,
                &login,
                "/admin/login",
                &[
                    ("email", info["admin_email"].as_str().unwrap()),
                    ("password", info["admin_password"].as_str().unwrap()),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let overview = portal.get(portal_url).await;
        assert!(
            overview.body.contains("Demo Company") && overview.body.contains("99500.00 INR"),
            "{}",
            overview.body
        );

        child.kill().unwrap();
        child.wait().unwrap();
    }
);

both_engines!(demo_on_a_busy_port_touches_no_data, |engine| async move {
    let db = TestDb::new(engine).await;
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        err.contains("cannot listen") && err.contains(&port.to_string()),
        "{err}"
    );
    // Nothing was seeded: no company exists (on SQLite, no file either).
    match galley::store::sqlite_path(&db.url) {
        Some(path) => assert!(!path.exists(), "the demo created {}", path.display()),
        None => {
            let pg = galley::store::Db::connect(&db.url, 1).await.unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT table_name FROM information_schema.tables WHERE table_name = 'companies'",
            )
            .fetch_all(pg.reader())
            .await
            .unwrap();
            assert!(tables.is_empty(), "the demo migrated the database");
            pg.close().await;
        }
    }
    drop(busy);
});

/// Starts `galley demo --json` with `extra` flags on `db_url`; returns its
/// first JSON line and what it printed on stderr before it, then stops it.
fn demo_once(db_url: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args([
            "demo",
            "--json",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db_url,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let info = serde_json::from_str(&line).unwrap_or(serde_json::Value::Null);
    (info, String::from_utf8_lossy(&output.stderr).to_string())
}

both_engines!(
    demo_says_where_it_writes_and_reset_starts_afresh,
    |engine| async move {
        let db = TestDb::new(engine).await;
        let url = db.url.clone();
        let (first, err) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || demo_once(&url, &[])
        })
        .await
        .unwrap();
        assert!(err.contains("data in") && err.contains("e-mails"), "{err}");
        let (again, _) = tokio::task::spawn_blocking({
            let url = url.clone();
            move || demo_once(&url, &[])
        })
        .await
        .unwrap();
        assert_eq!(
            again["client_id"], first["client_id"],
            "a restart keeps the demo's data"
        );
        match galley::store::sqlite_path(&url) {
            Some(_) => {
                let (reset, _) = tokio::task::spawn_blocking(move || demo_once(&url, &["--reset"]))
                    .await
                    .unwrap();
                assert!(reset["client_id"].is_string(), "{reset}");
                assert_ne!(
                    reset["client_id"], first["client_id"],
                    "--reset starts afresh"
                );
            }
            None => {
                let output = Command::new(env!("CARGO_BIN_EXE_galley"))
                    .args([
                        "demo",
                        "--reset",
                        "--listen",
                        &format!("127.0.0.1:{}", free_port()),
                        "--database-url",
                        &url,
                    ])
                    .output()
                    .unwrap();
                assert!(!output.status.success());
                assert!(String::from_utf8_lossy(&output.stderr).contains("not SQLite"));
            }
        }
    }
);

// The demo callback answers any query with a page, never a 500.
both_engines!(demo_callback_reads_empty_parameters, |engine| async move {
    let demo = Demo::start(engine, &[]).await;
    let http = reqwest::Client::new();
    for query in [
        "code=&error=&error_description=",
        "code=&state=",
        "error=&code=nope",
        "",
        "error=access_denied&error_description=",
    ] {
        let response = http
            .get(format!("{}/developers/demo/callback?{query}", demo.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{query}");
        let html = response.text().await.unwrap();
        assert!(html.contains("authorization result"), "{query}: {html}");
    }
});
