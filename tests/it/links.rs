//! The Xoxo Link API (docs/api.md) and reward links: every operation and
//! branch, the charge at generation (all links or none), redemption exactly
//! once, the expiry refund exactly once, and company isolation.

// Amounts are written in minor units grouped as rupees_paise (`10_000_00`
// is ₹10,000.00), which this lint would regroup.
#![allow(clippy::inconsistent_digit_grouping)]

use futures::future::join_all;
use serde_json::{json, Value};

use crate::{both_engines, cli::galley, common::*};

/// The catalog, the gift card (generated codes), `codes` inventory codes of
/// product 101 at 500 INR, a company with 10,000 INR and a campaign of 500
/// INR offering products 101 and 104.
async fn campaign_app(
    engine: Engine,
    codes: usize,
    tweak: impl FnOnce(&mut galley::config::Config),
) -> (TestApp, Setup, i64) {
    let app = TestApp::spawn_with(engine, tweak).await;
    let rows: String = (1..=codes)
        .map(|i| format!("LINK-{i:03},{:04},2030-01-01\n", i * 11))
        .collect();
    let codes = if codes > 0 {
        format!("code,pin,validity\n{rows}")
    } else {
        String::new()
    };
    let s = app
        .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], &codes, "10000")
        .await;
    let campaign = app
        .campaign(s.company_id, "Diwali Thank You", "500", "INR", &[101, 104])
        .await;
    (app, s, campaign)
}

/// A Xoxo Link API call (`query` without the `xoxo_link.` prefix).
async fn xoxo(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Value) {
    app.api(token, json!({ "tag": "xoxo_link", "query": format!("xoxo_link.{query}"), "variables": variables })).await
}

/// campaignDetails of `campaign` with `token`.
async fn campaign_details(app: &TestApp, token: &str, campaign: i64) -> (u16, Value) {
    let variables = json!({"data": {"campaignId": campaign}});
    xoxo(app, token, "mutation.campaignDetails", variables).await
}

/// generateLinkEmail: one link of `campaign` per address in `email_ids`.
async fn generate_by_email(
    app: &TestApp,
    s: &Setup,
    campaign: i64,
    email_ids: &str,
    expiry: &str,
) -> (u16, Value) {
    let data = json!({"campaignId": campaign, "email_ids": email_ids, "link_expiry": expiry});
    xoxo(
        app,
        &s.tokens.access,
        "mutation.generateLinkEmail",
        json!({ "data": data }),
    )
    .await
}

/// Disables a campaign, as the operator.
async fn disable(app: &TestApp, campaign: i64) {
    galley::domain::campaigns::set_enabled(
        &app.db,
        &*app.clock,
        &galley::domain::Actor::Cli,
        campaign,
        false,
    )
    .await
    .unwrap();
}

