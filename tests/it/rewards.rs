//! Rewards API: catalog and code imports (CLI), exchange rates, getVouchers,
//! getFilters and getBalance, with the wire types of docs/api.md.

use serde_json::{json, Value};

use crate::{
    both_engines,
    cli::{fx_set, import_catalog, import_codes},
    common::*,
};

/// The path of a file in samples/.
fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A running app with the sample catalog imported and a Rewards API token.
async fn with_catalog(engine: Engine) -> (TestApp, Setup) {
    let app = TestApp::spawn(engine).await;
    for (file, imported) in [("catalog.json", 3), ("catalog.csv", 2)] {
        let (ok, out, err) = import_catalog(&app.test_db.url, &sample(file));
        assert!(ok, "{err}");
        assert_eq!(out["imported"], imported);
    }
    let s = app.setup().await;
    (app, s)
}

/// A Rewards API call of `query` (its tag taken from the query).
async fn op(app: &TestApp, token: &str, query: &str, data: Value) -> (u16, Value) {
    let tag = query.split('.').next().unwrap();
    app.api(
        token,
        json!({ "tag": tag, "query": query, "variables": { "data": data } }),
    )
    .await
}

/// getVouchers with `token`.
async fn get_vouchers(app: &TestApp, token: &str, data: Value) -> (u16, Value) {
    op(app, token, "plumProAPI.mutation.getVouchers", data).await
}

/// getFilters with the token of `s`.
async fn get_filters(app: &TestApp, s: &Setup, data: Value) -> (u16, Value) {
    op(
        app,
        &s.tokens.access,
        "plumProAPI.mutation.getFilters",
        data,
    )
    .await
}

/// getBalance with `token`.
async fn get_balance(app: &TestApp, token: &str) -> (u16, Value) {
    op(app, token, "plumProAPI.query.getBalance", json!({})).await
}

/// getVouchers with the token of `s`: (status, the list), checking
/// `status: 1` on success.
async fn vouchers(app: &TestApp, s: &Setup, data: Value) -> (u16, Vec<Value>) {
    let (status, body) = get_vouchers(app, &s.tokens.access, data).await;
    let list = body["data"]["getVouchers"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if status == 200 {
        assert_eq!(body["data"]["getVouchers"]["status"], 1);
    }
    (status, list)
}

/// The product ids of a getVouchers list.
fn ids(list: &[Value]) -> Vec<i64> {
    list.iter()
        .map(|p| p["productId"].as_i64().unwrap())
        .collect()
}

both_engines!(
    get_vouchers_keeps_the_plum_wire_types,
    |engine| async move {
        let (app, s) = with_catalog(engine).await;
        let (status, list) = vouchers(&app, &s, json!({ "limit": 100 })).await;
        assert_eq!(status, 200);
        assert_eq!(ids(&list), vec![101, 102, 103, 201, 202]);
        let ccd = &list[0];
        assert_eq!(ccd["name"], "Cafe Coffee Day");
        assert_eq!(
            ccd["valueDenominations"], "100,500,1000",
            "a string, not an array"
        );
        assert_eq!(ccd["discount"], 2.5, "a number");
        assert_eq!(ccd["fee"], 0);
        assert_eq!(ccd["isCommon"], "0");
        assert_eq!(ccd["tatInDays"], "0");
        assert_eq!(ccd["exchangeRate"], Value::Null);
        assert_eq!(ccd["orderQuantityLimit"], 10);
        assert_eq!(ccd["countries"], json!([{"code": "IN", "name": "India"}]));
        let date = ccd["lastUpdateDate"].as_str().unwrap();
        assert_eq!(date.len(), 19, "YYYY-MM-DD HH:MM:SS: {date}");
        assert_eq!(&date[10..11], " ");
        let travel = &list[2];
        assert_eq!(travel["tatInDays"], "1 - 7");
        assert_eq!(travel["deliveryType"], "delayed");
        assert_eq!(travel["countryCode"], "IN");
        let spa = &list[4];
        assert_eq!(
            (
                spa["valueType"].as_str(),
                spa["minValue"].as_i64(),
                spa["maxValue"].as_i64()
            ),
            (Some("open_value"), Some(10), Some(500))
        );
        assert_eq!(spa["countries"][1], json!({"code": "IN", "name": "India"}));
        let expected_keys = [
            "productId",
            "name",
            "description",
            "termsAndConditionsInstructions",
            "expiryAndValidity",
            "redemptionInstructions",
            "categories",
            "lastUpdateDate",
            "imageUrl",
            "currencyCode",
            "currencyName",
            "countryName",
            "countryCode",
            "countries",
            "exchangeRateRule",
            "valueType",
            "minValue",
            "maxValue",
            "valueDenominations",
            "tatInDays",
            "usageType",
            "deliveryType",
            "isCommon",
            "fee",
            "discount",
            "exchangeRate",
            "orderQuantityLimit",
        ];
        let mut keys: Vec<&str> = ccd
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = expected_keys.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }
);

both_engines!(get_vouchers_filters_sorts_and_pages, |engine| async move {
    let (app, s) = with_catalog(engine).await;
    let cases = [
        (
            json!({"filters": [{"key": "country", "value": "US"}]}),
            vec![102, 202],
        ),
        (
            json!({"filters": [{"key": "country", "value": "india"}], "limit": 10}),
            vec![101, 102, 103, 201, 202],
        ),
        (
            json!({"filters": [{"key": "currency", "value": "usd"}]}),
            vec![102, 202],
        ),
        (
            json!({"filters": [{"key": "category", "value": "Books"}]}),
            vec![102],
        ),
        (
            json!({"filters": [{"key": "productName", "value": "coffee"}]}),
            vec![101],
        ),
        (
            json!({"filters": [{"key": "price", "value": "400-600"}]}),
            vec![101, 201, 202],
        ),
        (
            json!({"filters": [{"key": "price", "value": "25"}]}),
            vec![102, 202],
        ),
        (json!({"includeProducts": "101,103,999"}), vec![101, 103]),
        (json!({"excludeProducts": "101,102"}), vec![103, 201, 202]),
        (
            json!({"sort": {"field": "name", "order": "DESC"}}),
            vec![103, 201, 101, 102, 202],
        ),
        (
            json!({"sort": {"field": "productId", "order": "desc"}, "limit": 2}),
            vec![202, 201],
        ),
        (json!({"limit": 2, "page": 2}), vec![103, 201]),
        (json!({"limit": "2", "page": "3"}), vec![202]),
    ];
    for (data, expected) in cases {
        let (status, list) = vouchers(&app, &s, data.clone()).await;
        assert_eq!((status, ids(&list)), (200, expected), "{data}");
    }
    let (status, body) = get_vouchers(
        &app,
        &s.tokens.access,
        json!({"filters": [{"key": "productName", "value": "nothing like this"}]}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"code": 404, "errorId": "PLE10030", "errorInfo": "Failed to find vouchers.", "error": "No Vouchers Found"})
    );
});

