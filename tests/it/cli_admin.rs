//! The operator's commands for clients (list, show, update, delete), admins
//! (add, remove, list), deducting funds and revoking tokens, run as the
//! `galley` binary on both engines, in text and `--json`.

use std::process::Command;

use serde_json::Value;

use crate::{
    both_engines,
    cli::{client_create, company_create, galley, galley_env},
    common::*,
};

/// Runs `galley <args>` for its text output: (success, stdout, stderr).
fn galley_text(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .env_remove("GALLEY_DATABASE_URL")
        .env_remove("GALLEY_ADMIN_PASSWORD")
        .output()
        .expect("run galley");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// `galley <args> --json --database-url <url>`, which must succeed.
fn ok_json(url: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--json", "--database-url", url]);
    let (ok, out, err) = galley(&all);
    assert!(ok, "{all:?}: {err}");
    out
}

/// `galley <args> --database-url <url>` in text, which must succeed.
fn ok_text(url: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    let (ok, out, err) = galley_text(&all);
    assert!(ok, "{all:?}: {err}");
    out
}

/// `galley <args> --database-url <url>`, which must fail with a message
/// containing `expected`; nothing is printed on stdout.
fn fails(url: &str, args: &[&str], expected: &str) {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    let (ok, out, err) = galley_text(&all);
    assert!(!ok, "{all:?} should fail");
    assert!(out.is_empty(), "{all:?} printed {out}");
    assert!(err.contains(expected), "{all:?}: {err}");
}

/// A company with super admin `email`; returns its id as text.
fn new_company(url: &str, name: &str, email: &str) -> String {
    let out = ok_json(url, &company_create(name, "INR", email, "long-enough"));
    out["company_id"].to_string()
}

/// A client of `company` with the given extra flags; returns (id, secret).
fn client(url: &str, company: &str, name: &str, extra: &[&str]) -> (String, String) {
    let mut args = client_create(company, name, "https://app.test/cb", "plum_pro_api");
    args.extend(extra);
    let out = ok_json(url, &args);
    (
        out["client_id"].as_str().unwrap().to_string(),
        out["client_secret"].as_str().unwrap().to_string(),
    )
}

/// `galley token issue --json` for `email` through `client_id`.
fn issue(url: &str, client_id: &str, email: &str) -> Value {
    ok_json(
        url,
        &[
            "token",
            "issue",
            "--client-id",
            client_id,
            "--admin-email",
            email,
            "--scopes",
            "plum_pro_api",
        ],
    )
}

both_engines!(client_list_show_update_delete, |engine| async move {
    let db = crate::cli::migrated(engine).await;
    let url = db.url.as_str();
    let company = new_company(url, "Acme", "boss@acme.test");
    let (first, first_secret) = client(url, &company, "Shop", &[]);
    let (second, second_secret) = client(
        url,
        &company,
        "Market",
        &["--public", "--grant-types", "authorization_code"],
    );

    let list = ok_json(url, &["client", "list", "--company", &company]);
    let clients = list["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 2);
    let shop = clients.iter().find(|c| c["client_id"] == first).unwrap();
    assert_eq!(shop["name"], "Shop");
    assert_eq!(shop["visibility"], "private");
    assert_eq!(shop["approved"], false);
    assert_eq!(shop["redirect_uri"], "https://app.test/cb");
    assert_eq!(shop["scopes"], serde_json::json!(["plum_pro_api"]));
    assert_eq!(
        shop["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    let market = clients.iter().find(|c| c["client_id"] == second).unwrap();
    assert_eq!(market["visibility"], "public");
    assert_eq!(
        market["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    let text = ok_text(url, &["client", "list", "--company", &company]);
    assert!(text.contains(&first) && text.contains(&second), "{text}");
    assert!(text.contains("not approved"), "{text}");
    for secret in [&first_secret, &second_secret] {
        assert!(!list.to_string().contains(secret.as_str()));
        assert!(!text.contains(secret.as_str()));
    }
    assert!(!list.to_string().contains("secret"), "{list}");

    let shown = ok_json(url, &["client", "show", "--client-id", &first]);
    assert_eq!(&shown, shop);
    let text = ok_text(url, &["client", "show", "--client-id", &first]);
    assert!(
        text.contains("Shop") && text.contains("https://app.test/cb"),
        "{text}"
    );
    assert!(!text.contains(first_secret.as_str()));

    // Update: nothing to do, a bad value (nothing changes), then both.
    fails(
        url,
        &["client", "update", "--client-id", &first],
        "nothing to update",
    );
    fails(
        url,
        &[
            "client",
            "update",
            "--client-id",
            &first,
            "--name",
            "Renamed",
            "--redirect-uri",
            "http://evil.test/cb",
        ],
        "redirect URI",
    );
    let shown = ok_json(url, &["client", "show", "--client-id", &first]);
    assert_eq!(shown["name"], "Shop");
    let updated = ok_json(
        url,
        &[
            "client",
            "update",
            "--client-id",
            &first,
            "--name",
            "Shop Two",
            "--redirect-uri",
            "https://shop.test/callback",
        ],
    );
    assert_eq!(updated["name"], "Shop Two");
    assert_eq!(updated["redirect_uri"], "https://shop.test/callback");
    let text = ok_text(
        url,
        &[
            "client",
            "update",
            "--client-id",
            &first,
            "--name",
            "Shop Three",
        ],
    );
    assert!(
        text.contains("updated") && text.contains("Shop Three"),
        "{text}"
    );
    let shown = ok_json(url, &["client", "show", "--client-id", &first]);
    assert_eq!(shown["name"], "Shop Three");
    assert_eq!(shown["redirect_uri"], "https://shop.test/callback");

    // Delete: once in JSON, once in text; then it is gone.
    let deleted = ok_json(url, &["client", "delete", "--client-id", &first]);
    assert_eq!(deleted["deleted"], true);
    let text = ok_text(url, &["client", "delete", "--client-id", &second]);
    assert!(text.contains("deleted"), "{text}");
    let list = ok_json(url, &["client", "list", "--company", &company]);
    assert_eq!(list["clients"], serde_json::json!([]));

    // What is missing is named.
    for args in [
        vec!["client", "show", "--client-id", &first],
        vec!["client", "delete", "--client-id", &first],
        vec!["client", "update", "--client-id", &first, "--name", "X"],
    ] {
        fails(url, &args, &format!("client {first} not found"));
    }
    fails(
        url,
        &["client", "show", "--client-id", "nope"],
        "client nope not found",
    );
    fails(
        url,
        &["client", "list", "--company", "999"],
        "company 999 not found",
    );
});

both_engines!(
    admin_add_list_remove_keeps_a_super_admin,
    |engine| async move {
        let db = crate::cli::migrated(engine).await;
        let url = db.url.as_str();
        let company = new_company(url, "Acme", "boss@acme.test");

        // Added from the environment's password, in text...
        let mut args = vec![
            "admin",
            "add",
            "--company",
            &company,
            "--email",
            "Clerk@Acme.test",
        ];
        args.extend(["--database-url", url]);
        let (ok, _, err) = galley_env(&args, &[("GALLEY_ADMIN_PASSWORD", "long-enough")]);
        assert!(ok, "{err}");
        // ...and with the flag, in JSON.
        let added = ok_json(
            url,
            &[
                "admin",
                "add",
                "--company",
                &company,
                "--email",
                "deputy@acme.test",
                "--password",
                "long-enough",
            ],
        );
        assert_eq!(added["email"], "deputy@acme.test");
        assert_eq!(added["role"], "admin");
        assert!(added["admin_id"].as_i64().is_some());
        let text = ok_text(
            url,
            &[
                "admin",
                "add",
                "--company",
                &company,
                "--email",
                "owner2@acme.test",
                "--password",
                "long-enough",
                "--super",
            ],
        );
        assert!(
            text.contains("super_admin owner2@acme.test added"),
            "{text}"
        );

        // E-mail addresses are unique across companies; bad input is named.
        let other = new_company(url, "Other", "boss@other.test");
        let add = |company: &str, email: &str, password: &str| {
            vec![
                "admin",
                "add",
                "--company",
                company,
                "--email",
                email,
                "--password",
                password,
            ]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
        };
        for (args, expected) in [
            (
                add(&other, "clerk@acme.test", "long-enough"),
                "already exists",
            ),
            (
                add(&other, "BOSS@acme.test", "long-enough"),
                "already exists",
            ),
            (
                add("999", "new@x.test", "long-enough"),
                "company 999 not found",
            ),
            (add(&other, "not-an-email", "long-enough"), "e-mail"),
            (add(&other, "new@x.test", "short"), "password"),
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            fails(url, &args, expected);
        }

        let list = ok_json(url, &["admin", "list", "--company", &company]);
        let admins: Vec<(String, String)> = list["admins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                assert!(a.get("password_hash").is_none());
                (
                    a["email"].as_str().unwrap().to_string(),
                    a["role"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let pair = |e: &str, r: &str| (e.to_string(), r.to_string());
        assert_eq!(
            admins,
            vec![
                pair("boss@acme.test", "super_admin"),
                pair("owner2@acme.test", "super_admin"),
                pair("clerk@acme.test", "admin"),
                pair("deputy@acme.test", "admin"),
            ]
        );
        let text = ok_text(url, &["admin", "list", "--company", &company]);
        assert!(text.contains("clerk@acme.test  admin"), "{text}");
        assert!(!text.contains("argon2"), "{text}");
        fails(
            url,
            &["admin", "list", "--company", "999"],
            "company 999 not found",
        );

        // A removed admin's tokens stop working.
        let (client_id, _) = client(url, &company, "Shop", &[]);
        let tokens = issue(url, &client_id, "deputy@acme.test");
        let app = TestApp::spawn_with(engine, |c| {
            c.database_url = galley::config::Redacted(db.url.clone())
        })
        .await;
        assert_eq!(app.validate_reply(&tokens).await, 200);
        let removed = ok_json(url, &["admin", "remove", "--email", "deputy@acme.test"]);
        assert_eq!(removed["removed"], true);
        assert_eq!(removed["email"], "deputy@acme.test");
        assert_eq!(app.validate_reply(&tokens).await, 401);
        let text = ok_text(url, &["admin", "remove", "--email", "clerk@acme.test"]);
        assert!(text.contains("clerk@acme.test removed"), "{text}");
        fails(
            url,
            &["admin", "remove", "--email", "clerk@acme.test"],
            "admin clerk@acme.test not found",
        );

        // Two super admins: one may go, the last may not.
        ok_json(url, &["admin", "remove", "--email", "boss@acme.test"]);
        fails(
            url,
            &["admin", "remove", "--email", "owner2@acme.test"],
            "last super admin",
        );
        fails(
            url,
            &["admin", "remove", "--email", "boss@other.test"],
            "last super admin",
        );
        let list = ok_json(url, &["admin", "list", "--company", &company]);
        assert_eq!(list["admins"].as_array().unwrap().len(), 1);
        assert_eq!(list["admins"][0]["email"], "owner2@acme.test");
    }
);

both_engines!(funds_deduct_never_goes_below_zero, |engine| async move {
    let db = crate::cli::migrated(engine).await;
    let url = db.url.as_str();
    let company = new_company(url, "Acme", "boss@acme.test");
    let out = ok_json(
        url,
        &["funds", "add", "--company", &company, "--amount", "100"],
    );
    assert_eq!(out["balance"], 100.0);
    let out = ok_json(
        url,
        &[
            "funds",
            "deduct",
            "--company",
            &company,
            "--amount",
            "30.50",
        ],
    );
    assert_eq!(out["balance"], 69.5);
    assert_eq!(out["currency"], "INR");

    // Below zero: refused, the balance unchanged.
    fails(
        url,
        &[
            "funds",
            "deduct",
            "--company",
            &company,
            "--amount",
            "69.51",
        ],
        "may not go below zero",
    );
    for bad in ["0", "-5", "abc", "1.001"] {
        fails(
            url,
            &["funds", "deduct", "--company", &company, "--amount", bad],
            "",
        );
    }
    fails(
        url,
        &["funds", "deduct", "--company", "999", "--amount", "1"],
        "company 999 not found",
    );
    let text = ok_text(
        url,
        &[
            "funds",
            "deduct",
            "--company",
            &company,
            "--amount",
            "69.50",
        ],
    );
    assert!(
        text.contains(&format!("balance of company {company}")),
        "{text}"
    );
    fails(
        url,
        &["funds", "deduct", "--company", &company, "--amount", "0.01"],
        "may not go below zero",
    );
    let out = ok_json(
        url,
        &["funds", "add", "--company", &company, "--amount", "1"],
    );
    assert_eq!(out["balance"], 1.0);

    // The balance is still the sum of the ledger entries.
    let out = ok_json(url, &["check"]);
    assert_eq!(out["ok"], true, "{out}");
});

both_engines!(token_revoke_stops_validation, |engine| async move {
    let db = crate::cli::migrated(engine).await;
    let url = db.url.as_str();
    let company = new_company(url, "Acme", "boss@acme.test");
    let (client_id, secret) = client(url, &company, "Shop", &[]);
    let app = TestApp::spawn_with(engine, |c| {
        c.database_url = galley::config::Redacted(db.url.clone())
    })
    .await;

    // An access token: only itself.
    let first = issue(url, &client_id, "boss@acme.test");
    let second = issue(url, &client_id, "boss@acme.test");
    assert_eq!(app.validate_reply(&first).await, 200);
    let access = first["access_token"].as_str().unwrap();
    let out = ok_json(url, &["token", "revoke", "--token", access]);
    assert_eq!(out["revoked"], true);
    assert_eq!(out["kind"], "access");
    assert_eq!(out["revoked_tokens"], 1);
    assert_eq!(app.validate_reply(&first).await, 401);
    assert_eq!(app.validate_reply(&second).await, 200);
    // Revoking it again changes nothing and is no error.
    let out = ok_json(url, &["token", "revoke", "--token", access]);
    assert_eq!(out["revoked_tokens"], 0);

    // A refresh token: its whole grant (RFC 7009).
    let refresh = second["refresh_token"].as_str().unwrap();
    let text = ok_text(url, &["token", "revoke", "--token", refresh]);
    assert!(
        text.contains("refresh token") && text.contains("revoked"),
        "{text}"
    );
    assert_eq!(app.validate_reply(&second).await, 401);
    let client = Client {
        id: client_id.clone(),
        secret,
    };
    assert_eq!(app.refresh(&client, refresh).await.0, 400);

    fails(
        url,
        &["token", "revoke", "--token", "gly_at_unknown"],
        "token not found",
    );
});

both_engines!(
    token_issue_gives_refresh_only_with_the_grant,
    |engine| async move {
        let db = crate::cli::migrated(engine).await;
        let url = db.url.as_str();
        let company = new_company(url, "Acme", "boss@acme.test");
        let (without, _) = client(
            url,
            &company,
            "NoRefresh",
            &["--grant-types", "authorization_code"],
        );
        let (with, _) = client(url, &company, "Refresh", &[]);

        let out = issue(url, &without, "boss@acme.test");
        assert!(out["access_token"].as_str().unwrap().starts_with("gly_at_"));
        assert!(out.get("refresh_token").is_none(), "{out}");
        let args = [
            "token",
            "issue",
            "--client-id",
            &without,
            "--admin-email",
            "boss@acme.test",
            "--scopes",
            "plum_pro_api",
        ];
        let text = ok_text(url, &args);
        assert!(
            text.contains("access_token:") && !text.contains("refresh_token"),
            "{text}"
        );
        assert!(!text.contains("gly_rt_"), "{text}");

        let out = issue(url, &with, "boss@acme.test");
        assert!(out["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("gly_rt_"));
        let args = [
            "token",
            "issue",
            "--client-id",
            &with,
            "--admin-email",
            "boss@acme.test",
            "--scopes",
            "plum_pro_api",
        ];
        let text = ok_text(url, &args);
        assert!(text.contains("refresh_token: gly_rt_"), "{text}");
    }
);