/// generateLink, asserting HTTP 200; its `generateLink` object.
async fn generate(app: &TestApp, s: &Setup, campaign: i64, quantity: Value, expiry: &str) -> Value {
    let data = json!({ "campaignId": campaign, "links_quantity": quantity, "link_expiry": expiry });
    let (status, body) = xoxo(
        app,
        &s.tokens.access,
        "mutation.generateLink",
        json!({ "data": data }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["generateLink"].clone()
}

/// How many links exist.
async fn link_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM links").await
}

/// Chooses `product` on a link page, sending `csrf` in the form.
async fn choose(http: &reqwest::Client, url: &str, product: &str, csrf: &str) -> (u16, String) {
    post_link_form(http, url, csrf, &format!("product_id={product}")).await
}

/// GETs a link page: (status, HTML).
async fn page(http: &reqwest::Client, url: &str) -> (u16, String) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The voucher code shown on a page.
fn shown_code(html: &str) -> Option<String> {
    let start = html.find("id=\"voucher-code\">")? + "id=\"voucher-code\">".len();
    Some(html[start..start + html[start..].find('<')?].to_string())
}

both_engines!(seed_003_examples_work_verbatim, |engine| async move {
    let (app, s, campaign) = campaign_app(engine, 3, |_| {}).await;
    // The seed's campaignList request (its curly quotes straightened).
    let body = r#"{
  "tag":"xoxo_link",
  "query":"xoxo_link.query.campaignList",
  "variables" : { "add_data": { "limit": 10, "offset": 0, "name": "", "enabled" : 1} }

}"#;
    let response = app
        .http
        .post(app.url("/v1/oauth/api"))
        .bearer_auth(&s.tokens.access)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, list) = status_json(response).await;
    assert_eq!(status, 200, "{list}");
    let list = &list["data"]["campaignList"];
    assert_eq!(list["success"], 1);
    assert_eq!(list["count"], 1);
    assert_eq!(list["errors"], json!([]));
    let c = &list["data"][0];
    assert_eq!(c["campaignId"], campaign);
    assert_eq!(c["campaignName"], "Diwali Thank You");
    assert_eq!(c["denomination_value"], 500);
    assert_eq!(c["countryName"], "India");
    assert_eq!(c["currencyCode"], "INR");
    assert_eq!(c["product_count"], 2);
    assert_eq!(c["status"], 1);
    let created = c["created_date"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );

    let (status, details) = campaign_details(&app, &s.tokens.access, campaign).await;
    assert_eq!(status, 200);
    let d = &details["data"]["campaignDetails"];
    assert_eq!(d["success"], 1);
    assert_eq!(d["data"][0]["currency_code"], "INR");
    assert_eq!(d["data"][0]["denomination_value"], 500);
    assert_eq!(
        d["data"][0]["vouchers"],
        json!([{"name": "Cafe Coffee Day", "image": "https://images.galley.example/ccd.png"}, {"name": "Galley Gift Card", "image": ""}])
    );

    let g = generate(&app, &s, campaign, json!(3), &app.expiry(10)).await;
    assert_eq!(g["success"], 1, "{g}");
    assert!(g["message"].as_str().unwrap().contains("3 links"), "{g}");
    let links = g["links"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    for link in links {
        let link = link.as_str().unwrap();
        assert!(link.starts_with(&app.url("/r/")), "{link}");
        assert!(code_of(link).len() >= 22, "≥ 128 bits: {link}");
    }
    assert!(g["batchId"].is_string());
    assert_eq!(g["campaignId"], campaign.to_string());
    assert_eq!(g["campaignName"], "Diwali Thank You");
    assert_eq!(g["denomination_value"], 500);
    assert_eq!(g["countryName"], "India");
    assert_eq!(g["currencyCode"], "INR");
    assert_eq!(
        app.ledger_balance(s.company_id).await,
        10_000_00 - 3 * 500_00
    );
    // Only hashes are stored.
    let stored: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM links")
        .fetch_all(app.db.reader())
        .await
        .unwrap();
    for link in links {
        let code = code_of(link.as_str().unwrap());
        assert!(stored.iter().all(|(h,)| !h.contains(code)));
        assert!(stored
            .iter()
            .any(|(h,)| *h == galley::crypto::hash_secret(code)));
    }

    let (status, by_mail) =
        generate_by_email(&app, &s, campaign, "a@x.test,b@y.test", &app.expiry(10)).await;
    assert_eq!(status, 200);
    let g = &by_mail["data"]["generateLink"];
    assert_eq!(g["success"], 1, "{by_mail}");
    assert_eq!(g["links"].as_array().unwrap().len(), 2);
    let queued = app
        .count("SELECT COUNT(*) FROM outbox WHERE kind = 'link_email'")
        .await;
    assert_eq!(queued, 2);
    assert_eq!(
        app.ledger_balance(s.company_id).await,
        10_000_00 - 5 * 500_00
    );
});

