//! Money-safe input: catalog values that would move money the wrong way are
//! refused at import, charges are exact and rounded up (never zero, never a
//! wrapped overflow), expired codes are never sold, a poNumber is one order.
//! Every test ends with the ledger invariant checked (see `TestApp`'s drop).

use serde_json::{json, Value};

use crate::{both_engines, common::*};

/// One product of the catalog JSON format, overriding the sample's fields.
fn product(fields: Value) -> String {
    let mut p = json!({
        "productId": 900, "name": "Test Card", "currencyCode": "INR",
        "countries": [{"code": "IN", "name": "India"}],
        "valueType": "fixed_denomination", "valueDenominations": "100,500",
        "kind": "generated"
    });
    for (k, v) in fields.as_object().unwrap() {
        p[k] = v.clone();
    }
    json!({ "products": [p] }).to_string()
}

/// Imports `catalog` as the operator; the error text if refused.
async fn import(app: &TestApp, catalog: &str) -> Result<(), String> {
    galley::domain::catalog::import(
        &app.db,
        &*app.clock,
        &galley::domain::Actor::Cli,
        catalog,
        &|_, _| {},
    )
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// A placeOrder of product 900.
async fn order(
    app: &TestApp,
    s: &Setup,
    quantity: i64,
    denomination: &str,
    po: &str,
) -> (u16, Value) {
    let data = json!({"productId": 900, "quantity": quantity, "denomination": denomination, "poNumber": po});
    app.api(
        &s.tokens.access,
        json!({"query": "plumProAPI.mutation.placeOrder", "variables": {"data": data}}),
    )
    .await
}

both_engines!(
    catalog_values_that_move_money_wrongly_are_refused,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        for (fields, why) in [
            (json!({"discount": 150}), "discount 150"),
            (json!({"discount": 100}), "discount 100"),
            (json!({"discount": "-5"}), "discount"),
            (
                json!({"valueType": "open_value", "minValue": "50.001", "maxValue": "100"}),
                "at most 2 decimals",
            ),
            (
                json!({"valueType": "open_value", "minValue": "50", "maxValue": "abc"}),
                "maxValue",
            ),
            (
                json!({"valueType": "open_value", "minValue": "0", "maxValue": "100"}),
                "minValue must be above zero",
            ),
            (
                json!({"valueType": "open_value", "minValue": "200", "maxValue": "100"}),
                "above maxValue",
            ),
            (
                json!({"valueDenominations": "100,0.001"}),
                "valueDenominations",
            ),
            (
                json!({"countries": [{"code": "USA", "name": "United States"}]}),
                "ISO 3166-1",
            ),
            (json!({"currencyCode": "XXQ"}), "ISO 4217"),
        ] {
            let err = import(&app, &product(fields.clone()))
                .await
                .expect_err(&format!("{fields} was accepted"));
            assert!(err.contains(why), "{fields}: {err}");
            assert!(err.contains("product"), "names the product: {err}");
        }
        // Every problem of a product is reported, not only the first.
        let err = import(
            &app,
            &product(
                json!({"discount": 150, "countries": [{"code": "USA", "name": "United States"}],
                            "valueDenominations": "100,0.001"}),
            ),
        )
        .await
        .unwrap_err();
        for problem in ["discount 150", "ISO 3166-1", "valueDenominations"] {
            assert!(err.contains(problem), "{problem}: {err}");
        }
        assert_eq!(
            app.count("SELECT COUNT(*) FROM products").await,
            0,
            "nothing imported"
        );
    }
);

both_engines!(
    charges_are_exact_rounded_up_and_never_wrap,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app.stocked(&[], "", "100000").await;
        // 1 VND at 0.0033 INR is 0.0033 INR: charged 0.01, never 0.00.
        import(
            &app,
            &product(json!({"currencyCode": "VND", "valueDenominations": "1",
            "countries": [{"code": "IN", "name": "India"}]})),
        )
        .await
        .unwrap();
        set_rate(&app, "VND", "INR", "0.0033").await;
        let before = app.ledger_balance(s.company_id).await;
        let (status, body) = order(&app, &s, 1, "1", "VND-1").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["placeOrder"]["data"]["amountCharged"], 0.01,
            "{body}"
        );
        assert_eq!(app.ledger_balance(s.company_id).await, before - 1);

        // An open-value USD product where quantity × value × rate does not
        // fit: refused, nothing minted, nothing charged.
        import(
            &app,
            &product(json!({"currencyCode": "USD", "valueType": "open_value",
            "minValue": "1", "maxValue": "1000000000000", "orderQuantityLimit": 10000,
            "valueDenominations": ""})),
        )
        .await
        .unwrap();
        set_rate(&app, "USD", "INR", "83.12").await;
        let before = app.ledger_balance(s.company_id).await;
        let reply = order(&app, &s, 2000, "559302000000", "HUGE-1").await;
        assert_error_id(&reply, 400, "PLE10001");
        assert!(reply.1.to_string().contains("too large"), "{}", reply.1);
        assert_eq!(app.ledger_balance(s.company_id).await, before);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM voucher_codes").await,
            1,
            "only the VND voucher"
        );
    }
);

