//! placeOrder, getOrderDetails and getOrderHistory: money and vouchers move
//! in one transaction, exactly once, for the token's company only.

use futures::future::join_all;
use serde_json::{json, Value};

use crate::{
    both_engines,
    cli::{company_create, fx_set, galley, import_codes},
    common::*,
    concurrency::start_node,
};

/// Catalog, 4 codes of product 101 at 500 INR, and a funded company.
async fn shop(engine: Engine, funds: &str) -> (TestApp, Setup) {
    let app = TestApp::spawn(engine).await;
    let s = app.stocked(&[SAMPLE_CATALOG], SAMPLE_CODES, funds).await;
    (app, s)
}

/// `galley fx set` from USD to INR at `rate`.
fn set_usd_rate(database_url: &str, rate: &str) {
    let (ok, _, err) = fx_set(database_url, "USD", "INR", rate);
    assert!(ok, "{err}");
}

/// A placeOrder `data`: `quantity` vouchers of `product` at `denomination`.
fn order(product: i64, quantity: i64, denomination: &str, po: &str) -> Value {
    json!({"productId": product, "quantity": quantity, "denomination": denomination, "poNumber": po})
}

/// placeOrder of `data` with `token`.
async fn place(app: &TestApp, token: &str, data: Value) -> (u16, Value) {
    call(app, token, "placeOrder", data).await
}

/// placeOrder of `data` on the node at `base`, in a task of its own.
fn spawn_order(
    app: &TestApp,
    base: &str,
    token: &str,
    data: Value,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let body = json!({"tag": "plumProAPI", "query": "plumProAPI.mutation.placeOrder",
                      "variables": {"data": data}});
    let (http, base, token) = (app.http.clone(), base.to_string(), token.to_string());
    tokio::spawn(async move { api_on(&http, &base, &token, &body).await })
}

/// A Plum Pro API operation `op` with `data`.
async fn call(app: &TestApp, token: &str, op: &str, data: Value) -> (u16, Value) {
    let query = if op == "getBalance" {
        format!("plumProAPI.query.{op}")
    } else {
        format!("plumProAPI.mutation.{op}")
    };
    app.api(
        token,
        json!({"tag": "plumProAPI", "query": query, "variables": {"data": data}}),
    )
    .await
}

/// getOrderHistory of the server's day (of orders tagged `tag`, if given).
async fn history_today(app: &TestApp, token: &str, tag: Option<&str>) -> (u16, Value) {
    let today = galley::clock::date_time(app.clock_ms())[..10].to_string();
    let mut data = json!({"startDate": today, "endDate": today});
    if let Some(tag) = tag {
        data["tag"] = tag.into();
    }
    call(app, token, "getOrderHistory", data).await
}

/// The company's balance as getBalance reports it.
async fn balance(app: &TestApp, token: &str) -> f64 {
    call(app, token, "getBalance", json!({})).await.1["data"]["getBalance"]["data"]["value"]
        .as_f64()
        .unwrap()
}