both_engines!(campaign_list_filters_and_pages, |engine| async move {
    let (app, s, first) = campaign_app(engine, 0, |_| {}).await;
    let second = app
        .campaign(s.company_id, "Summer Bonus", "1000", "INR", &[101, 104])
        .await;
    let third = app
        .campaign(s.company_id, "summer 50%_off", "500", "INR", &[104])
        .await;
    disable(&app, second).await;
    // Another company's campaign is never listed.
    let (other, _) = app.company("Other").await;
    app.campaign(other, "Summer Other", "500", "INR", &[101])
        .await;

    let list = |add_data: Value| {
        let app = &app;
        let token = s.tokens.access.clone();
        async move {
            let (status, body) = xoxo(
                app,
                &token,
                "query.campaignList",
                json!({ "add_data": add_data }),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["data"]["campaignList"].clone()
        }
    };
    let ids = |l: &Value| {
        l["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["campaignId"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let all = list(json!({"limit": 10, "offset": 0, "name": ""})).await;
    assert_eq!(ids(&all), vec![third, second, first]);
    assert_eq!(all["count"], 3);
    let statuses: Vec<i64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![1, 0, 1]);
    assert_eq!(
        ids(&list(json!({"name": "SUMMER"})).await),
        vec![third, second]
    );
    assert_eq!(
        ids(&list(json!({"name": "50%_"})).await),
        vec![third],
        "wildcards are literal"
    );
    assert_eq!(ids(&list(json!({"name": "%"})).await), vec![third]);
    assert_eq!(ids(&list(json!({"enabled": 1})).await), vec![third, first]);
    assert_eq!(ids(&list(json!({"enabled": "0"})).await), vec![second]);
    let page = list(json!({"limit": 1, "offset": 1})).await;
    assert_eq!(ids(&page), vec![second]);
    assert_eq!(
        page["count"], 3,
        "count is the total matching, not the page"
    );

    for (bad, why) in [
        (json!({"limit": 0}), "limit"),
        (json!({"limit": "ten"}), "limit"),
        (json!({"offset": -1}), "offset"),
        (json!({"enabled": 2}), "enabled"),
        (json!({"name": ["x"]}), "name"),
        (json!({"colour": "red"}), "colour"),
        (json!({"limit": 1e300}), "limit"),
    ] {
        let out = list(bad.clone()).await;
        assert_eq!(out["success"], 0, "{bad}: {out}");
        assert!(
            out["message"].as_str().unwrap().contains(why),
            "{bad}: {out}"
        );
        assert_eq!(out["data"], json!([]));
        assert_eq!(out["errors"][0]["message"], out["message"]);
    }
});

both_engines!(generation_refusals_charge_nothing, |engine| async move {
    let (app, s, campaign) = campaign_app(engine, 0, |c| c.max_links_per_request = 5).await;
    let before = app.ledger_balance(s.company_id).await;
    let (other, _) = app.company("Other").await;
    let foreign = app.campaign(other, "Not yours", "500", "INR", &[101]).await;
    let disabled = app
        .campaign(s.company_id, "Paused", "500", "INR", &[101])
        .await;
    disable(&app, disabled).await;
    let big = app
        .campaign(s.company_id, "Big", "5000", "INR", &[103])
        .await;
    let good = app.expiry(3);
    let today = app.expiry(0);
    let yesterday = app.expiry(-1);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"campaignId": campaign, "links_quantity": 0, "link_expiry": good}),
            "at least 1",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 6, "link_expiry": good}),
            "at most 5",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": -1, "link_expiry": good}),
            "at least 1",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": "many", "link_expiry": good}),
            "links_quantity",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 99999999999999999999u128 as f64, "link_expiry": good}),
            "links_quantity",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 1, "link_expiry": yesterday}),
            "in the past",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 1, "link_expiry": "2026-12-01"}),
            "DD-MM-YYYY",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 1, "link_expiry": "31-02-2030"}),
            "DD-MM-YYYY",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 1}),
            "link_expiry is required",
        ),
        (
            json!({"links_quantity": 1, "link_expiry": good}),
            "campaignId is required",
        ),
        (
            json!({"campaignId": 424242, "links_quantity": 1, "link_expiry": good}),
            "not found",
        ),
        (
            json!({"campaignId": foreign, "links_quantity": 1, "link_expiry": good}),
            "not found",
        ),
        (
            json!({"campaignId": disabled, "links_quantity": 1, "link_expiry": good}),
            "disabled",
        ),
        (
            json!({"campaignId": big, "links_quantity": 3, "link_expiry": good}),
            "cost 15000.00 INR",
        ),
        (
            json!({"campaignId": campaign, "links_quantity": 1, "link_expiry": good, "extra": 1}),
            "extra",
        ),
        (
            json!({"campaignId": "<script>", "links_quantity": 1, "link_expiry": good}),
            "campaignId",
        ),
    ];
    for (data, why) in cases {
        let (status, body) = xoxo(
            &app,
            &s.tokens.access,
            "mutation.generateLink",
            json!({ "data": data }),
        )
        .await;
        assert_eq!(status, 200, "{data}: {body}");
        let g = &body["data"]["generateLink"];
        assert_eq!(g["success"], 0, "{data}: {body}");
        assert!(
            g["message"].as_str().unwrap().contains(why),
            "{data}: expected `{why}` in {body}"
        );
        assert_eq!(g["links"], json!([]));
    }
    assert_eq!(
        app.ledger_balance(s.company_id).await,
        before,
        "nothing charged"
    );
    assert_eq!(link_count(&app).await, 0, "no link created");
    // E-mail variant: one bad address refuses the whole call.
    let (_, body) = generate_by_email(&app, &s, campaign, "ok@x.test, not-an-address", &good).await;
    assert_eq!(body["data"]["generateLink"]["success"], 0, "{body}");
    assert!(body["data"]["generateLink"]["message"]
        .as_str()
        .unwrap()
        .contains("not-an-address"));
    let (_, body) = generate_by_email(
        &app,
        &s,
        campaign,
        "a@x.test,b@x.test,c@x.test,d@x.test,e@x.test,f@x.test",
        &good,
    )
    .await;
    assert!(
        body["data"]["generateLink"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 5"),
        "{body}"
    );
    assert_eq!(app.ledger_balance(s.company_id).await, before);
    assert_eq!(link_count(&app).await, 0);
    // Today is still valid (through the end of the day).
    let g = generate(&app, &s, campaign, json!("2"), &today).await;
    assert_eq!(g["success"], 1, "{g}");
    assert_eq!(app.ledger_balance(s.company_id).await, before - 2 * 500_00);
    // A token without the xoxo_link scope is refused before anything else.
    let plum_only = app.admin_tokens(&s.client, &s.email, "plum_pro_api").await;
    let (status, body) = xoxo(&app, &plum_only.access, "query.campaignList", json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "insufficient_scope");
});