both_engines!(
    expired_codes_are_refused_at_import_and_never_sold,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let today = galley::clock::day(app.clock_ms());
        let tomorrow = galley::clock::day(app.clock_ms() + 86_400_000);
        let quiet = |_: usize, _: usize| {};
        let s = app.stocked(&[SAMPLE_CATALOG], "", "10000").await;
        let import_codes = |csv: String| {
            let app = &app;
            async move {
                galley::domain::inventory::import_codes(
                    &app.db,
                    &*app.clock,
                    &galley::domain::Actor::Cli,
                    101,
                    "500",
                    &csv,
                    &quiet,
                )
                .await
            }
        };
        let err = import_codes(format!(
            "code,pin,validity\nOLD-1,,2020-01-01\nNEW-1,,{today}\n"
        ))
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2") && err.contains("OLD-1") && err.contains("expired"),
            "{err}"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM voucher_codes").await,
            0,
            "nothing imported"
        );
        // A code valid through tomorrow sells today, not after tomorrow.
        import_codes(format!("code,pin,validity\nSOON-1,,{tomorrow}\n"))
            .await
            .unwrap();
        app.clock.advance_secs(2 * 86_400);
        let data =
            json!({"productId": 101, "quantity": 1, "denomination": "500", "poNumber": "LATE-1"});
        let reply = app
            .api(
                &s.tokens.access,
                json!({"query": "plumProAPI.mutation.placeOrder", "variables": {"data": data}}),
            )
            .await;
        assert_error_id(&reply, 422, "PLE10012");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM voucher_codes WHERE order_id IS NOT NULL")
                .await,
            0
        );
    }
);

/// Sets an exchange rate as the operator.
async fn set_rate(app: &TestApp, from: &str, to: &str, rate: &str) {
    galley::domain::catalog::set_rate(
        &app.db,
        &*app.clock,
        &galley::domain::Actor::Cli,
        from,
        to,
        rate,
    )
    .await
    .unwrap();
}

both_engines!(
    galley_check_reports_a_ledger_that_does_not_add_up,
    |engine| async move {
        let test_db = TestDb::new(engine).await;
        let url = test_db.url.clone();
        let (ok, _, _) = crate::cli::galley(&["migrate", "--database-url", &url]);
        assert!(ok);
        let (ok, out, _) = crate::cli::galley(&["check", "--json", "--database-url", &url]);
        assert!(ok);
        assert_eq!(out["ok"], true);
        let (ok, company, err) = crate::cli::galley(&[
            "company",
            "create",
            "--name",
            "Drift",
            "--base-currency",
            "INR",
            "--admin-email",
            "drift@x.test",
            "--admin-password",
            "password123",
            "--json",
            "--database-url",
            &url,
        ]);
        assert!(ok, "{err}");
        let id = company["company_id"].as_i64().unwrap();
        let db = galley::store::Db::connect(&url, 1).await.unwrap();
        sqlx::query("UPDATE companies SET balance_minor = 500 WHERE id = $1")
            .bind(id)
            .execute(db.writer())
            .await
            .unwrap();
        db.close().await;
        let (ok, _, err) = crate::cli::galley(&["check", "--database-url", &url]);
        assert!(!ok, "a ledger that does not add up fails the check");
        assert!(
            err.contains(&format!("company {id}")) && err.contains("balance 500"),
            "{err}"
        );
    }
);

both_engines!(
    random_orders_are_charged_what_the_ledger_records,
    |engine| async move {
        use proptest::{
            strategy::{Strategy, ValueTree},
            test_runner::TestRunner,
        };
        let app = TestApp::spawn(engine).await;
        let s = app.stocked(&[], "", "1000000000").await;
        for (from, rate) in [("USD", "83.1234"), ("VND", "0.0033"), ("KWD", "270.5")] {
            set_rate(&app, from, "INR", rate).await;
        }
        // Random products, quantities, denominations and discounts, drawn
        // with a fixed seed so that a failure repeats.
        let cases = (0..4usize, 1u64..500_000, 1i64..25, 0u64..10_000);
        let mut runner = TestRunner::deterministic();
        let mut charged_orders = 0;
        for case in 0..24i64 {
            let (currency, value, quantity, discount_bp) =
                cases.new_tree(&mut runner).unwrap().current();
            let currency = ["INR", "USD", "VND", "KWD"][currency];
            let exp = galley::domain::money::Currency::parse(currency)
                .unwrap()
                .exponent();
            let text = |units: u64| {
                let div = 10u64.pow(exp);
                if exp == 0 {
                    units.to_string()
                } else {
                    format!("{}.{:0w$}", units / div, units % div, w = exp as usize)
                }
            };
            let id = 1000 + case;
            let catalog = json!({"products": [{
                "productId": id, "name": format!("Card {id}"), "currencyCode": currency,
                "countries": [{"code": "IN", "name": "India"}], "valueType": "open_value",
                "minValue": text(1), "maxValue": text(1_000_000), "orderQuantityLimit": 100,
                "discount": format!("{}.{:02}", discount_bp / 100, discount_bp % 100),
                "kind": "generated"
            }]});
            import(&app, &catalog.to_string()).await.unwrap();
            let before = app.ledger_balance(s.company_id).await;
            let data = json!({"productId": id, "quantity": quantity, "denomination": text(value),
                              "poNumber": format!("RANDOM-{case}")});
            let (status, body) = app
                .api(
                    &s.tokens.access,
                    json!({"query": "plumProAPI.mutation.placeOrder", "variables": {"data": data}}),
                )
                .await;
            let after = app.ledger_balance(s.company_id).await;
            assert!(
                status == 200 || status == 400 || status == 422,
                "{status}: {body}"
            );
            if status != 200 {
                assert_eq!(after, before, "a refused order moves no money: {body}");
                continue;
            }
            let charged = body["data"]["placeOrder"]["data"]["amountCharged"].to_string();
            let inr = galley::domain::money::Currency::parse("INR").unwrap();
            let charged = galley::domain::money::Money::parse(&charged, inr)
                .unwrap()
                .minor;
            assert!(charged > 0, "{body}");
            assert_eq!(
                before - after,
                charged,
                "the ledger records the charge: {body}"
            );
            charged_orders += 1;
        }
        assert!(
            charged_orders >= 12,
            "most random orders are valid: {charged_orders}"
        );
    }
);