both_engines!(
    get_vouchers_fills_exchange_rates_when_asked,
    |engine| async move {
        let (app, s) = with_catalog(engine).await;
        let (ok, out, err) = fx_set(&app.test_db.url, "usd", "INR", "83.12");
        assert!(ok, "{err}");
        assert_eq!(out["rate"], "83.12");
        let (_, list) = vouchers(
            &app,
            &s,
            json!({"exchangeRate": 1, "includeProducts": "101,102"}),
        )
        .await;
        assert_eq!(list[0]["exchangeRate"], 1);
        assert_eq!(list[1]["exchangeRate"], 83.12);
        let (ok, _, err) = fx_set(&app.test_db.url, "USD", "INR", "-1");
        assert!(!ok && err.contains("decimal"), "{err}");
    }
);

both_engines!(
    get_vouchers_rejects_bad_input_naming_the_field,
    |engine| async move {
        let (app, s) = with_catalog(engine).await;
        let cases = [
            (json!({"limit": "abc"}), "limit"),
            (json!({"limit": 0}), "limit"),
            (json!({"page": -1}), "page"),
            (json!({"limit": 1e300}), "limit"),
            (json!({"sort": {"field": "price"}}), "sort.field"),
            (json!({"filters": "country"}), "filters"),
            (
                json!({"filters": [{"key": "colour", "value": "red"}]}),
                "key",
            ),
            (
                json!({"filters": [{"key": "price", "value": "cheap"}]}),
                "price",
            ),
            (json!({"includeProducts": "1;2"}), "includeProducts"),
            (json!({"exchangeRate": 7}), "exchangeRate"),
            (json!({"surprise": true}), "surprise"),
        ];
        for (data, field) in cases {
            let (status, body) = get_vouchers(&app, &s.tokens.access, data.clone()).await;
            assert_eq!(
                (status, body["errorId"].as_str()),
                (400, Some("PLE10001")),
                "{data}"
            );
            assert!(
                body["errorInfo"].as_str().unwrap().contains(field),
                "{data}: {body}"
            );
        }
        let (status, body) = app
            .api(
                &s.tokens.access,
                json!({"query": "plumProAPI.mutation.getVouchers", "variables": {"data": [1]}}),
            )
            .await;
        assert_eq!((status, body["errorId"].as_str()), (400, Some("PLE10001")));
    }
);

