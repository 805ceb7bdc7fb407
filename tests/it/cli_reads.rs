//! The operator's read commands (`company list|show`, `campaign list|show`,
//! `balance show`, `ledger`, `order show`), run as a user would: text and
//! `--json` output, and the error naming what is missing.

use std::process::Command;

use serde_json::{json, Value};

use crate::{
    both_engines,
    cli::{company_create, galley},
    common::*,
};

/// Runs `galley <args> --database-url <url>` (text output); returns
/// (success, stdout, stderr).
fn galley_text(url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .args(["--database-url", url])
        .env_remove("GALLEY_DATABASE_URL")
        .output()
        .expect("run galley");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// Runs `galley <args> --json --database-url <url>`, asserting success;
/// its JSON object.
#[track_caller]
fn galley_json(url: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--json", "--database-url", url]);
    let (ok, out, err) = galley(&all);
    assert!(ok, "{args:?}: {err}");
    assert!(out.is_object(), "{args:?}: {out}");
    out
}

/// Asserts that `galley <args>` fails (in text and JSON mode) with an error
/// containing `expected`, printing nothing on stdout.
#[track_caller]
fn assert_fails(url: &str, args: &[&str], expected: &str) {
    let (ok, out, err) = galley_text(url, args);
    assert!(!ok, "{args:?} should fail");
    assert!(out.is_empty(), "{args:?}: {out}");
    assert!(err.contains(expected), "{args:?}: {err}");
    let mut all = args.to_vec();
    all.extend(["--json", "--database-url", url]);
    let (ok, _, err) = galley(&all);
    assert!(!ok && err.contains(expected), "{args:?} --json: {err}");
}

/// The catalog, 4 codes of product 101 at 500 INR, a company funded with
/// 10,000 INR, and one order of 2 vouchers (`PO-1`, 975 INR charged); the
/// order's id.
async fn shop_with_order(engine: Engine) -> (TestApp, Setup, i64) {
    let app = TestApp::spawn(engine).await;
    let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, "10000").await;
    let data = json!({"productId": 101, "quantity": 2, "denomination": "500", "email": "rx@shop.test",
                      "tag": "diwali", "poNumber": "PO-1", "notifyReceiverEmail": 0});
    let (status, body) = app
        .api(
            &s.tokens.access,
            json!({"tag": "plumProAPI", "query": "plumProAPI.mutation.placeOrder",
                   "variables": {"data": data}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let order = &body["data"]["placeOrder"]["data"];
    assert_eq!(order["amountCharged"], 975, "{body}");
    let order_id = order["orderId"].as_i64().unwrap();
    (app, s, order_id)
}

both_engines!(company_list_and_show, |engine| async move {
    let db = crate::cli::migrated(engine).await;
    let url = db.url.as_str();
    let mut args = company_create("Acme", "INR", "boss@acme.test", "long-enough");
    args.extend(["--country", "IN", "--json", "--database-url", url]);
    let (ok, acme, err) = galley(&args);
    assert!(ok, "{err}");
    let acme = acme["company_id"].as_i64().unwrap();
    let mut args = company_create("Globex", "USD", "g@globex.test", "long-enough");
    args.extend(["--json", "--database-url", url]);
    let (ok, globex, err) = galley(&args);
    assert!(ok, "{err}");
    let globex = globex["company_id"].as_i64().unwrap();
    let acme_arg = acme.to_string();
    galley_json(
        url,
        &[
            "funds",
            "add",
            "--company",
            &acme_arg,
            "--amount",
            "1000.50",
        ],
    );

    let list = galley_json(url, &["company", "list"]);
    assert_eq!(
        list,
        json!({"companies": [
            {"company_id": acme, "name": "Acme", "base_currency": "INR", "country": "IN", "balance": 1000.5},
            {"company_id": globex, "name": "Globex", "base_currency": "USD", "country": null, "balance": 0},
        ]})
    );
    let (ok, text, err) = galley_text(url, &["company", "list"]);
    assert!(ok, "{err}");
    assert!(
        text.contains(&format!("{acme}\tAcme\tINR\tIN\t1000.50 INR")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{globex}\tGlobex\tUSD\t-\t0.00 USD")),
        "{text}"
    );

    // A second admin and a client.
    let mut client = crate::cli::client_create(
        &acme_arg,
        "Shop",
        "https://shop.example.com/cb",
        "plum_pro_api",
    );
    client.extend(["--json", "--database-url", url]);
    let (ok, _, err) = galley(&client);
    assert!(ok, "{err}");

    let show = galley_json(url, &["company", "show", "--id", &acme_arg]);
    assert_eq!(show["company_id"], acme);
    assert_eq!(show["name"], "Acme");
    assert_eq!(show["base_currency"], "INR");
    assert_eq!(show["country"], "IN");
    assert_eq!(show["balance"], 1000.5);
    assert_eq!(show["currency"], "INR");
    assert_eq!(show["client_count"], 1);
    let admins = show["admins"].as_array().unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["email"], "boss@acme.test");
    assert_eq!(admins[0]["role"], "super_admin");
    assert!(admins[0]["admin_id"].is_i64());
    let (ok, text, err) = galley_text(url, &["company", "show", "--id", &acme_arg]);
    assert!(ok, "{err}");
    for line in [
        "company 1: Acme",
        "balance: 1000.50 INR",
        "clients: 1",
        "boss@acme.test (super_admin)",
    ] {
        let line = line.replace("company 1", &format!("company {acme}"));
        assert!(text.contains(&line), "{line} in {text}");
    }

    assert_fails(
        url,
        &["company", "show", "--id", "999"],
        "company 999 not found",
    );
});

both_engines!(balance_show, |engine| async move {
    let db = crate::cli::migrated(engine).await;
    let url = db.url.as_str();
    let mut args = company_create("Acme", "INR", "boss@acme.test", "long-enough");
    args.extend(["--json", "--database-url", url]);
    let (ok, acme, err) = galley(&args);
    assert!(ok, "{err}");
    let id = acme["company_id"].to_string();
    let empty = galley_json(url, &["balance", "show", "--company", &id]);
    assert_eq!(empty["balance"], 0);
    galley_json(
        url,
        &["funds", "add", "--company", &id, "--amount", "1000.50"],
    );
    let funded = galley_json(url, &["balance", "show", "--company", &id]);
    assert_eq!(
        funded,
        json!({"company_id": acme["company_id"], "balance": 1000.5, "currency": "INR"})
    );
    assert!(funded["balance"].is_number());
    let (ok, text, err) = galley_text(url, &["balance", "show", "--company", &id]);
    assert!(ok, "{err}");
    assert_eq!(text.trim(), format!("balance of company {id}: 1000.50 INR"));
    assert_fails(
        url,
        &["balance", "show", "--company", "999"],
        "company 999 not found",
    );
});

both_engines!(
    ledger_lists_entries_with_the_running_balance,
    |engine| async move {
        let (app, s, order_id) = shop_with_order(engine).await;
        let url = app.test_db.url.clone();
        let url = url.as_str();
        let id = s.company_id.to_string();

        let ledger = galley_json(url, &["ledger", "--company", &id]);
        assert_eq!(ledger["company_id"], s.company_id);
        let entries = ledger["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{ledger}");
        let (fund, charge) = (&entries[0], &entries[1]);
        assert_eq!(fund["amount"], 10000);
        assert_eq!(fund["balance"], 10000);
        assert_eq!(fund["currency"], "INR");
        assert_eq!(charge["amount"], -975);
        assert_eq!(charge["balance"], 9025);
        assert!(
            charge["reference"]
                .as_str()
                .is_some_and(|r| r.contains(&order_id.to_string())),
            "{charge}"
        );
        for e in entries {
            assert!(e["entry_id"].is_i64() && e["kind"].is_string(), "{e}");
            let at = e["created_at"].as_str().unwrap();
            assert!(
                at.len() == 24 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
                "{at}"
            );
        }
        assert!(entries[0]["entry_id"].as_i64() < entries[1]["entry_id"].as_i64());

        // CSV by default: a header, then one line per entry.
        let (ok, csv, err) = galley_text(url, &["ledger", "--company", &id]);
        assert!(ok, "{err}");
        let lines: Vec<&str> = csv.trim_end().lines().collect();
        assert_eq!(
            lines[0],
            "entry_id,created_at,kind,amount,currency,reference,balance"
        );
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(
            lines[1].contains(",10000.00,INR,") && lines[1].ends_with(",10000.00"),
            "{csv}"
        );
        assert!(
            lines[2].contains(",-975.00,INR,") && lines[2].ends_with(",9025.00"),
            "{csv}"
        );

        // Days are UTC and both ends are included.
        let today = galley::clock::day(app.clock_ms());
        let within = galley_json(
            url,
            &["ledger", "--company", &id, "--from", &today, "--to", &today],
        );
        assert_eq!(within["entries"], ledger["entries"]);
        let later = galley_json(url, &["ledger", "--company", &id, "--from", "2999-01-01"]);
        assert_eq!(later["entries"], json!([]));
        let earlier = galley_json(url, &["ledger", "--company", &id, "--to", "2000-01-01"]);
        assert_eq!(earlier["entries"], json!([]));
        let (ok, csv, _) = galley_text(url, &["ledger", "--company", &id, "--from", "2999-01-01"]);
        assert!(ok);
        assert_eq!(
            csv.trim(),
            "entry_id,created_at,kind,amount,currency,reference,balance"
        );

        assert_fails(
            url,
            &["ledger", "--company", "999"],
            "company 999 not found",
        );
        assert_fails(
            url,
            &["ledger", "--company", &id, "--from", "31-01-2024"],
            "--from",
        );
        assert_fails(
            url,
            &[
                "ledger",
                "--company",
                &id,
                "--from",
                "2024-02-01",
                "--to",
                "2024-01-31",
            ],
            "--to is before --from",
        );
    }
);

both_engines!(order_show_masks_the_codes, |engine| async move {
    let (app, s, order_id) = shop_with_order(engine).await;
    let url = app.test_db.url.clone();
    let url = url.as_str();
    let id = s.company_id.to_string();
    let order_arg = order_id.to_string();

    let by_id = galley_json(
        url,
        &["order", "show", "--company", &id, "--id", &order_arg],
    );
    assert_eq!(by_id["order_id"], order_id);
    assert_eq!(by_id["company_id"], s.company_id);
    assert_eq!(by_id["po_number"], "PO-1");
    assert_eq!(by_id["product_id"], 101);
    assert_eq!(by_id["product_name"], "Cafe Coffee Day");
    assert_eq!(by_id["quantity"], 2);
    assert_eq!(by_id["denomination"], 500);
    assert_eq!(by_id["currency"], "INR");
    assert_eq!(by_id["order_total"], 1000);
    assert_eq!(by_id["discount"], 25);
    assert_eq!(by_id["amount_charged"], 975);
    assert_eq!(by_id["base_currency"], "INR");
    assert_eq!(by_id["order_status"], "complete");
    assert_eq!(by_id["delivery_status"], "delivered");
    assert_eq!(by_id["tag"], "diwali");
    assert_eq!(by_id["email"], "rx@shop.test");
    assert_eq!(
        by_id["codes"],
        json!([
            {"code": "********0001", "pin": "****", "validity": "2027-12-31"},
            {"code": "********0002", "pin": "****", "validity": "2027-12-31"},
        ])
    );
    let by_po = galley_json(
        url,
        &["order", "show", "--company", &id, "--po-number", "PO-1"],
    );
    assert_eq!(by_po, by_id);

    let (ok, text, err) = galley_text(
        url,
        &["order", "show", "--company", &id, "--id", &order_arg],
    );
    assert!(ok, "{err}");
    assert!(text.contains(&format!("order {order_id} (PO-1)")), "{text}");
    assert!(text.contains("charged: 975.00 INR"), "{text}");
    assert!(text.contains("********0001"), "{text}");
    // No code or PIN in the clear, in either output.
    for secret in ["CCD-500-0001", "CCD-500-0002", "1111", "2222"] {
        assert!(!text.contains(secret), "{secret} in {text}");
        assert!(!by_id.to_string().contains(secret), "{secret} in {by_id}");
    }

    assert_fails(
        url,
        &["order", "show", "--company", &id, "--id", "999999"],
        "order 999999",
    );
    assert_fails(
        url,
        &["order", "show", "--company", &id, "--po-number", "PO-404"],
        "PO-404",
    );
    assert_fails(
        url,
        &["order", "show", "--company", "999", "--id", &order_arg],
        "company 999 not found",
    );
    // Another company's order is not found.
    let (other, _) = app.company("Other").await;
    assert_fails(
        url,
        &[
            "order",
            "show",
            "--company",
            &other.to_string(),
            "--id",
            &order_arg,
        ],
        "not found",
    );
    let (ok, _, err) = galley_text(url, &["order", "show", "--company", &id]);
    assert!(!ok && err.contains("--id"), "{err}");
});

both_engines!(campaign_list_and_show, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app
        .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], "", "10000")
        .await;
    let url = app.test_db.url.clone();
    let url = url.as_str();
    let id = s.company_id.to_string();

    let empty = galley_json(url, &["campaign", "list", "--company", &id]);
    assert_eq!(empty, json!({"company_id": s.company_id, "campaigns": []}));

    let diwali = app
        .campaign(s.company_id, "Diwali Thank You", "500", "INR", &[101, 104])
        .await;
    let other = app
        .campaign(s.company_id, "Holi", "500", "INR", &[104])
        .await;
    galley_json(url, &["campaign", "disable", "--id", &other.to_string()]);
    let data = json!({"campaignId": diwali, "links_quantity": 2, "link_expiry": app.expiry(10)});
    let (status, body) = app
        .api(
            &s.tokens.access,
            json!({"tag": "xoxo_link", "query": "xoxo_link.mutation.generateLink",
                   "variables": {"data": data}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["generateLink"]["success"], 1, "{body}");

    let list = galley_json(url, &["campaign", "list", "--company", &id]);
    assert_eq!(list["company_id"], s.company_id);
    let campaigns = list["campaigns"].as_array().unwrap();
    assert_eq!(campaigns.len(), 2);
    assert_eq!(campaigns[0]["campaign_id"], diwali);
    assert_eq!(campaigns[0]["name"], "Diwali Thank You");
    assert_eq!(campaigns[0]["value"], 500);
    assert_eq!(campaigns[0]["currency"], "INR");
    assert_eq!(campaigns[0]["country"], "IN");
    assert_eq!(campaigns[0]["enabled"], true);
    assert_eq!(campaigns[0]["product_count"], 2);
    assert_eq!(campaigns[1]["campaign_id"], other);
    assert_eq!(campaigns[1]["enabled"], false);
    let (ok, text, err) = galley_text(url, &["campaign", "list", "--company", &id]);
    assert!(ok, "{err}");
    assert!(
        text.contains(&format!(
            "{diwali}\tDiwali Thank You\t500.00 INR\tIN\tenabled\t2"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{other}\tHoli\t500.00 INR\tIN\tdisabled\t1")),
        "{text}"
    );

    let show = galley_json(url, &["campaign", "show", "--id", &diwali.to_string()]);
    assert_eq!(show["campaign_id"], diwali);
    assert_eq!(show["company_id"], s.company_id);
    assert_eq!(show["value"], 500);
    assert_eq!(show["country_name"], "India");
    assert_eq!(show["enabled"], true);
    assert_eq!(
        show["products"],
        json!([{"product_id": 101, "name": "Cafe Coffee Day"}, {"product_id": 104, "name": "Galley Gift Card"}])
    );
    assert_eq!(
        show["links"],
        json!({"created": 2, "expired": 0, "redeemed": 0, "refunded": 0})
    );
    let (ok, text, err) = galley_text(url, &["campaign", "show", "--id", &diwali.to_string()]);
    assert!(ok, "{err}");
    assert!(text.contains("value: 500.00 INR"), "{text}");
    assert!(text.contains("101 Cafe Coffee Day"), "{text}");
    assert!(
        text.contains("links: created 2, expired 0, redeemed 0, refunded 0"),
        "{text}"
    );
    let holi = galley_json(url, &["campaign", "show", "--id", &other.to_string()]);
    assert_eq!(holi["enabled"], false);
    assert_eq!(
        holi["links"],
        json!({"created": 0, "expired": 0, "redeemed": 0, "refunded": 0})
    );

    assert_fails(
        url,
        &["campaign", "list", "--company", "999"],
        "company 999 not found",
    );
    assert_fails(
        url,
        &["campaign", "show", "--id", "999"],
        "campaign 999 not found",
    );
});