both_engines!(
    links_are_charged_in_the_base_currency,
    |engine| async move {
        let (app, s, _) = campaign_app(engine, 0, |_| {}).await;
        // Product 102 (USD, generated) is sold in India too.
        let usd = app
            .campaign(s.company_id, "Books", "25", "USD", &[102])
            .await;
        let g = generate(&app, &s, usd, json!(2), &app.expiry(5)).await;
        assert_eq!(g["success"], 0, "no USD→INR rate yet: {g}");
        assert!(
            g["message"].as_str().unwrap().contains("galley fx set"),
            "{g}"
        );
        galley::domain::catalog::set_rate(
            &app.db,
            &*app.clock,
            &galley::domain::Actor::Cli,
            "USD",
            "INR",
            "83.12",
        )
        .await
        .unwrap();
        let g = generate(&app, &s, usd, json!(2), &app.expiry(5)).await;
        assert_eq!(g["success"], 1, "{g}");
        assert_eq!(g["denomination_value"], 25);
        assert_eq!(g["currencyCode"], "USD");
        assert_eq!(
            app.ledger_balance(s.company_id).await,
            10_000_00 - 2 * 2078_00,
            "2 × 25 USD × 83.12"
        );
        // Redeeming mints a USD voucher; the order records the charge.
        let http = link_client();
        let url = g["links"][0].as_str().unwrap();
        let csrf = link_csrf(&http, url).await;
        assert_eq!(choose(&http, url, "102", &csrf).await.0, 303);
        let (_, html) = page(&http, url).await;
        assert!(shown_code(&html).is_some_and(|c| c.len() == 19), "{html}");
        assert!(html.contains("25.00 USD"), "{html}");
    }
);

both_engines!(
    a_link_redeems_once_and_shows_the_same_voucher,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 3, |_| {}).await;
        let g = generate(&app, &s, campaign, json!(2), &app.expiry(3)).await;
        let url = g["links"][0].as_str().unwrap().to_string();
        let http = link_client();
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        assert!(response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("galley_csrf="));
        let html = response.text().await.unwrap();
        let csrf = link_csrf(&http, &url).await;
        assert!(
            html.contains("Cafe Coffee Day")
                && html.contains("Galley Gift Card")
                && html.contains("500.00 INR"),
            "{html}"
        );
        assert!(html.contains("name=\"csrf\""));

        // Without a matching CSRF token nothing happens.
        let (status, _) = choose(&http, &url, "101", "ffffffffffffffffffffffffffffffff").await;
        assert_eq!(status, 403);
        // A product that is not the campaign's is refused.
        let (status, html) = choose(&http, &url, "103", &csrf).await;
        assert_eq!(status, 400);
        assert!(html.contains("not part of this reward"), "{html}");
        let (status, _) = choose(&http, &url, "abc", &csrf).await;
        assert_eq!(status, 400);
        assert_eq!(app.link(&url).await.status, "created");

        let (status, _) = choose(&http, &url, "101", &csrf).await;
        assert_eq!(status, 303);
        let (status, html) = page(&http, &url).await;
        assert_eq!(status, 200);
        let code = shown_code(&html).expect("voucher shown");
        assert_eq!(code, "LINK-001");
        assert!(html.contains("0011"), "PIN shown: {html}");
        assert!(html.contains("2030-01-01"), "validity shown");
        assert!(
            html.contains("Show the code at the counter"),
            "instructions shown"
        );
        // Choosing again, even another product, shows the same voucher.
        assert_eq!(choose(&http, &url, "104", &csrf).await.0, 303);
        assert_eq!(
            shown_code(&page(&http, &url).await.1).as_deref(),
            Some("LINK-001")
        );
        let orders = app
            .count(&format!(
                "SELECT COUNT(*) FROM orders WHERE company_id = {}",
                s.company_id
            ))
            .await;
        assert_eq!(orders, 1);
        assert_eq!(
            app.ledger_balance(s.company_id).await,
            10_000_00 - 2 * 500_00,
            "redemption charges nothing more"
        );
        let link = app.link(&url).await;
        assert_eq!(link.status, "redeemed");
        assert!(link.redeemed_at.is_some() && link.order_id.is_some());

        // The generated gift card mints a code for the second link.
        let second = g["links"][1].as_str().unwrap();
        assert_eq!(choose(&http, second, "104", &csrf).await.0, 303);
        let minted = shown_code(&page(&http, second).await.1).unwrap();
        assert_eq!(minted.len(), 19, "{minted}");

        // A real selector with a wrong verifier is no link either.
        let mut forged = code_of(&url).to_string();
        let last = if forged.ends_with('A') { "B" } else { "A" };
        forged.replace_range(forged.len() - 1.., last);
        let (status, _) = page(&http, &app.url(&format!("/r/{forged}"))).await;
        assert_eq!(status, 404, "forged verifier");
        assert_eq!(
            choose(&http, &app.url(&format!("/r/{forged}")), "101", &csrf)
                .await
                .0,
            404
        );
        // Unknown and malformed codes: a 404 page, no lookup of garbage.
        // (48 characters: a well-formed code that names no link, looked
        // up; 43: the wrong length, refused before any lookup.)
        assert_eq!(code_of(&url).len(), 48);
        for bad in [
            "/r/nope",
            "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "/r/%3Cscript%3E",
        ] {
            let (status, html) = page(&http, &app.url(bad)).await;
            assert_eq!(status, 404, "{bad}");
            assert!(html.contains("not valid"), "{html}");
            assert!(!html.contains("<script>"));
        }
        let (status, _) = choose(
            &http,
            &app.url("/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            "101",
            &csrf,
        )
        .await;
        assert_eq!(status, 404);
    }
);