both_engines!(
    get_filters_come_from_the_live_catalog,
    |engine| async move {
        let (app, s) = with_catalog(engine).await;
        let (status, body) = get_filters(&app, &s, json!({})).await;
        assert_eq!(status, 200, "{body}");
        let groups = body["data"]["getFilters"]["data"].as_array().unwrap();
        let codes: Vec<&str> = groups
            .iter()
            .map(|g| g["filterGroupCode"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec!["country", "currency", "category", "price"]);
        let (_, body) = get_filters(&app, &s, json!({"filterGroupCode": "currency"})).await;
        let currency = &body["data"]["getFilters"]["data"][0];
        assert_eq!(currency["filterGroupName"], "Currency");
        let values: Vec<&str> = currency["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["isoCode"].as_str().unwrap())
            .collect();
        assert_eq!(values, vec!["INR", "USD"]);
        let (_, body) = get_filters(
            &app,
            &s,
            json!({"filterGroupCode": "country", "excludeFilters": "us"}),
        )
        .await;
        let countries = &body["data"]["getFilters"]["data"][0]["filters"];
        assert_eq!(
            countries,
            &json!([{"filterValue": "India", "isoCode": "IN", "filterValueCode": "in"}])
        );
        // Without a group, includeFilters keeps those values of every group.
        let (status, body) = get_filters(&app, &s, json!({"includeFilters": "in"})).await;
        assert_eq!(status, 200, "{body}");
        let kept: Vec<&Value> = body["data"]["getFilters"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["filters"].as_array().unwrap())
            .collect();
        assert_eq!(
            kept,
            vec![&json!({"filterValue": "India", "isoCode": "IN", "filterValueCode": "in"})]
        );
        let (status, _) = get_filters(&app, &s, json!({"filterGroupCode": "colour"})).await;
        assert_eq!(status, 400);
    }
);

both_engines!(
    get_balance_answers_for_the_tokens_company_only,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let a = app.setup().await;
        let b = app.setup().await;
        app.fund(a.company_id, "1000.50").await;
        app.fund(b.company_id, "7").await;
        let (status, body) = get_balance(&app, &a.tokens.access).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"data": {"getBalance": {"status": 1, "data": {"points": 1000.5, "value": 1000.5, "currency": "INR"}}}})
        );
        let (_, body) = get_balance(&app, &b.tokens.access).await;
        assert_eq!(body["data"]["getBalance"]["data"]["value"], 7);
    }
);