both_engines!(
    place_order_allocates_charges_and_is_idempotent,
    |engine| async move {
        let (app, s) = shop(engine, "10000").await;
        let first = json!({"productId": 101, "quantity": 2, "denomination": "500", "email": "rx@shop.test",
                       "contact": "+91-9999999999", "tag": "diwali", "poNumber": "PO-1", "notifyReceiverEmail": 0});
        let (status, body) = place(&app, &s.tokens.access, first).await;
        assert_eq!(status, 200, "{body}");
        let placed = &body["data"]["placeOrder"];
        assert_eq!(placed["status"], 1);
        let data = &placed["data"];
        assert!(data["orderId"].is_i64());
        assert_eq!(data["orderTotal"], "1000.00");
        assert_eq!(data["orderDiscount"], "25.00");
        assert_eq!(data["discountPercent"], "2.5");
        assert_eq!(data["currencyCode"], "INR");
        assert_eq!(data["currencyValue"], 1);
        assert_eq!(data["amountCharged"], 975);
        assert_eq!(
            (
                data["orderStatus"].as_str(),
                data["deliveryStatus"].as_str()
            ),
            (Some("complete"), Some("delivered"))
        );
        assert_eq!(data["tag"], "diwali");
        let vouchers = data["vouchers"].as_array().unwrap();
        assert_eq!(vouchers.len(), 2);
        assert_eq!(vouchers[0]["voucherCode"], "CCD-500-0001");
        assert_eq!(vouchers[0]["pin"], "1111");
        assert_eq!(vouchers[0]["validity"], "2027-12-31");
        assert_eq!(vouchers[0]["type"], "codePin");
        assert_eq!(vouchers[0]["amount"], 500);
        assert_eq!(vouchers[0]["orderId"], data["orderId"]);
        assert_eq!(vouchers[1]["voucherCode"], "CCD-500-0002");
        assert_eq!(balance(&app, &s.tokens.access).await, 9025.0);

        // Same poNumber, same order: the first order, nothing charged
        // (`500.00` is the same denomination as `500`).
        let (status, again) = place(&app, &s.tokens.access, order(101, 2, "500.00", "PO-1")).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["data"]["placeOrder"]["data"], *data);
        assert_eq!(balance(&app, &s.tokens.access).await, 9025.0);
        // Same poNumber, another order: refused, naming what differs; the
        // first order is unchanged.
        for (other, differs) in [
            (order(101, 1, "500", "PO-1"), "quantity 1"),
            (order(101, 2, "1000", "PO-1"), "denomination 1000"),
            (order(102, 2, "500", "PO-1"), "productId 102"),
        ] {
            let reply = place(&app, &s.tokens.access, other).await;
            assert_error_id(&reply, 409, "PLE10001");
            let text = reply.1.to_string();
            assert!(text.contains("PO-1") && text.contains(differs), "{text}");
        }
        assert_eq!(balance(&app, &s.tokens.access).await, 9025.0);

        let order_id = data["orderId"].as_i64().unwrap();
        for key in [json!({"orderId": order_id}), json!({"poNumber": "PO-1"})] {
            let (status, details) = call(&app, &s.tokens.access, "getOrderDetails", key).await;
            assert_eq!(status, 200);
            let d = &details["data"]["getOrderDetails"]["data"];
            assert_eq!(d["vouchers"], data["vouchers"]);
            assert_eq!(d["orderDate"].as_str().unwrap().len(), 19);
            assert_eq!(d["deliveryDate"].as_str().unwrap().len(), 19);
        }
        let (status, history) = history_today(&app, &s.tokens.access, None).await;
        assert_eq!(status, 200, "{history}");
        let list = history["data"]["getOrderHistory"]["data"]
            .as_array()
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["poNumber"], "PO-1");
        assert_eq!(
            list[0]["products"][0],
            json!({"productName": "Cafe Coffee Day", "receiverMobileNumber": "+91-9999999999",
        "price": "500.00", "quantity": 2, "orderProductStatus": "complete"})
        );
        let (_, tagged) = history_today(&app, &s.tokens.access, Some("other")).await;
        assert_eq!(tagged["data"]["getOrderHistory"]["data"], json!([]));
    }
);

both_engines!(place_order_errors_charge_nothing, |engine| async move {
    let (app, s) = shop(engine, "600").await;
    let cases = [
        (order(999, 1, "500", "E1"), 404, "PLE10030"),
        (order(101, 1, "300", "E2"), 404, "PLE10018"),
        (order(101, 11, "500", "E3"), 409, "PLE10041"),
        (order(101, 2, "500", "E4"), 422, "PLE10012"),
        (order(101, 1, "1000", "E5"), 422, "PLE10012"),
        (order(102, 1, "10", "E6"), 422, "PLE10012"),
        (
            json!({"productId": 101, "quantity": 1, "denomination": "500"}),
            400,
            "PLE10001",
        ),
        (order(101, 1, "500", "link:1"), 400, "PLE10001"),
        (
            json!({"productId": "x", "quantity": 1, "denomination": "500", "poNumber": "E8"}),
            400,
            "PLE10001",
        ),
        (order(101, 0, "500", "E9"), 400, "PLE10001"),
        (
            json!({"productId": 101, "quantity": 1, "denomination": "500", "poNumber": "E10", "notifyReceiverEmail": 1}),
            400,
            "PLE10001",
        ),
        (
            json!({"productId": 101, "quantity": 1, "denomination": "500", "poNumber": "E11", "email": "nope"}),
            400,
            "PLE10001",
        ),
        (
            json!({"productId": 101, "quantity": 1, "denomination": "500", "poNumber": "E12", "contact": "<script>"}),
            400,
            "PLE10001",
        ),
    ];
    for (data, status, id) in cases {
        let (got, body) = place(&app, &s.tokens.access, data.clone()).await;
        assert_eq!(
            (got, body["errorId"].as_str()),
            (status, Some(id)),
            "{data}: {body}"
        );
        assert!(body["errorInfo"].as_str().is_some_and(|i| !i.is_empty()));
    }
    let (_, body) = place(&app, &s.tokens.access, order(101, 2, "500", "E4")).await;
    assert!(
        body["errorInfo"].as_str().unwrap().contains("balance"),
        "{body}"
    );
    let (_, body) = place(&app, &s.tokens.access, order(102, 1, "10", "E6")).await;
    assert!(
        body["errorInfo"].as_str().unwrap().contains("fx set"),
        "{body}"
    );
    assert_eq!(balance(&app, &s.tokens.access).await, 600.0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM orders").await,
        0,
        "no half-written order"
    );
    assert_eq!(
        galley::store::catalog::free_codes(app.db.reader(), 101, 50_000)
            .await
            .unwrap(),
        4
    );
});

