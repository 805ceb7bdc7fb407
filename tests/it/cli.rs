//! The `galley` binary's administrative commands, run as a user would, with
//! `--json` output and `--database-url` after the subcommand.

use std::process::Command;

use serde_json::Value;

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
        "company", "create", "--name", "Acme", "--base-currency", "inr", "--admin-email", "Boss@Acme.test",
        "--admin-password", "s3cret-pass", "--json", "--database-url", url,
    ]);
    assert!(ok, "{err}");
    let company_id = company["company_id"].as_i64().unwrap();
    assert!(company["admin_id"].as_i64().is_some());
    let company_arg = company_id.to_string();

    let (ok, client, err) = galley(&[
        "client", "create", "--company", &company_arg, "--name", "Shop", "--redirect-uri",
        "https://shop.example.com/cb", "--scopes", "plum_pro_api,xoxo_link", "--grant-types",
        "refresh_token,client_credentials", "--json", "--database-url", url,
    ]);
    assert!(ok, "{err}");
    let client_id = client["client_id"].as_str().unwrap().to_string();
    assert!(client["client_secret"].as_str().unwrap().starts_with("gly_cs_"));

    let (ok, tokens, err) = galley(&[
        "token", "issue", "--client-id", &client_id, "--admin-email", "boss@acme.test", "--scopes", "plum_pro_api",
        "--json", "--database-url", url,
    ]);
    assert!(ok, "{err}");
    assert!(tokens["access_token"].as_str().unwrap().starts_with("gly_at_"));
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("gly_rt_"));
    assert_eq!(tokens["expires_in"], 2592000);

    let (ok, funds, err) =
        galley(&["funds", "add", "--company", &company_arg, "--amount", "1000.50", "--json", "--database-url", url]);
    assert!(ok, "{err}");
    assert_eq!(funds["balance"], 1000.5);
    let (_, funds, _) = galley(&["funds", "add", "--company", &company_arg, "--amount", "20", "--json", "--database-url", url]);
    assert_eq!(funds["balance"], 1020.5);

    let (ok, rotated, err) = galley(&["client", "rotate-secret", "--client-id", &client_id, "--json", "--database-url", url]);
    assert!(ok, "{err}");
    assert_ne!(rotated["client_secret"], client["client_secret"]);

    // The CLI's tokens work against a server on the same database.
    let app = TestApp::spawn_with(engine, |c| c.database_url = galley::config::Redacted(db.url.clone())).await;
    assert_eq!(app.validate(tokens["access_token"].as_str().unwrap()).await.0, 200);
    let old = Client { id: client_id.clone(), secret: client["client_secret"].as_str().unwrap().into() };
    assert_eq!(app.refresh(&old, tokens["refresh_token"].as_str().unwrap()).await.0, 401);
    let new = Client { id: client_id, secret: rotated["client_secret"].as_str().unwrap().into() };
    assert_eq!(app.refresh(&new, tokens["refresh_token"].as_str().unwrap()).await.0, 200);
});

both_engines!(cli_errors_say_what_is_wrong_and_exit_non_zero, |engine| async move {
    let db = TestDb::new(engine).await;
    let url = db.url.as_str();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["company", "create", "--name", "A", "--base-currency", "RUPEES", "--admin-email", "a@b.test", "--admin-password", "longenough"], "currency"),
        (vec!["company", "create", "--name", "A", "--base-currency", "INR", "--admin-email", "not-an-email", "--admin-password", "longenough"], "e-mail"),
        (vec!["company", "create", "--name", "A", "--base-currency", "INR", "--admin-email", "a@b.test", "--admin-password", "short"], "password"),
        (vec!["client", "create", "--company", "999", "--name", "X", "--redirect-uri", "https://x.test/cb", "--scopes", "plum_pro_api"], "company not found"),
        (vec!["client", "create", "--company", "1", "--name", "X", "--redirect-uri", "http://x.test/cb", "--scopes", "plum_pro_api"], "redirect URI"),
        (vec!["client", "rotate-secret", "--client-id", "nope"], "client not found"),
        (vec!["funds", "add", "--company", "999", "--amount", "10"], "company not found"),
    ];
    for (mut args, expected) in cases {
        args.extend(["--database-url", url]);
        let (ok, _, err) = galley(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let (ok, _, err) = galley(&["migrate", "--database-url", "mysql://x"]);
    assert!(!ok && err.contains("database_url"), "{err}");
});
