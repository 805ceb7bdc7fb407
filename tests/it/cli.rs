//! The `galley` binary's administrative commands, run as a user would, with
//! `--json` output and `--database-url` after the subcommand.

use std::process::Command;

use serde_json::{json, Value};

use crate::{both_engines, common::*, concurrency::serve_command};

/// Runs `galley <args>`; returns (success, stdout parsed as JSON or Null, stderr).
pub fn galley(args: &[&str]) -> (bool, Value, String) {
    galley_env(args, &[])
}

/// Like [`galley`] with extra environment variables.
pub fn galley_env(args: &[&str], env: &[(&str, &str)]) -> (bool, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .env_remove("GALLEY_DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("run galley");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let json: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    // With --json an error is `{"error":{"code","message"}}` on stdout.
    let err = match json["error"]["message"].as_str() {
        Some(message) => message.to_string(),
        None => stderr,
    };
    (output.status.success(), json, err)
}

/// The arguments of `galley company create`; callers add the rest.
pub fn company_create<'a>(
    name: &'a str,
    currency: &'a str,
    email: &'a str,
    password: &'a str,
) -> Vec<&'a str> {
    vec![
        "company",
        "create",
        "--name",
        name,
        "--base-currency",
        currency,
        "--admin-email",
        email,
        "--admin-password",
        password,
    ]
}

/// The arguments of `galley client create`; callers add the rest.
pub fn client_create<'a>(
    company: &'a str,
    name: &'a str,
    redirect_uri: &'a str,
    scopes: &'a str,
) -> Vec<&'a str> {
    vec![
        "client",
        "create",
        "--company",
        company,
        "--name",
        name,
        "--redirect-uri",
        redirect_uri,
        "--scopes",
        scopes,
    ]
}

/// A new database made by `galley migrate` (the other commands refuse a
/// SQLite file that does not exist).
pub async fn migrated(engine: Engine) -> TestDb {
    let db = TestDb::new(engine).await;
    let (ok, _, err) = galley(&["migrate", "--database-url", &db.url]);
    assert!(ok, "{err}");
    db
}

/// `galley catalog import --file <file> --json` on `database_url`.
pub fn import_catalog(database_url: &str, file: &str) -> (bool, Value, String) {
    galley(&[
        "catalog",
        "import",
        "--file",
        file,
        "--json",
        "--database-url",
        database_url,
    ])
}

/// `galley codes import` of `file` for one product and denomination, `--json`.
pub fn import_codes(
    database_url: &str,
    product: &str,
    denomination: &str,
    file: &str,
) -> (bool, Value, String) {
    galley(&[
        "codes",
        "import",
        "--product",
        product,
        "--denomination",
        denomination,
        "--file",
        file,
        "--json",
        "--database-url",
        database_url,
    ])
}

/// `galley fx set` of one exchange rate, `--json`.
pub fn fx_set(database_url: &str, from: &str, to: &str, rate: &str) -> (bool, Value, String) {
    galley(&[
        "fx",
        "set",
        "--from",
        from,
        "--to",
        to,
        "--rate",
        rate,
        "--json",
        "--database-url",
        database_url,
    ])
}