both_engines!(
    catalog_import_reports_bad_rows_and_applies_nothing,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.csv");
        std::fs::write(
            &file,
            "productId,name,currencyCode,countries,valueType,valueDenominations\n\
         301,Fine,INR,IN:India,fixed_denomination,\"100,200\"\n\
         302,Broken,INR,IN:India,sometimes,100\n\
         303,No Money,RUPEES,IN:India,fixed_denomination,100\n",
        )
        .unwrap();
        let (ok, _, err) = import_catalog(&app.test_db.url, file.to_str().unwrap());
        assert!(!ok);
        assert!(err.contains("line 3") && err.contains("valueType"), "{err}");
        assert!(err.contains("line 4") && err.contains("currency"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
        assert!(galley::store::catalog::all(app.db.reader())
            .await
            .unwrap()
            .is_empty());
        std::fs::write(&file, "{\"products\": [{\"name\": \"x\", \"currencyCode\": \"INR\", \"valueType\": \"open_value\", \"countryCode\": \"IN\", \"colour\": \"red\"}]}").unwrap();
        let (ok, _, err) = import_catalog(&app.test_db.url, file.to_str().unwrap());
        assert!(
            !ok && err.contains("product #1") && err.contains("colour"),
            "{err}"
        );
        let (ok, _, err) = import_catalog(&app.test_db.url, "/nonexistent.json");
        assert!(!ok && err.contains("cannot read"), "{err}");
    }
);

both_engines!(codes_import_is_all_or_nothing, |engine| async move {
    let (app, _) = with_catalog(engine).await;
    let url = app.test_db.url.clone();
    let codes = sample("codes.csv");
    let free_codes = || galley::store::catalog::free_codes(app.db.reader(), 101, 50_000);
    let (ok, out, err) = import_codes(&url, "101", "500", &codes);
    assert!(ok, "{err}");
    assert_eq!(out["imported"], 4);
    assert_eq!(free_codes().await.unwrap(), 4);
    let (ok, _, err) = import_codes(&url, "101", "500", &codes);
    assert!(!ok && err.contains("already in the inventory"), "{err}");
    assert!(
        err.contains("line 2: code CCD-500-0001"),
        "names the line and the code: {err}"
    );
    assert_eq!(free_codes().await.unwrap(), 4);
    let (ok, _, err) = import_codes(&url, "101", "300", &codes);
    assert!(!ok && err.contains("no denomination 300"), "{err}");
    let (ok, _, err) = import_codes(&url, "999", "300", &codes);
    assert!(!ok && err.contains("product not found"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("codes.csv");
    std::fs::write(&bad, "code,pin,validity\nA-1,,2027-02-30\nA-1,,\n").unwrap();
    let (ok, _, err) = import_codes(&url, "101", "100", bad.to_str().unwrap());
    assert!(
        !ok && err.contains("line 2") && err.contains("line 3"),
        "{err}"
    );
});

both_engines!(rate_limits_per_client_and_operation, |engine| async move {
    let app = TestApp::spawn_with(engine, |c| {
        c.api_rate_limits.insert("getBalance".into(), 3);
    })
    .await;
    let a = app.setup().await;
    let b = app.setup().await;
    for _ in 0..3 {
        assert_eq!(get_balance(&app, &a.tokens.access).await.0, 200);
    }
    let response = app
        .http
        .post(app.url("/v1/oauth/api"))
        .bearer_auth(&a.tokens.access)
        .json(&json!({"query": "plumProAPI.query.getBalance", "variables": {"data": {}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"errors": [{"message": "auth.request_limit_exceeded", "penaltySeconds": 60}]})
    );
    assert_eq!(
        get_balance(&app, &b.tokens.access).await.0,
        200,
        "per client"
    );
    assert_eq!(
        get_filters(&app, &a, json!({})).await.0,
        200,
        "per operation"
    );
    app.clock.advance_secs(60);
    assert_eq!(
        get_balance(&app, &a.tokens.access).await.0,
        200,
        "next minute"
    );
});

both_engines!(a_new_import_is_served_at_once, |engine| async move {
    let (app, s) = with_catalog(engine).await;
    let (_, list) = vouchers(&app, &s, json!({"includeProducts": "101"})).await;
    assert_eq!(list[0]["name"], "Cafe Coffee Day");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rename.json");
    std::fs::write(&file, r#"{"products": [{"productId": 101, "name": "CCD Renamed", "currencyCode": "INR", "countryCode": "IN",
        "countryName": "India", "valueType": "fixed_denomination", "valueDenominations": "500"}]}"#).unwrap();
    let (ok, _, err) = import_catalog(&app.test_db.url, file.to_str().unwrap());
    assert!(ok, "{err}");
    let (_, list) = vouchers(&app, &s, json!({"includeProducts": "101"})).await;
    assert_eq!(
        list[0]["name"], "CCD Renamed",
        "no stale catalog after an import by another process"
    );
    assert_eq!(list[0]["valueDenominations"], "500");
});

both_engines!(
    exchange_rates_follow_each_companys_base_currency,
    |engine| async move {
        let (app, inr) = with_catalog(engine).await;
        // A second company charged in USD sees the same catalog with its own rates.
        let (dollar_co, email) = app.company_in("Dollar Co", "USD").await;
        let client = app.client(dollar_co, "plum_pro_api").await;
        let usd = app.admin_tokens(&client, &email, "plum_pro_api").await;
        for (from, to, rate) in [("USD", "INR", "83.12"), ("INR", "USD", "0.012")] {
            let (ok, _, err) = fx_set(&app.test_db.url, from, to, rate);
            assert!(ok, "{err}");
        }
        let query = json!({"exchangeRate": 1, "includeProducts": "101,102"});
        let (_, for_inr) = get_vouchers(&app, &inr.tokens.access, query.clone()).await;
        let (_, for_usd) = get_vouchers(&app, &usd.access, query).await;
        let rates = |body: &Value| -> Vec<Value> {
            body["data"]["getVouchers"]["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["exchangeRate"].clone())
                .collect()
        };
        assert_eq!(rates(&for_inr), vec![json!(1), json!(83.12)]);
        assert_eq!(rates(&for_usd), vec![json!(0.012), json!(1)]);
        let (_, balance) = get_balance(&app, &usd.access).await;
        assert_eq!(balance["data"]["getBalance"]["data"]["currency"], "USD");
    }
);

// What published Plum client libraries send: a whole catalog in one call,
// page 0, blank optional fields, numbers as strings and strings as
// numbers. Past the last page the answer is the same on every page; what
// is still refused names the field and why.
both_engines!(published_client_bodies_are_read, |engine| async move {
    let (app, s) = with_catalog(engine).await;
    let all = vec![101, 102, 103, 201, 202];
    let whole_catalog = json!({
        "limit": 10000, "page": 0, "includeProducts": "", "excludeProducts": "",
        "exchangeRate": 0, "sort": {"field": "", "order": ""}, "filters": []
    });
    for data in [
        whole_catalog.clone(),
        json!({"limit": 1000, "page": 0, "includeProducts": "", "exchangeRate": 0, "sort": {"field": "", "order": ""}}),
        json!({"limit": "10000", "page": "0", "sort": "", "filters": [{"key": "", "value": ""}]}),
        json!({"limit": 10000.0, "page": null, "includeProducts": null, "exchangeRate": "0", "sort": null}),
        json!({"limit": " 50 ", "exchangeRate": false, "sort": {"field": null, "order": null}}),
    ] {
        let (status, list) = vouchers(&app, &s, data.clone()).await;
        assert_eq!((status, ids(&list)), (200, all.clone()), "{data}");
        assert!(
            list.iter().all(|p| p["exchangeRate"].is_null()),
            "exchangeRate 0: no rates"
        );
    }
    for (data, expected) in [
        (json!({"includeProducts": 101}), vec![101]),
        (json!({"includeProducts": [101, "102"]}), vec![101, 102]),
        (
            json!({"excludeProducts": " 101 , 102 "}),
            vec![103, 201, 202],
        ),
        (json!({"limit": 2, "page": 0}), vec![101, 102]),
        (json!({"limit": 2, "page": 1}), vec![101, 102]),
        (
            json!({"sort": {"field": "name", "order": ""}, "limit": 1}),
            vec![202],
        ),
    ] {
        let (status, list) = vouchers(&app, &s, data.clone()).await;
        assert_eq!((status, ids(&list)), (200, expected), "{data}");
    }
    // Past the last page: 404 PLE10030 on every page, however far.
    let past = json!({"code": 404, "errorId": "PLE10030", "errorInfo": "Failed to find vouchers.", "error": "No Vouchers Found"});
    for data in [
        json!({"limit": 10000, "page": 2}),
        json!({"limit": 2, "page": 4}),
        json!({"limit": 10000, "page": "999999999999999999"}),
    ] {
        let (status, body) = get_vouchers(&app, &s.tokens.access, data.clone()).await;
        assert_eq!((status, &body), (404, &past), "{data}");
    }
    for (data, says) in [
        (
            json!({"limit": 10001}),
            "variables.data.limit must be between 1 and 10000",
        ),
        (
            json!({"limit": 0}),
            "variables.data.limit must be between 1 and 10000",
        ),
        (
            json!({"limit": "ten"}),
            "variables.data.limit must be a whole number",
        ),
        (
            json!({"limit": 2.5}),
            "variables.data.limit must be a whole number",
        ),
        (
            json!({"page": -1}),
            "variables.data.page must be between 0 and",
        ),
        (
            json!({"exchangeRate": 2}),
            "variables.data.exchangeRate must be 0 or 1",
        ),
        (
            json!({"sort": {"field": "price"}}),
            "variables.data.sort.field must be name or productId",
        ),
        (
            json!({"sort": {"colour": "red"}}),
            "variables.data.sort.colour is not a field of sort",
        ),
        (
            json!({"includeProducts": "1,x"}),
            "variables.data.includeProducts must be comma-separated product ids",
        ),
        (
            json!({"filters": [{"key": "price", "value": 2.5}]}),
            "price value must be like 100 or 100-500",
        ),
        (
            json!({"colour": "red"}),
            "variables.data.colour is not a field of this operation",
        ),
    ] {
        let (status, body) = get_vouchers(&app, &s.tokens.access, data.clone()).await;
        assert_eq!(
            (status, body["errorId"].as_str()),
            (400, Some("PLE10001")),
            "{data}: {body}"
        );
        assert!(
            body["errorInfo"].as_str().unwrap().contains(says),
            "{data}: {body}"
        );
    }
    // getFilters: include/exclude without a group apply to every group.
    let (status, body) = get_filters(
        &app,
        &s,
        json!({"filterGroupCode": "", "includeFilters": "usd,in", "excludeFilters": ""}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<&str> = body["data"]["getFilters"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["filters"].as_array().unwrap())
        .map(|f| f["filterValueCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["in", "usd"], "{body}");
});