both_engines!(
    out_of_stock_leaves_the_link_redeemable,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 1, |_| {}).await;
        let g = generate(&app, &s, campaign, json!(2), &app.expiry(3)).await;
        let (a, b) = (
            g["links"][0].as_str().unwrap(),
            g["links"][1].as_str().unwrap(),
        );
        let http = link_client();
        let csrf = link_csrf(&http, a).await;
        assert_eq!(choose(&http, a, "101", &csrf).await.0, 303);
        let (status, html) = choose(&http, b, "101", &csrf).await;
        assert_eq!(status, 409);
        assert!(html.contains("out of stock"), "{html}");
        assert!(
            html.contains("Galley Gift Card"),
            "the other choices are offered again"
        );
        assert_eq!(app.link(b).await.status, "created");
        assert_eq!(choose(&http, b, "104", &csrf).await.0, 303);
        assert!(shown_code(&page(&http, b).await.1).is_some());
    }
);

both_engines!(
    expired_links_are_refunded_exactly_once,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 3, |c| c.link_sweep_interval = 1).await;
        let g = generate(&app, &s, campaign, json!(3), &app.expiry(0)).await;
        let urls: Vec<String> = g["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let http = link_client();
        let csrf = link_csrf(&http, &urls[0]).await;
        assert_eq!(choose(&http, &urls[0], "101", &csrf).await.0, 303);
        assert_eq!(
            app.ledger_balance(s.company_id).await,
            10_000_00 - 3 * 500_00
        );
        // Past the end of the day: the two unredeemed links expire.
        app.clock.advance_secs(2 * 86_400);
        let (status, html) = page(&http, &urls[1]).await;
        assert_eq!(status, 410);
        assert!(html.contains("expired"), "{html}");
        assert_eq!(
            choose(&http, &urls[1], "101", &csrf).await.0,
            303,
            "back to the page"
        );
        assert_eq!(
            page(&http, &urls[1]).await.0,
            410,
            "still expired, not redeemed"
        );
        // The redeemed link still shows its voucher.
        assert_eq!(
            shown_code(&page(&http, &urls[0]).await.1).as_deref(),
            Some("LINK-001")
        );
        // The background sweeper refunds both, once.
        for _ in 0..100 {
            if app.ledger_balance(s.company_id).await == 10_000_00 - 500_00 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(app.ledger_balance(s.company_id).await, 10_000_00 - 500_00);
        // More sweeps, concurrently, refund nothing more.
        let sweeps = (0..4).map(|_| galley::domain::links::sweep(&app.db, &*app.clock));
        let refunded: usize = join_all(sweeps).await.into_iter().map(Result::unwrap).sum();
        assert_eq!(refunded, 0);
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert_eq!(app.ledger_balance(s.company_id).await, 10_000_00 - 500_00);
        let report =
            galley::domain::links::report(&app.db, s.company_id, Some(campaign), None, 10, 0)
                .await
                .unwrap();
        let statuses: Vec<&str> = report
            .iter()
            .map(|l| {
                galley::domain::links::LinkStatus::of(l, app.clock_ms())
                    .unwrap()
                    .as_str()
            })
            .collect();
        assert_eq!(statuses, vec!["redeemed", "refunded", "refunded"]);
        assert!(report[1].refunded_at.is_some());
        let refunds = app
            .count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'link_refund'")
            .await;
        assert_eq!(refunds, 1, "one entry for the batch's two links");
    }
);