both_engines!(cli_provisions_a_working_integration, |engine| async move {
    let db = TestDb::new(engine).await;
    let url = db.url.as_str();
    let (ok, out, err) = galley(&["migrate", "--database-url", url, "--json"]);
    assert!(ok, "{err}");
    assert_eq!(out["migrated"], true);

    let mut args = company_create("Acme", "inr", "Boss@Acme.test", "s3cret-pass");
    args.extend(["--json", "--database-url", url]);
    let (ok, company, err) = galley(&args);
    assert!(ok, "{err}");
    let company_id = company["company_id"].as_i64().unwrap();
    assert!(company["admin_id"].as_i64().is_some());
    let company_arg = company_id.to_string();

    let mut args = client_create(
        &company_arg,
        "Shop",
        "https://shop.example.com/cb",
        "plum_pro_api,xoxo_link",
    );
    args.extend(["--grant-types", "refresh_token,client_credentials"]);
    args.extend(["--json", "--database-url", url]);
    let (ok, client, err) = galley(&args);
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

    let add_funds = |amount: &str| {
        galley(&[
            "funds",
            "add",
            "--company",
            &company_arg,
            "--amount",
            amount,
            "--json",
            "--database-url",
            url,
        ])
    };
    let (ok, funds, err) = add_funds("1000.50");
    assert!(ok, "{err}");
    assert_eq!(funds["balance"], 1000.5);
    let (_, funds, _) = add_funds("20");
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
    assert_eq!(app.validate_reply(&tokens).await, 200);
    // The old secret is refused, the rotated one works.
    for (secret, status) in [
        (&client["client_secret"], 401),
        (&rotated["client_secret"], 200),
    ] {
        let client = Client {
            id: client_id.clone(),
            secret: secret.as_str().unwrap().into(),
        };
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert_eq!(app.refresh(&client, refresh).await.0, status, "{secret}");
    }
});

both_engines!(
    cli_errors_say_what_is_wrong_and_exit_non_zero,
    |engine| async move {
        let db = migrated(engine).await;
        let url = db.url.as_str();
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                company_create("A", "RUPEES", "a@b.test", "longenough"),
                "currency",
            ),
            (
                company_create("A", "INR", "not-an-email", "longenough"),
                "e-mail",
            ),
            (company_create("A", "INR", "a@b.test", "short"), "password"),
            (
                client_create("999", "X", "https://x.test/cb", "plum_pro_api"),
                "company not found",
            ),
            (
                client_create("1", "X", "http://x.test/cb", "plum_pro_api"),
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
        let db = migrated(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("galley.toml");
        std::fs::write(
            &file,
            format!("database_url = \"{}\"\naccess_token_ttl = 600\n", db.url),
        )
        .unwrap();
        let config = file.to_str().unwrap();
        let mut args = company_create("Cfg", "EUR", "cfg@cfg.test", "long-enough");
        args.extend(["--json", "--config", config]);
        let (ok, company, err) = galley(&args);
        assert!(ok, "{err}");
        let company_arg = company["company_id"].to_string();
        let mut args = client_create(&company_arg, "Cfg", "https://cfg.test/cb", "plum_pro_api");
        args.extend(["--json", "--config", config]);
        let (ok, client, err) = galley(&args);
        assert!(ok, "{err}");
        let client_id = client["client_id"].as_str().unwrap();
        let issue = [
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
            config,
        ];
        // The file's TTL applies...
        let (ok, tokens, err) = galley(&issue);
        assert!(ok, "{err}");
        assert_eq!(tokens["expires_in"], 600);
        // ...and the environment overrides the file.
        let (ok, tokens, err) = galley_env(&issue, &[("GALLEY_ACCESS_TOKEN_TTL", "900")]);
        assert!(ok, "{err}");
        assert_eq!(tokens["expires_in"], 900);
        // A wrong type or an unknown key in the file is refused with its name.
        std::fs::write(&file, "access_token_ttl = \"soon\"\n").unwrap();
        let (ok, _, err) = galley(&["migrate", "--config", config]);
        assert!(!ok && err.contains("access_token_ttl"), "{err}");
        std::fs::write(&file, "acces_token_ttl = 5\n").unwrap();
        let (ok, _, err) = galley(&["migrate", "--config", config]);
        assert!(!ok && err.contains("acces_token_ttl"), "{err}");
    }
);

both_engines!(
    json_logs_carry_request_ids_and_never_tokens,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.setup().await;
        let (mut serve, base) = serve_command(&app.test_db.url);
        let child = serve
            .env("GALLEY_LOG_FORMAT", "json")
            .env("GALLEY_LOG_LEVEL", "debug")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_ready(&app.http, &base).await;
        assert_eq!(app.validate_on(&base, &s.tokens.access).await.0, 200);
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
        let db = migrated(engine).await;
        let url = db.url.as_str();
        let mut ids = Vec::new();
        for (name, email) in [("Vendor", "v@vendor.test"), ("Customer", "c@customer.test")] {
            let mut args = company_create(name, "INR", email, "long-enough");
            args.extend(["--json", "--database-url", url]);
            let (ok, out, err) = galley(&args);
            assert!(ok, "{err}");
            ids.push(out["company_id"].to_string());
        }
        let base = client_create(&ids[0], "Market", "https://m.test/cb", "user_session");
        let mut private: Vec<&str> = base.clone();
        private.extend(["--signup-company", &ids[1], "--database-url", url]);
        let (ok, _, err) = galley(&private);
        assert!(!ok && err.contains("public app"), "{err}");
        let mut public: Vec<&str> = base;
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

/// Runs `galley` with `args`: (exit status, stdout as JSON, stderr).
fn galley_status(args: &[&str]) -> (i32, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .env_remove("GALLEY_DATABASE_URL")
        .output()
        .expect("run galley");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), json, stderr)
}

