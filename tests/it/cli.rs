//! The `galley` binary's administrative commands, run as a user would, with
//! `--json` output and `--database-url` after the subcommand.

use std::process::Command;

use serde_json::Value;

use serde_json::json;

use crate::{both_engines, common::*};

/// Runs `galley <args>`; returns (success, stdout parsed as JSON or Null, stderr).
pub fn galley(args: &[&str]) -> (bool, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .env_remove("GALLEY_DATABASE_URL")
        .output()
        .expect("run galley");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (output.status.success(), json, stderr)
}

both_engines!(cli_provisions_a_working_integration, |engine| async move {
    let db = TestDb::new(engine).await;
    let url = db.url.as_str();
    let (ok, out, err) = galley(&["migrate", "--database-url", url, "--json"]);
    assert!(ok, "{err}");
    assert_eq!(out["migrated"], true);

    let (ok, company, err) = galley(&[
        "company",
        "create",
        "--name",
        "Acme",
        "--base-currency",
        "inr",
        "--admin-email",
        "Boss@Acme.test",
        "--admin-password",
        "s3cret-pass",
        "--json",
        "--database-url",
        url,
    ]);
    assert!(ok, "{err}");
    let company_id = company["company_id"].as_i64().unwrap();
    assert!(company["admin_id"].as_i64().is_some());
    let company_arg = company_id.to_string();

    let (ok, client, err) = galley(&[
        "client",
        "create",
        "--company",
        &company_arg,
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--scopes",
        "plum_pro_api,xoxo_link",
        "--grant-types",
        "refresh_token,client_credentials",
        "--json",
        "--database-url",
        url,
    ]);
    assert!(ok, "{err}");
    let client_id = client["client_id"].as_str().unwrap().to_string();
    assert!(client["client_secret"]
        .as_str()
        .unwrap()
        .starts_with("gly_cs_"));

    let (ok, tokens, err) = galley(&[
        "token",
        "issue",
        "--client-id",
        &client_id,
        "--admin-email",
        "boss@acme.test",
        "--scopes",
        "plum_pro_api",
        "--json",
        "--database-url",
        url,
    ]);
    assert!(ok, "{err}");
    assert!(tokens["access_token"]
        .as_str()
        .unwrap()
        .starts_with("gly_at_"));
    assert!(tokens["refresh_token"]
        .as_str()
        .unwrap()
        .starts_with("gly_rt_"));
    assert_eq!(tokens["expires_in"], 2592000);

    let (ok, funds, err) = galley(&[
        "funds",
        "add",
        "--company",
        &company_arg,
        "--amount",
        "1000.50",
        "--json",
        "--database-url",
        url,
    ]);
    assert!(ok, "{err}");
    assert_eq!(funds["balance"], 1000.5);
    let (_, funds, _) = galley(&[
        "funds",
        "add",
        "--company",
        &company_arg,
        "--amount",
        "20",
        "--json",
        "--database-url",
        url,
    ]);
    assert_eq!(funds["balance"], 1020.5);

    let (ok, rotated, err) = galley(&[
        "client",
        "rotate-secret",
        "--client-id",
        &client_id,
        "--json",
        "--database-url",
        url,
    ]);
    assert!(ok, "{err}");
    assert_ne!(rotated["client_secret"], client["client_secret"]);

    // The CLI's tokens work against a server on the same database.
    let app = TestApp::spawn_with(engine, |c| {
        c.database_url = galley::config::Redacted(db.url.clone())
    })
    .await;
    assert_eq!(
        app.validate(tokens["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    let old = Client {
        id: client_id.clone(),
        secret: client["client_secret"].as_str().unwrap().into(),
    };
    assert_eq!(
        app.refresh(&old, tokens["refresh_token"].as_str().unwrap())
            .await
            .0,
        401
    );
    let new = Client {
        id: client_id,
        secret: rotated["client_secret"].as_str().unwrap().into(),
    };
    assert_eq!(
        app.refresh(&new, tokens["refresh_token"].as_str().unwrap())
            .await
            .0,
        200
    );
});

both_engines!(
    cli_errors_say_what_is_wrong_and_exit_non_zero,
    |engine| async move {
        let db = TestDb::new(engine).await;
        let url = db.url.as_str();
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec![
                    "company",
                    "create",
                    "--name",
                    "A",
                    "--base-currency",
                    "RUPEES",
                    "--admin-email",
                    "a@b.test",
                    "--admin-password",
                    "longenough",
                ],
                "currency",
            ),
            (
                vec![
                    "company",
                    "create",
                    "--name",
                    "A",
                    "--base-currency",
                    "INR",
                    "--admin-email",
                    "not-an-email",
                    "--admin-password",
                    "longenough",
                ],
                "e-mail",
            ),
            (
                vec![
                    "company",
                    "create",
                    "--name",
                    "A",
                    "--base-currency",
                    "INR",
                    "--admin-email",
                    "a@b.test",
                    "--admin-password",
                    "short",
                ],
                "password",
            ),
            (
                vec![
                    "client",
                    "create",
                    "--company",
                    "999",
                    "--name",
                    "X",
                    "--redirect-uri",
                    "https://x.test/cb",
                    "--scopes",
                    "plum_pro_api",
                ],
                "company not found",
            ),
            (
                vec![
                    "client",
                    "create",
                    "--company",
                    "1",
                    "--name",
                    "X",
                    "--redirect-uri",
                    "http://x.test/cb",
                    "--scopes",
                    "plum_pro_api",
                ],
                "redirect URI",
            ),
            (
                vec!["client", "rotate-secret", "--client-id", "nope"],
                "client not found",
            ),
            (
                vec!["funds", "add", "--company", "999", "--amount", "10"],
                "company not found",
            ),
        ];
        for (mut args, expected) in cases {
            args.extend(["--database-url", url]);
            let (ok, _, err) = galley(&args);
            assert!(!ok, "{args:?} should fail");
            assert!(err.contains(expected), "{args:?}: {err}");
        }
        let (ok, _, err) = galley(&["migrate", "--database-url", "mysql://x"]);
        assert!(!ok && err.contains("database_url"), "{err}");
    }
);