both_engines!(
    sweeps_racing_on_many_links_refund_each_once,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 0, |c| c.link_sweep_interval = 3600).await;
        for _ in 0..3 {
            let g = generate(&app, &s, campaign, json!(6), &app.expiry(0)).await;
            assert_eq!(g["success"], 1, "{g}");
        }
        assert_eq!(
            app.ledger_balance(s.company_id).await,
            10_000_00 - 18 * 500_00
        );
        app.clock.advance_secs(2 * 86_400);
        let sweeps = (0..8).map(|_| galley::domain::links::sweep(&app.db, &*app.clock));
        let refunded: usize = join_all(sweeps).await.into_iter().map(Result::unwrap).sum();
        assert_eq!(refunded, 18, "the server's own sweeper ran at start only");
        assert_eq!(app.ledger_balance(s.company_id).await, 10_000_00);
    }
);

both_engines!(
    recipients_get_their_voucher_by_email_on_request,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 2, |_| {}).await;
        let g = generate(&app, &s, campaign, json!(1), &app.expiry(3)).await;
        let url = g["links"][0].as_str().unwrap().to_string();
        let http = link_client();
        let csrf = link_csrf(&http, &url).await;
        let email = |address: &str| {
            let (http, url, csrf) = (http.clone(), format!("{url}/email"), csrf.clone());
            let body = format!("email={}", address.replace('@', "%40"));
            async move { post_link_form(&http, &url, &csrf, &body).await }
        };
        let (status, html) = email("me@x.test").await;
        assert_eq!(status, 400, "choose first");
        assert!(html.contains("choose a voucher first"), "{html}");
        assert_eq!(choose(&http, &url, "101", &csrf).await.0, 303);
        let (status, html) = email("not an address").await;
        assert_eq!(status, 400);
        assert!(html.contains("not an e-mail address"), "{html}");
        let (status, html) = email("Me@X.test").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("sending your voucher to me@x.test"), "{html}");
        let queued = app
            .count("SELECT COUNT(*) FROM outbox WHERE kind = 'order_email'")
            .await;
        assert_eq!(queued, 1);
        for _ in 0..4 {
            assert_eq!(email("me@x.test").await.0, 200);
        }
        let (status, html) = email("me@x.test").await;
        assert_eq!(status, 400, "at most 5 e-mails per link");
        assert!(html.contains("already e-mailed 5 times"), "{html}");
    }
);

both_engines!(
    one_hundred_simultaneous_redemptions_yield_one_voucher,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 150, |_| {}).await;
        let g = generate(&app, &s, campaign, json!(1), &app.expiry(3)).await;
        let url = g["links"][0].as_str().unwrap().to_string();
        // On PostgreSQL the POSTs go to two more `galley serve` nodes sharing
        // the database as well as to the in-process one.
        let mut nodes = Vec::new();
        let mut bases = vec![app.base.clone()];
        if engine == Engine::Postgres {
            for _ in 0..2 {
                let (node, base) =
                    crate::concurrency::start_node(&app.test_db.url, &app.http).await;
                nodes.push(node);
                bases.push(base);
            }
        }
        let code = code_of(&url);
        let http = link_client();
        let csrf = link_csrf(&http, &format!("{}/r/{code}", bases[0])).await;
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(100));
        let posts = (0..100).map(|i| {
            let target = format!("{}/r/{code}", bases[i % bases.len()]);
            let product = if i % 2 == 0 { "101" } else { "104" };
            let (http, csrf) = (http.clone(), csrf.clone());
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                choose(&http, &target, product, &csrf).await.0
            })
        });
        let statuses: Vec<u16> = join_all(posts)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
        let orders = app
            .count(&format!(
                "SELECT COUNT(*) FROM orders WHERE company_id = {}",
                s.company_id
            ))
            .await;
        assert_eq!(orders, 1, "exactly one voucher");
        let codes = app
            .count("SELECT COUNT(*) FROM voucher_codes WHERE order_id IS NOT NULL")
            .await;
        assert_eq!(codes, 1);
        let mut shown = Vec::new();
        for base in &bases {
            shown.push(shown_code(
                &page(&http, &format!("{base}/r/{code}")).await.1,
            ));
        }
        assert!(
            shown[0].is_some() && shown.iter().all(|c| *c == shown[0]),
            "{shown:?}"
        );
        assert_eq!(app.ledger_balance(s.company_id).await, 10_000_00 - 500_00);
    }
);