both_engines!(
    cli_errors_have_a_class_an_exit_status_and_a_json_form,
    |engine| async move {
        let db = migrated(engine).await;
        let url = db.url.as_str();
        let mut args = company_create("Acme", "INR", "boss@acme.test", "long-enough");
        args.extend(["--json", "--database-url", url]);
        assert_eq!(galley_status(&args).0, 0);
        // Each class: its exit status, and with --json one object on stdout.
        for (args, status, code, says) in [
            (
                vec!["funds", "add", "--company", "999", "--amount", "10"],
                3,
                "not_found",
                "company not found",
            ),
            (
                vec!["funds", "add", "--company", "1", "--amount", "-5"],
                2,
                "usage",
                "amount",
            ),
            (
                args[..args.len() - 3].to_vec(),
                4,
                "conflict",
                "already exists",
            ),
            (
                vec!["funds", "add", "--company", "1"],
                2,
                "usage",
                "--amount",
            ),
        ] {
            let mut with_json = args.clone();
            with_json.extend(["--json", "--database-url", url]);
            let (exit, out, _) = galley_status(&with_json);
            assert_eq!(exit, status, "{with_json:?}: {out}");
            assert_eq!(out["error"]["code"], code, "{out}");
            assert!(
                out["error"]["message"].as_str().unwrap().contains(says),
                "{out}"
            );
            let mut plain = args.clone();
            plain.extend(["--database-url", url]);
            let (exit, out, err) = galley_status(&plain);
            assert_eq!(
                (exit, out),
                (status, Value::Null),
                "text errors go to stderr"
            );
            assert!(
                err.starts_with("error: ") || err.contains("error:"),
                "{err}"
            );
        }
    }
);

#[test]
fn cli_refuses_a_missing_sqlite_file_and_helps_with_settings() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}/typo.db", dir.path().display());
    let (exit, _, err) = galley_status(&[
        "funds",
        "add",
        "--company",
        "1",
        "--amount",
        "1",
        "--database-url",
        &missing,
    ]);
    assert_eq!(exit, 2, "{err}");
    assert!(
        err.contains("no database at") && err.contains("galley migrate"),
        "{err}"
    );
    assert!(
        !dir.path().join("typo.db").exists(),
        "no empty database was created"
    );

    let config = dir.path().join("galley.toml");
    std::fs::write(&config, "listn = \"127.0.0.1:9\"\n").unwrap();
    let (exit, _, err) = galley_status(&["migrate", "--config", config.to_str().unwrap()]);
    assert_eq!(exit, 2, "{err}");
    assert!(
        err.contains("unknown setting `listn`") && err.contains("did you mean `listen`?"),
        "{err}"
    );
    assert_eq!(err.matches("listn").count(), 1, "said once: {err}");
    assert!(!err.contains("default."), "{err}");

    let created = format!("sqlite://{}/new.db", dir.path().display());
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(["migrate", "--database-url", &created])
        .env("GALLEY_LISTEN", "localhost:8080")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "a host name is a listen address: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