both_engines!(
    generated_and_foreign_currency_vouchers,
    |engine| async move {
        let (app, s) = shop(engine, "5000").await;
        set_usd_rate(&app.test_db.url, "83.12");
        let (status, body) = place(&app, &s.tokens.access, order(102, 2, "10", "G1")).await;
        assert_eq!(status, 200, "{body}");
        let data = &body["data"]["placeOrder"]["data"];
        assert_eq!(data["orderTotal"], "20.00");
        assert_eq!(data["orderDiscount"], "0.20");
        assert_eq!(data["currencyValue"], 83.12);
        assert_eq!(
            data["amountCharged"], 1645.78,
            "19.80 USD at 83.12, rounded half up"
        );
        let codes: Vec<&str> = data["vouchers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["voucherCode"].as_str().unwrap())
            .collect();
        assert_eq!(codes.len(), 2);
        assert_ne!(codes[0], codes[1]);
        assert!(codes
            .iter()
            .all(|c| c.len() == 19 && c.chars().filter(|ch| *ch == '-').count() == 3));
        assert_eq!(data["vouchers"][0]["type"], "code");
        assert_eq!(balance(&app, &s.tokens.access).await, 3354.22);
    }
);

both_engines!(delayed_orders_wait_for_codes, |engine| async move {
    let (app, s) = shop(engine, "10000").await;
    let (status, body) = place(&app, &s.tokens.access, order(103, 1, "2000", "D1")).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"]["placeOrder"]["data"];
    assert_eq!(
        (
            data["orderStatus"].as_str(),
            data["deliveryStatus"].as_str()
        ),
        (Some("pending"), Some("pending"))
    );
    assert_eq!(data["vouchers"], json!([]));
    assert_eq!(
        balance(&app, &s.tokens.access).await,
        8000.0,
        "charged when accepted"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("travel.csv");
    std::fs::write(&file, "code,pin,validity\nTRAVEL-1,,2028-01-01\n").unwrap();
    let (ok, _, err) = import_codes(&app.test_db.url, "103", "2000", file.to_str().unwrap());
    assert!(ok, "{err}");
    let (_, details) = call(
        &app,
        &s.tokens.access,
        "getOrderDetails",
        json!({"poNumber": "D1"}),
    )
    .await;
    let d = &details["data"]["getOrderDetails"]["data"];
    assert_eq!(
        (d["orderStatus"].as_str(), d["deliveryStatus"].as_str()),
        (Some("complete"), Some("delivered"))
    );
    assert_eq!(d["vouchers"][0]["voucherCode"], "TRAVEL-1");
});

both_engines!(
    orders_are_visible_to_their_company_only,
    |engine| async move {
        let (app, a) = shop(engine, "10000").await;
        let b = app.setup().await;
        app.fund(b.company_id, "10000").await;
        let (_, body) = place(&app, &a.tokens.access, order(101, 1, "500", "SAME")).await;
        let a_order = body["data"]["placeOrder"]["data"]["orderId"]
            .as_i64()
            .unwrap();
        for key in [json!({"orderId": a_order}), json!({"poNumber": "SAME"})] {
            let reply = call(&app, &b.tokens.access, "getOrderDetails", key).await;
            assert_error_id(&reply, 404, "PLE10027");
        }
        let (_, history) = history_today(&app, &b.tokens.access, None).await;
        assert_eq!(history["data"]["getOrderHistory"]["data"], json!([]));
        let (status, body) = place(&app, &b.tokens.access, order(101, 1, "500", "SAME")).await;
        assert_eq!(status, 200, "another company's poNumber is its own");
        assert_ne!(
            body["data"]["placeOrder"]["data"]["orderId"].as_i64(),
            Some(a_order)
        );
        assert_eq!(balance(&app, &b.tokens.access).await, 9512.5);
    }
);

both_engines!(order_history_checks_dates, |engine| async move {
    let (app, s) = shop(engine, "100").await;
    let cases = [
        json!({"startDate": "2026-02-30", "endDate": "2026-03-01"}),
        json!({"startDate": "yesterday", "endDate": "2026-03-01"}),
        json!({"endDate": "2026-03-01"}),
    ];
    for data in cases {
        let (status, body) = call(&app, &s.tokens.access, "getOrderHistory", data.clone()).await;
        assert_eq!(
            (status, body["errorId"].as_str()),
            (400, Some("PLE10032")),
            "{data}"
        );
    }
    // Any range is read, a page at a time; a reversed one has no days.
    for (data, why) in [
        (
            json!({"startDate": "2025-01-01", "endDate": "2026-01-02"}),
            "366 days",
        ),
        (
            json!({"startDate": "2001-01-01", "endDate": "2099-12-31"}),
            "a century",
        ),
        (
            json!({"startDate": "2026-02-01", "endDate": "2026-01-01"}),
            "reversed",
        ),
    ] {
        let (status, body) = call(&app, &s.tokens.access, "getOrderHistory", data).await;
        assert_eq!(status, 200, "{why}: {body}");
        assert!(
            body["data"]["getOrderHistory"]["data"].is_array(),
            "{why}: {body}"
        );
    }
});

both_engines!(
    concurrent_orders_on_two_nodes_never_oversell_or_overdraw,
    |engine| async move {
        let (app, s) = shop(engine, "1462.50").await; // exactly 3 vouchers of 500 at 2.5 % off
        let (_a, node_a) = start_node(&app.test_db.url, &app.http).await;
        let (_b, node_b) = start_node(&app.test_db.url, &app.http).await;
        let nodes = [node_a, node_b];
        let requests = (0..24).map(|i| {
            let data = order(101, 1, "500", &format!("C{i}"));
            spawn_order(&app, &nodes[i % 2], &s.tokens.access, data)
        });
        let results: Vec<(u16, Value)> = join_all(requests)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let ok: Vec<&Value> = results
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(ok.len(), 3, "{results:?}");
        assert!(
            results
                .iter()
                .all(|(s, b)| *s == 200 || (*s == 422 && b["errorId"] == "PLE10012")),
            "{results:?}"
        );
        let mut codes: Vec<String> = ok
            .iter()
            .map(|b| {
                b["data"]["placeOrder"]["data"]["vouchers"][0]["voucherCode"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 3, "no code sold twice");
        assert_eq!(balance(&app, &s.tokens.access).await, 0.0);
        let sold = app
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM voucher_codes WHERE order_id IS NOT NULL")
            .await;
        assert_eq!(sold, 3);
        let charges: Vec<(i64,)> = sqlx::query_as("SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE kind = 'charge'").fetch_all(app.db.reader()).await.unwrap();
        assert_eq!(
            charges[0].0, -146_250,
            "ledger holds exactly the successful charges"
        );
        app.ledger_balance(s.company_id).await; // asserts ledger = balance

        // The same poNumber from many callers at once: one order, one charge.
        app.fund(s.company_id, "5000").await;
        set_usd_rate(&app.test_db.url, "80");
        let same = (0..10).map(|i| {
            spawn_order(
                &app,
                &nodes[i % 2],
                &s.tokens.access,
                order(102, 1, "10", "ONCE"),
            )
        });
        let results: Vec<(u16, Value)> = join_all(same)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
        let ids: Vec<i64> = results
            .iter()
            .map(|(_, b)| b["data"]["placeOrder"]["data"]["orderId"].as_i64().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{results:?}");
        let orders = app
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE po_number = 'ONCE'")
            .await;
        assert_eq!(orders, 1);
        assert_eq!(
            balance(&app, &s.tokens.access).await,
            5000.0 - 792.0,
            "10 USD - 1 % at 80, charged once"
        );
    }
);

both_engines!(
    products_not_sold_in_the_companys_country_are_ple10019,
    |engine| async move {
        let (app, _) = shop(engine, "1").await;
        let url = app.test_db.url.clone();
        let mut args = company_create("Yankee", "INR", "boss@yankee.test", "long-enough");
        args.extend(["--country", "us", "--json", "--database-url", &url]);
        let (ok, out, err) = galley(&args);
        assert!(ok, "{err}");
        let company_id = out["company_id"].as_i64().unwrap();
        let client = app.client(company_id, "plum_pro_api").await;
        let tokens = app
            .admin_tokens(&client, "boss@yankee.test", "plum_pro_api")
            .await;
        app.fund(company_id, "10000").await;
        set_usd_rate(&url, "80");
        let reply = place(&app, &tokens.access, order(101, 1, "500", "US-1")).await;
        assert_error_id(&reply, 401, "PLE10019");
        assert!(reply.1["errorInfo"].as_str().unwrap().contains("US"));
        let (status, body) = place(&app, &tokens.access, order(102, 1, "10", "US-2")).await;
        assert_eq!(status, 200, "product 102 is sold in the US: {body}");
        let mut args = company_create("X", "INR", "x@x.test", "long-enough");
        args.extend(["--country", "USA", "--database-url", &url]);
        let (ok, _, err) = galley(&args);
        assert!(!ok && err.contains("country code"), "{err}");
    }
);

/// Makes inserting an order with poNumber `BOOM` fail inside the database,
/// as an unexpected storage error would.
async fn fail_inserts_of_boom(app: &TestApp) {
    let statements: &[&str] = match app.engine {
        Engine::Sqlite => &[
            "CREATE TRIGGER boom BEFORE INSERT ON orders WHEN NEW.po_number = 'BOOM' \
             BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ],
        Engine::Postgres => &[
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.po_number = 'BOOM' THEN \
             RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER boom BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(app.db.writer()).await.unwrap();
    }
}

/// `galley_batch_jobs` of the order batcher: (orders, batches).
async fn order_batches(app: &TestApp) -> (f64, f64) {
    let text = app.metrics().await;
    let read = |suffix: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("galley_batch_jobs_{suffix}{{batcher=\"orders\"}}")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no galley_batch_jobs_{suffix} for orders in:\n{text}"))
    };
    (read("sum"), read("count"))
}

both_engines!(
    orders_placed_together_are_each_decided_on_their_own,
    |engine| async move {
        let (app, s) = shop(engine, "100000").await;
        set_usd_rate(&app.test_db.url, "80");
        fail_inserts_of_boom(&app).await;
        let mut bodies = Vec::new();
        for i in 0..6 {
            bodies.push(order(101, 1, "500", &format!("M{i}"))); // 4 codes in stock
        }
        for _ in 0..5 {
            bodies.push(order(102, 1, "10", "DUP"));
        }
        for i in 0..3 {
            bodies.push(order(101, 1, "123", &format!("BAD{i}")));
        }
        for i in 0..2 {
            bodies.push(order(999, 1, "10", &format!("NOPE{i}")));
        }
        bodies.push(order(102, 6, "10", "LIM"));
        bodies.push(order(103, 1, "2000", "WAIT"));
        bodies.push(order(102, 1, "50", "BOOM"));
        // Enough callers at once that orders wait for the worker together.
        for i in 0..20 {
            bodies.push(order(102, 1, "25", &format!("G{i}")));
        }
        let calls = bodies.into_iter().map(|data| {
            let (app, token) = (&app, s.tokens.access.clone());
            async move {
                let po = data["poNumber"].as_str().unwrap().to_string();
                (po, place(app, &token, data).await)
            }
        });
        let results: Vec<(String, (u16, Value))> = join_all(calls).await;
        let group = |prefix: &str| -> Vec<&(u16, Value)> {
            results
                .iter()
                .filter(|(po, _)| po.starts_with(prefix))
                .map(|(_, r)| r)
                .collect()
        };
        let placed = |r: &(u16, Value)| r.0 == 200;
        let error_id = |r: &(u16, Value)| r.1["errorId"].as_str().unwrap_or("").to_string();

        let m = group("M");
        assert_eq!(m.iter().filter(|r| placed(r)).count(), 4, "{m:?}");
        for r in m.iter().filter(|r| r.0 != 200) {
            assert_eq!((r.0, error_id(r)), (422, "PLE10012".into()), "{r:?}");
            assert!(
                r.1["errorInfo"].as_str().unwrap().contains("inventory"),
                "{r:?}"
            );
        }
        let mut codes: Vec<&str> = m
            .iter()
            .filter(|r| placed(r))
            .map(|r| {
                r.1["data"]["placeOrder"]["data"]["vouchers"][0]["voucherCode"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 4, "no code sold twice");

        let dup = group("DUP");
        assert!(dup.iter().all(|r| placed(r)), "{dup:?}");
        let ids: Vec<i64> = dup
            .iter()
            .map(|r| {
                r.1["data"]["placeOrder"]["data"]["orderId"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "one order: {ids:?}");
        for (prefix, status, id) in [
            ("BAD", 404, "PLE10018"),
            ("NOPE", 404, "PLE10030"),
            ("LIM", 409, "PLE10041"),
        ] {
            for r in group(prefix) {
                assert_eq!(
                    (r.0, error_id(r)),
                    (status, id.to_string()),
                    "{prefix}: {r:?}"
                );
            }
        }
        let wait = group("WAIT");
        assert_eq!(wait[0].0, 200, "{wait:?}");
        assert_eq!(
            wait[0].1["data"]["placeOrder"]["data"]["orderStatus"], "pending",
            "{wait:?}"
        );
        let boom = group("BOOM");
        assert_eq!(boom[0].0, 500, "{boom:?}");
        let g = group("G");
        assert!(g.iter().all(|r| placed(r)), "{g:?}");

        // 4 × 487.50 + 792 once + 2000 pending + 20 × 1980 (25 USD − 1 % at 80).
        let expected = 100000.0 - 1950.0 - 792.0 - 2000.0 - 20.0 * 1980.0;
        assert_eq!(balance(&app, &s.tokens.access).await, expected);
        app.ledger_balance(s.company_id).await; // asserts ledger = balance
        let rows = app
            .count("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE po_number IN ('DUP', 'BOOM')")
            .await;
        assert_eq!(rows, 1, "DUP once, BOOM never");
        let (orders, batches) = order_batches(&app).await;
        assert!(
            orders > batches,
            "some orders shared a transaction: {orders} orders in {batches} batches"
        );
    }
);

// placeOrder as published clients send it: numbers as strings, the
// denomination as a number, blank optional fields. A retry of the same
// poNumber is checked like a first request.
both_engines!(published_client_orders_are_read, |engine| async move {
    let (app, s) = shop(engine, "100000").await;
    let data = json!({
        "productId": "101", "quantity": "1", "denomination": 500,
        "email": "", "contact": "", "tag": "", "poNumber": "PO-PUB-1",
        "notifyReceiverEmail": "0", "notifyAdminEmail": 0
    });
    let (status, body) = place(&app, &s.tokens.access, data.clone()).await;
    assert_eq!(status, 200, "{body}");
    let order = &body["data"]["placeOrder"]["data"];
    assert_eq!(order["vouchers"].as_array().unwrap().len(), 1, "{body}");
    let (status, again) = place(&app, &s.tokens.access, data.clone()).await;
    assert_eq!((status, &again["data"]["placeOrder"]["data"]), (200, order));
    let mut bad = data.clone();
    bad["email"] = json!("not an address");
    let (status, body) = place(&app, &s.tokens.access, bad).await;
    assert_eq!(
        (status, body["errorId"].as_str()),
        (400, Some("PLE10001")),
        "{body}"
    );
    assert!(
        body["errorInfo"].as_str().unwrap().contains("email"),
        "{body}"
    );
    for (field, value, says) in [
        (
            "contact",
            json!(9999999999i64),
            "variables.data.contact must be a string",
        ),
        (
            "quantity",
            json!("1.5"),
            "variables.data.quantity must be a whole number",
        ),
        (
            "notifyReceiverEmail",
            json!("yes"),
            "variables.data.notifyReceiverEmail must be 0 or 1",
        ),
    ] {
        let mut bad = data.clone();
        bad[field] = value;
        bad["poNumber"] = json!("PO-PUB-2");
        let (status, body) = place(&app, &s.tokens.access, bad).await;
        assert_eq!(
            (status, body["errorId"].as_str()),
            (400, Some("PLE10001")),
            "{field}: {body}"
        );
        assert!(
            body["errorInfo"].as_str().unwrap().contains(says),
            "{field}: {body}"
        );
    }
    // getOrderDetails and getOrderHistory read the same way.
    let (status, body) = call(
        &app,
        &s.tokens.access,
        "getOrderDetails",
        json!({"orderId": order["orderId"].to_string(), "poNumber": "", "sendMailToReceiver": ""}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let today = galley::clock::date_time(app.clock_ms())[..10].to_string();
    let (status, body) = call(
        &app,
        &s.tokens.access,
        "getOrderHistory",
        json!({"startDate": today, "endDate": today, "limit": "10", "page": 0, "tag": ""}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["getOrderHistory"]["data"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{body}"
    );
});