both_engines!(campaigns_from_the_cli, |engine| async move {
    let (app, s, _) = campaign_app(engine, 0, |c| c.link_sweep_interval = 3600).await;
    let url = app.test_db.url.clone();
    let company = s.company_id.to_string();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "campaign",
            "create",
            "--company",
            &company,
            "--name",
            "CLI",
            "--currency",
            "INR",
            "--json",
            "--database-url",
            &url,
        ];
        args.extend_from_slice(extra);
        galley(&args)
    };
    let offer = |denomination, country, products| {
        [
            "--denomination",
            denomination,
            "--country",
            country,
            "--products",
            products,
        ]
    };
    let (ok, out, err) = create(&offer("500", "India", "101,104"));
    assert!(ok, "{err}");
    let id = out["campaign_id"].as_i64().unwrap();
    let campaign = galley::store::links::campaign_by_id(app.db.reader(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            campaign.country_code.as_str(),
            campaign.product_count,
            campaign.enabled
        ),
        ("IN", 2, true)
    );
    for (extra, why) in [
        (offer("700", "IN", "101"), "no 700.00 INR voucher"),
        (offer("500", "US", "101"), "not sold in `US`"),
        (offer("500", "IN", "102"), "sold in USD"),
        (offer("500", "IN", "101,101"), "listed twice"),
        (offer("500", "IN", "999"), "not in the catalog"),
        (offer("0", "IN", "101"), "greater than zero"),
        (offer("5.001", "IN", "101"), "decimals"),
    ] {
        let (ok, _, err) = create(&extra);
        assert!(!ok && err.contains(why), "{extra:?}: {err}");
    }
    let id_text = id.to_string();
    let cmd = |verb: &str| {
        galley(&[
            "campaign",
            verb,
            "--id",
            &id_text,
            "--json",
            "--database-url",
            &url,
        ])
    };
    assert!(cmd("disable").0);
    let g = generate(&app, &s, id, json!(1), &app.expiry(1)).await;
    assert!(g["message"].as_str().unwrap().contains("disabled"), "{g}");
    assert!(cmd("enable").0);
    let g = generate(&app, &s, id, json!(1), &app.expiry(1)).await;
    assert_eq!(g["success"], 1, "{g}");
    // A live link blocks deletion; once it expired, deletion works.
    let (ok, _, err) = cmd("delete");
    assert!(!ok && err.contains("can still be redeemed"), "{err}");
    // The CLI reads the system clock: move the link's expiry into the past.
    sqlx::query("UPDATE links SET expires_at = 1")
        .execute(app.db.writer())
        .await
        .unwrap();
    let (ok, out, err) = cmd("delete");
    assert!(ok, "{err}");
    assert_eq!(out["deleted"], true);
    let (status, body) = campaign_details(&app, &s.tokens.access, id).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["campaignDetails"]["success"], 0, "{body}");
    assert!(!cmd("enable").0, "a deleted campaign is gone");
    // The report still has the link.
    let (ok, out, err) = galley(&[
        "link",
        "report",
        "--company",
        &company,
        "--json",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    assert_eq!(out["links"][0]["status"], "expired");
    assert_eq!(out["links"][0]["campaign_id"], id);
    let (ok, _, _) = galley(&[
        "link",
        "report",
        "--company",
        "987654",
        "--database-url",
        &url,
    ]);
    assert!(!ok, "unknown company");
});

both_engines!(
    companies_see_only_their_own_campaigns_and_links,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 1, |_| {}).await;
        let (other, email) = app.company("Rival").await;
        let client = app.client(other, "xoxo_link").await;
        let rival = app.admin_tokens(&client, &email, "xoxo_link").await;
        let (_, body) = xoxo(
            &app,
            &rival.access,
            "query.campaignList",
            json!({"add_data": {}}),
        )
        .await;
        assert_eq!(body["data"]["campaignList"]["count"], 0, "{body}");
        let (_, body) = campaign_details(&app, &rival.access, campaign).await;
        assert_eq!(body["data"]["campaignDetails"]["success"], 0);
        let (_, body) = xoxo(
        &app,
        &rival.access,
        "mutation.generateLink",
        json!({"data": {"campaignId": campaign, "links_quantity": 1, "link_expiry": app.expiry(1)}}),
    )
    .await;
        assert_eq!(body["data"]["generateLink"]["success"], 0);
        assert_eq!(app.ledger_balance(s.company_id).await, 10_000_00);
        assert_eq!(app.ledger_balance(other).await, 0);
        let mine = generate(&app, &s, campaign, json!(1), &app.expiry(1)).await;
        assert_eq!(mine["success"], 1);
        let report = galley::domain::links::report(&app.db, other, None, None, 10, 0)
            .await
            .unwrap();
        assert!(report.is_empty());
    }
);