both_engines!(
    config_file_environment_and_flags_are_layered,
    |engine| async move {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("galley.toml");
        std::fs::write(
            &file,
            format!("database_url = \"{}\"\naccess_token_ttl = 600\n", db.url),
        )
        .unwrap();
        let (ok, company, err) = galley(&[
            "company",
            "create",
            "--name",
            "Cfg",
            "--base-currency",
            "EUR",
            "--admin-email",
            "cfg@cfg.test",
            "--admin-password",
            "long-enough",
            "--json",
            "--config",
            file.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        let company_arg = company["company_id"].to_string();
        let (ok, client, err) = galley(&[
            "client",
            "create",
            "--company",
            &company_arg,
            "--name",
            "Cfg",
            "--redirect-uri",
            "https://cfg.test/cb",
            "--scopes",
            "plum_pro_api",
            "--json",
            "--config",
            file.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        let client_id = client["client_id"].as_str().unwrap();
        // The file's TTL applies...
        let (ok, tokens, err) = galley(&[
            "token",
            "issue",
            "--client-id",
            client_id,
            "--admin-email",
            "cfg@cfg.test",
            "--scopes",
            "plum_pro_api",
            "--json",
            "--config",
            file.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        assert_eq!(tokens["expires_in"], 600);
        // ...and the environment overrides the file.
        let output = Command::new(env!("CARGO_BIN_EXE_galley"))
            .args([
                "token",
                "issue",
                "--client-id",
                client_id,
                "--admin-email",
                "cfg@cfg.test",
                "--scopes",
                "plum_pro_api",
                "--json",
            ])
            .args(["--config", file.to_str().unwrap()])
            .env("GALLEY_ACCESS_TOKEN_TTL", "900")
            .output()
            .unwrap();
        let tokens: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(tokens["expires_in"], 900);
        // A wrong type or an unknown key in the file is refused with its name.
        std::fs::write(&file, "access_token_ttl = \"soon\"\n").unwrap();
        let (ok, _, err) = galley(&["migrate", "--config", file.to_str().unwrap()]);
        assert!(!ok && err.contains("access_token_ttl"), "{err}");
        std::fs::write(&file, "acces_token_ttl = 5\n").unwrap();
        let (ok, _, err) = galley(&["migrate", "--config", file.to_str().unwrap()]);
        assert!(!ok && err.contains("acces_token_ttl"), "{err}");
    }
);

both_engines!(
    json_logs_carry_request_ids_and_never_tokens,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_galley"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &app.test_db.url,
            ])
            .env("GALLEY_LOG_FORMAT", "json")
            .env("GALLEY_LOG_LEVEL", "debug")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if app
                .http
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let response = app
            .http
            .get(format!("{base}/v1/oauth/token"))
            .bearer_auth(&s.tokens.access)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = json!({"grant_type": "refresh_token", "refresh_token": s.tokens.refresh, "client_id": s.client.id, "client_secret": s.client.secret});
        app.http
            .post(format!("{base}/v1/oauth/token/user"))
            .json(&body)
            .send()
            .await
            .unwrap();
        // SIGTERM: graceful shutdown.
        send_sigterm(child.id());
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "graceful shutdown exits 0");
        let logs = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<Value> = logs
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
            .collect();
        assert!(
            lines.iter().any(|l| l["span"]["request_id"]
                .as_str()
                .is_some_and(|id| id.len() == 32)),
            "{logs}"
        );
        for secret in [&s.tokens.access, &s.tokens.refresh, &s.client.secret] {
            assert!(!logs.contains(secret.as_str()), "a secret was logged");
        }
    }
);

/// Sends SIGTERM through the `kill` command (no libc dependency).
fn send_sigterm(pid: u32) {
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

both_engines!(
    cli_public_apps_signup_company_and_approval,
    |engine| async move {
        let db = TestDb::new(engine).await;
        let url = db.url.as_str();
        let mut ids = Vec::new();
        for (name, email) in [("Vendor", "v@vendor.test"), ("Customer", "c@customer.test")] {
            let (ok, out, err) = galley(&[
                "company",
                "create",
                "--name",
                name,
                "--base-currency",
                "INR",
                "--admin-email",
                email,
                "--admin-password",
                "long-enough",
                "--json",
                "--database-url",
                url,
            ]);
            assert!(ok, "{err}");
            ids.push(out["company_id"].to_string());
        }
        let base = [
            "client",
            "create",
            "--company",
            &ids[0],
            "--name",
            "Market",
            "--redirect-uri",
            "https://m.test/cb",
            "--scopes",
            "user_session",
        ];
        let mut private: Vec<&str> = base.to_vec();
        private.extend(["--signup-company", &ids[1], "--database-url", url]);
        let (ok, _, err) = galley(&private);
        assert!(!ok && err.contains("public app"), "{err}");
        let mut public: Vec<&str> = base.to_vec();
        public.extend([
            "--public",
            "--signup-company",
            &ids[1],
            "--json",
            "--database-url",
            url,
        ]);
        let (ok, out, err) = galley(&public);
        assert!(ok, "{err}");
        let client_id = out["client_id"].as_str().unwrap();
        let (ok, out, err) = galley(&[
            "client",
            "approve",
            "--client-id",
            client_id,
            "--json",
            "--database-url",
            url,
        ]);
        assert!(ok, "{err}");
        assert_eq!(out["approved"], true);
    }
);