both_engines!(
    link_generation_is_rate_limited_and_emails_are_capped_per_day,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 0, |c| {
            c.api_rate_limits.insert("generateLinkEmail".into(), 3);
            c.max_emails_per_company_per_day = 3;
        })
        .await;
        let expiry = app.expiry(30);
        let before = app.ledger_balance(s.company_id).await;
        // Four addresses are over the day's cap of three: nothing is sent
        // or charged.
        let (status, body) = generate_by_email(
            &app,
            &s,
            campaign,
            "a@team.test,b@team.test,c@team.test,d@team.test",
            &expiry,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["generateLink"]["success"], 0, "{body}");
        assert!(body["data"]["generateLink"]["message"]
            .as_str()
            .unwrap()
            .contains("3 e-mails a day"));
        assert_eq!(app.ledger_balance(s.company_id).await, before);
        assert_eq!(link_count(&app).await, 0);
        let (_, body) = generate_by_email(
            &app,
            &s,
            campaign,
            "a@team.test,b@team.test,c@team.test",
            &expiry,
        )
        .await;
        assert_eq!(body["data"]["generateLink"]["success"], 1, "{body}");
        let (_, body) = generate_by_email(&app, &s, campaign, "e@team.test", &expiry).await;
        assert_eq!(
            body["data"]["generateLink"]["success"], 0,
            "the day's cap is used up"
        );
        assert_eq!(link_count(&app).await, 3);
        // The fourth call in a minute is over the per-client limit of three.
        let (status, body) = generate_by_email(&app, &s, campaign, "f@team.test", &expiry).await;
        assert_eq!(status, 429, "{body}");
        app.clock.advance_secs(24 * 3600);
        let (status, body) = generate_by_email(&app, &s, campaign, "g@team.test", &expiry).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["generateLink"]["success"], 1,
            "a new day: {body}"
        );
    }
);

both_engines!(
    administrative_writes_name_their_actor_in_the_audit_trail,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 2, |_| {}).await;
        let g = generate(&app, &s, campaign, json!(2), &app.expiry(3)).await;
        assert_eq!(g["success"], 1, "{g}");
        let rows: Vec<(Option<i64>, String, String)> =
            sqlx::query_as("SELECT company_id, actor, action FROM audit_events ORDER BY id")
                .fetch_all(app.db.reader())
                .await
                .unwrap();
        let find = |action: &str| {
            rows.iter()
                .find(|(_, _, a)| a == action)
                .unwrap_or_else(|| panic!("no {action} in {rows:?}"))
                .clone()
        };
        assert_eq!(
            find("catalog.imported").0,
            None,
            "the catalog is operator-wide"
        );
        assert_eq!(find("catalog.imported").1, "cli");
        assert_eq!(find("codes.imported").1, "cli");
        assert_eq!(
            find("funds.added"),
            (Some(s.company_id), "cli".into(), "funds.added".into())
        );
        assert_eq!(find("campaign.created").1, "cli");
        assert_eq!(
            find("links.generated"),
            (
                Some(s.company_id),
                format!("client:{}", s.client.id),
                "links.generated".into()
            ),
            "the API client that generated them"
        );
    }
);

both_engines!(
    only_plain_email_addresses_are_accepted,
    |engine| async move {
        let (app, s, campaign) = campaign_app(engine, 1, |_| {}).await;
        let before = app.ledger_balance(s.company_id).await;
        for bad in [
            "Evil Name <a@x.test>",
            "\"a\nb\"@x.test",
            "a@[127.0.0.1]",
            "ok@x.test,\"quoted\"@x.test",
        ] {
            let (status, body) = generate_by_email(&app, &s, campaign, bad, &app.expiry(3)).await;
            assert_eq!(status, 200, "{body}");
            let answer = &body["data"]["generateLink"];
            assert_eq!(answer["success"], 0, "{bad:?}: {body}");
            assert!(
                answer["message"].as_str().unwrap().contains("email_ids"),
                "{body}"
            );
        }
        assert_eq!(
            app.ledger_balance(s.company_id).await,
            before,
            "nothing charged"
        );
        assert_eq!(link_count(&app).await, 0);
    }
);
