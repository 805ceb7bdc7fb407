//! The admin portal's campaigns and reports, driven like a browser: log
//! in, create and change campaigns from their pages, generate links and
//! download the batch's one-time CSV, read the reports page by page and as
//! CSV; CSRF, another company's ids and hostile input.

use base64::Engine;
use serde_json::json;

use crate::{both_engines, common::*};

/// A logged-in portal browser: cookies kept, redirects not followed.
struct Browser {
    http: reqwest::Client,
    base: String,
}

/// The value of the first `name="csrf"` hidden field of `html`.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// The first `name="nonce"` field of `html`.
fn nonce_of(html: &str) -> String {
    let at = html.find("name=\"nonce\" value=\"").expect("a nonce field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

impl Browser {
    async fn log_in(app: &TestApp, email: &str, password: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = http.get(app.url("/admin/login")).send().await.unwrap();
        let csrf = csrf_of(&page.text().await.unwrap());
        let response = http
            .post(app.url("/admin/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/admin"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "log-in of {email}");
        Browser {
            http,
            base: app.base.clone(),
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A portal page's CSRF token.
    async fn csrf(&self) -> String {
        let (status, html) = self.get("/admin/campaigns").await;
        assert_eq!(status, 200);
        csrf_of(&html)
    }

    /// POSTs `fields` as a urlencoded form; (status, Location or body).
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let body = r.text().await.unwrap();
        (status, location.unwrap_or(body))
    }

    /// POSTs `fields` (and a file `file` if given) as multipart/form-data.
    async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str)>,
    ) -> (u16, String) {
        let boundary = "galleytestboundary7MA4YWxk";
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        if let Some((filename, content)) = file {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Creates a campaign of 500 INR offering 101 and 104 from the page.
    async fn create_campaign(&self, name: &str) -> i64 {
        let csrf = self.csrf().await;
        let (status, location) = self
            .post(
                "/admin/campaigns",
                &[
                    ("csrf", &csrf),
                    ("name", name),
                    ("description", "For the team\nline two"),
                    ("denomination", "500"),
                    ("currency", "INR"),
                    ("country", "IN"),
                    ("product", "101"),
                    ("product", "104"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{location}");
        location
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Generates `quantity` links of `campaign` from its page; the result
    /// page and the rows of its one-time CSV.
    async fn generate(&self, campaign: i64, quantity: &str, expiry: &str) -> (u16, String) {
        let (_, page) = self.get(&format!("/admin/campaigns/{campaign}")).await;
        self.post(
            &format!("/admin/campaigns/{campaign}/links"),
            &[
                ("csrf", &csrf_of(&page)),
                ("nonce", &nonce_of(&page)),
                ("quantity", quantity),
                ("expiry", expiry),
            ],
        )
        .await
    }
}

/// `html` with the entities the templates' escaping writes decoded.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The rows of the batch CSV a result page carries as a `data:` link.
fn batch_csv(html: &str) -> Vec<csv::StringRecord> {
    let html = unescape(html);
    let prefix = "href=\"data:text/csv;charset=utf-8;base64,";
    let at = html.find(prefix).expect("a CSV download") + prefix.len();
    let encoded = html[at..].split('"').next().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    parse_csv(&bytes)
}

fn parse_csv(bytes: &[u8]) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_reader(bytes);
    assert!(reader.headers().is_ok());
    reader.records().map(Result::unwrap).collect()
}

/// The server's date `days` ahead, `YYYY-MM-DD` (the date input).
fn date_ahead(app: &TestApp, days: i64) -> String {
    galley::clock::day(app.clock_ms() + days * 86_400_000)
}

async fn admin_id(app: &TestApp, email: &str) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM admins WHERE email = $1")
        .bind(email)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    id
}

async fn audit_actions(app: &TestApp, actor: &str) -> Vec<String> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_events WHERE actor = $1 ORDER BY id")
            .bind(actor)
            .fetch_all(app.db.reader())
            .await
            .unwrap();
    rows.into_iter().map(|(a,)| a).collect()
}

both_engines!(
    campaigns_are_managed_and_links_generated_from_the_portal,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app
            .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], SAMPLE_CODES, "100000")
            .await;
        let me = Browser::log_in(&app, &s.email, "password123").await;
        let actor = format!("admin:{}", admin_id(&app, &s.email).await);

        // Create: a product that has no 500 INR voucher is refused on the page.
        let csrf = me.csrf().await;
        let (status, page) = me
            .post(
                "/admin/campaigns",
                &[
                    ("csrf", &csrf),
                    ("name", "Bad"),
                    ("denomination", "500"),
                    ("currency", "INR"),
                    ("country", "IN"),
                    ("product", "102"),
                ],
            )
            .await;
        assert_eq!(status, 400);
        assert!(page.contains("product 102"), "{page}");
        let (status, page) = me
            .post(
                "/admin/campaigns",
                &[
                    ("csrf", &csrf),
                    ("name", "None"),
                    ("denomination", "500"),
                    ("currency", "INR"),
                    ("country", "IN"),
                ],
            )
            .await;
        assert_eq!(status, 400);
        assert!(page.contains("at least one product"));

        let id = me.create_campaign("Diwali").await;
        let (status, list) = me.get("/admin/campaigns").await;
        assert_eq!(status, 200);
        assert!(
            list.contains("Diwali")
                && list.contains("500.00 INR")
                && list.contains("Cafe Coffee Day"),
            "{list}"
        );
        let (status, page) = me.get(&format!("/admin/campaigns/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("line two"));

        // Edit.
        let (status, to) = me
            .post(
                &format!("/admin/campaigns/{id}/edit"),
                &[
                    ("csrf", &csrf),
                    ("name", "Diwali 2026"),
                    ("description", "Bonus"),
                ],
            )
            .await;
        assert_eq!((status, to.ends_with("?done=saved")), (303, true));
        let (status, page) = me
            .post(
                &format!("/admin/campaigns/{id}/edit"),
                &[("csrf", &csrf), ("name", "  "), ("description", "")],
            )
            .await;
        assert_eq!(status, 400);
        assert!(page.contains("name must not be empty"));

        // Disable: no links; enable again.
        let (status, _) = me
            .post(
                &format!("/admin/campaigns/{id}/disable"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(status, 303);
        let (_, page) = me.get(&format!("/admin/campaigns/{id}")).await;
        assert!(page.contains("Disabled") && page.contains("enable it to generate links"));
        let (status, _) = me
            .post(
                &format!("/admin/campaigns/{id}/links"),
                &[
                    ("csrf", &csrf),
                    ("nonce", "n1"),
                    ("quantity", "1"),
                    ("expiry", &date_ahead(&app, 5)),
                ],
            )
            .await;
        assert_eq!(status, 400, "a disabled campaign makes no links");
        let (status, _) = me
            .post(&format!("/admin/campaigns/{id}/enable"), &[("csrf", &csrf)])
            .await;
        assert_eq!(status, 303);

        // Generate a quantity; the CSV holds every link, once.
        let before = app.ledger_balance(s.company_id).await;
        let (status, result) = me.generate(id, "3", &date_ahead(&app, 10)).await;
        assert_eq!(status, 200, "{result}");
        let rows = batch_csv(&result);
        assert_eq!(rows.len(), 3);
        assert_eq!(app.ledger_balance(s.company_id).await, before - 3 * 50_000);
        let url = rows[0].get(2).unwrap().to_string();
        assert!(url.starts_with(&app.url("/r/")), "{url}");
        assert!(
            unescape(&result).contains(&url),
            "the page lists the links too"
        );
        let link = link_client().get(&url).send().await.unwrap();
        assert_eq!(link.status(), 200);
        assert!(link.text().await.unwrap().contains("Cafe Coffee Day"));
        let stored = app.link(&url).await;
        assert_eq!(stored.campaign_id, id);

        // The same form again (a reload) makes no second batch.
        let (_, page) = me.get(&format!("/admin/campaigns/{id}")).await;
        let fields = [
            ("csrf", csrf_of(&page)),
            ("nonce", nonce_of(&page)),
            ("quantity", "1".into()),
            ("expiry", date_ahead(&app, 10)),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            me.post(&format!("/admin/campaigns/{id}/links"), &fields)
                .await
                .0,
            200
        );
        assert_eq!(
            me.post(&format!("/admin/campaigns/{id}/links"), &fields)
                .await
                .0,
            409
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM link_batches").await, 2);

        // Pasted addresses and an uploaded file: one link each, e-mailed.
        let (_, page) = me.get(&format!("/admin/campaigns/{id}")).await;
        let (status, result) = me
            .post_multipart(
                &format!("/admin/campaigns/{id}/links"),
                &[
                    ("csrf", &csrf_of(&page)),
                    ("nonce", &nonce_of(&page)),
                    ("emails", "ann@example.com\nbob@example.com"),
                    ("expiry", &date_ahead(&app, 10)),
                ],
                Some(("people.csv", "name,email\r\nCy,cy@example.com\r\n")),
            )
            .await;
        assert_eq!(status, 200, "{result}");
        let rows = batch_csv(&result);
        let emails: Vec<&str> = rows.iter().map(|r| r.get(3).unwrap()).collect();
        assert_eq!(
            emails,
            ["ann@example.com", "bob@example.com", "cy@example.com"]
        );
        app.wait_for_mail("cy@example.com", 1).await;
        let (_, page) = me.get(&format!("/admin/campaigns/{id}")).await;
        let (status, page) = me
            .post_multipart(
                &format!("/admin/campaigns/{id}/links"),
                &[
                    ("csrf", &csrf_of(&page)),
                    ("nonce", &nonce_of(&page)),
                    ("expiry", &date_ahead(&app, 10)),
                ],
                Some(("empty.txt", "no addresses here")),
            )
            .await;
        assert_eq!(status, 400);
        assert!(page.contains("No e-mail address was found"));

        // Delete: refused while links are live; another campaign goes.
        let (status, page) = me
            .post(&format!("/admin/campaigns/{id}/delete"), &[("csrf", &csrf)])
            .await;
        assert_eq!(status, 409);
        assert!(page.contains("can still be redeemed"), "{page}");
        let other = me.create_campaign("Spare").await;
        let (status, to) = me
            .post(
                &format!("/admin/campaigns/{other}/delete"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(
            (status, to.ends_with("/admin/campaigns?done=deleted")),
            (303, true)
        );
        assert_eq!(me.get(&format!("/admin/campaigns/{other}")).await.0, 404);

        // Every change is the admin's in the audit log.
        let actions = audit_actions(&app, &actor).await;
        for action in [
            "campaign.created",
            "campaign.edited",
            "campaign.disabled",
            "campaign.enabled",
            "links.generated",
            "campaign.deleted",
        ] {
            assert!(
                actions.iter().any(|a| a == action),
                "{action} in {actions:?}"
            );
        }
        app.stop().await;
    }
);

both_engines!(reports_filter_page_and_export, |engine| async move {
    let app = TestApp::spawn(engine).await;
    let s = app
        .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], SAMPLE_CODES, "1000000")
        .await;
    let campaign = app
        .campaign(s.company_id, "Launch", "500", "INR", &[101, 104])
        .await;
    let super_admin = Browser::log_in(&app, &s.email, "password123").await;
    galley::domain::companies::add_admin(
        &app.db,
        &*app.clock,
        &galley::domain::Actor::Cli,
        s.company_id,
        "plain@acme.test",
        galley::config::Redacted("password123".into()),
        galley::domain::companies::AdminRole::Admin,
    )
    .await
    .unwrap();
    let plain = Browser::log_in(&app, "plain@acme.test", "password123").await;

    // 120 links, one redeemed.
    let (status, result) = super_admin
        .generate(campaign, "120", &date_ahead(&app, 10))
        .await;
    assert_eq!(status, 200);
    let urls: Vec<String> = batch_csv(&result)
        .iter()
        .map(|r| r[2].to_string())
        .collect();
    let http = link_client();
    let csrf = link_csrf(&http, &urls[7]).await;
    let (status, _) = post_link_form(&http, &urls[7], &csrf, "product_id=104").await;
    assert!(status < 400, "{status}");

    // Keyset pages: 50, 50, 20, and back.
    let ids = |html: &str| -> Vec<i64> {
        html.match_indices("<tr><td>#")
            .map(|(i, _)| html[i + 9..].split('<').next().unwrap().parse().unwrap())
            .collect()
    };
    let (status, first) = plain.get("/admin/reports/links").await;
    assert_eq!(status, 200);
    let page1 = ids(&first);
    assert_eq!(page1.len(), 50);
    assert!(page1.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(!first.contains("rel=\"prev\""));
    let (_, second) = plain
        .get(&format!("/admin/reports/links?after={}", page1[49]))
        .await;
    let page2 = ids(&second);
    assert_eq!((page2.len(), page2[0]), (50, page1[49] - 1));
    let (_, third) = plain
        .get(&format!("/admin/reports/links?after={}", page2[49]))
        .await;
    let page3 = ids(&third);
    assert_eq!(page3.len(), 20);
    assert!(!third.contains("rel=\"next\""));
    let (_, back) = plain
        .get(&format!("/admin/reports/links?before={}", page3[0]))
        .await;
    assert_eq!(ids(&back), page2);

    // Status filters, and the CSV is exactly the filter.
    let (_, redeemed) = plain.get("/admin/reports/links?status=redeemed").await;
    assert_eq!(ids(&redeemed).len(), 1);
    let csv = plain
        .http
        .get(app.url("/admin/reports/links.csv?status=redeemed"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let rows = parse_csv(&csv.bytes().await.unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], "redeemed");
    let csv = plain
        .http
        .get(app.url("/admin/reports/links.csv?status=created"))
        .send()
        .await
        .unwrap();
    assert_eq!(parse_csv(&csv.bytes().await.unwrap()).len(), 119);
    let far = galley::clock::day(app.clock_ms() - 400 * 86_400_000);
    let (_, old) = plain
        .get(&format!("/admin/reports/links?from={far}&to={far}"))
        .await;
    assert!(old.contains("No links match"));

    // Orders: a hostile PO number and receiver are defused in the CSV;
    // codes are masked for a plain admin, whole for a super admin.
    let (status, reply) = app
        .api(
            &s.tokens.access,
            json!({"tag": "plumProAPI", "query": "plumProAPI.mutation.placeOrder",
            "variables": {"data": {"productId": 101, "quantity": 1, "denomination": "500",
            "poNumber": "=HYPERLINK(\"x\")", "email": "+1@example.com"}}}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let (_, orders) = plain.get("/admin/reports/orders").await;
    assert!(orders.contains("Cafe Coffee Day"));
    assert!(
        orders.contains("••••") && !orders.contains("CCD-500-"),
        "masked for a plain admin"
    );
    let (_, orders) = super_admin.get("/admin/reports/orders").await;
    assert!(orders.contains("CCD-500-"), "whole for a super admin");
    let csv = plain
        .http
        .get(app.url("/admin/reports/orders.csv?status=complete"))
        .send()
        .await
        .unwrap();
    let rows = parse_csv(&csv.bytes().await.unwrap());
    let placed = rows
        .iter()
        .find(|r| r[10].contains("HYPERLINK"))
        .expect("the order");
    assert_eq!(&placed[10], "'=HYPERLINK(\"x\")");
    assert_eq!(&placed[9], "'+1@example.com");
    assert!(!placed[11].contains("CCD-500-"));
    let csv = plain
        .http
        .get(app.url("/admin/reports/orders.csv?status=pending"))
        .send()
        .await
        .unwrap();
    assert!(parse_csv(&csv.bytes().await.unwrap()).is_empty());

    // Hostile filters: a page that says what is wrong, never a 5xx.
    for path in [
        "/admin/reports/links?status=lost",
        "/admin/reports/links?from=yesterday",
        "/admin/reports/links?after=99999999999999999999999",
        "/admin/reports/links?after=abc",
        "/admin/reports/links?after=1&before=2",
        "/admin/reports/links?campaign=-4",
        "/admin/reports/orders?status=%00",
        "/admin/reports/orders?to=2026-13-45",
        "/admin/reports/orders.csv?from=0000-01-01",
        "/admin/reports/links.csv?status=x",
        "/admin/reports/orders?from=2020-01-01&to=2019-01-01",
    ] {
        let (status, page) = plain.get(path).await;
        assert_eq!(status, 400, "{path}: {page}");
        assert!(page.contains("role=\"alert\""), "{path}");
    }
    for path in [
        "/admin/reports/links?after=9223372036854775807",
        "/admin/reports/orders?before=5",
    ] {
        assert_eq!(plain.get(path).await.0, 200, "{path}");
    }
    app.stop().await;
});

both_engines!(
    forms_need_csrf_and_other_companies_are_not_found,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app
            .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], "", "100000")
            .await;
        let mine = app
            .campaign(s.company_id, "Mine", "500", "INR", &[101])
            .await;
        let (other_company, _) = app.company("Globex").await;
        app.fund(other_company, "100000").await;
        let theirs = app
            .campaign(other_company, "Theirs", "500", "INR", &[101])
            .await;
        let me = Browser::log_in(&app, &s.email, "password123").await;
        let csrf = me.csrf().await;
        let expiry = date_ahead(&app, 5);

        // Every form refuses a missing or wrong token.
        let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                "/admin/campaigns".into(),
                vec![
                    ("name", "X"),
                    ("denomination", "500"),
                    ("currency", "INR"),
                    ("country", "IN"),
                    ("product", "101"),
                ],
            ),
            (
                format!("/admin/campaigns/{mine}/edit"),
                vec![("name", "Renamed")],
            ),
            (format!("/admin/campaigns/{mine}/disable"), vec![]),
            (format!("/admin/campaigns/{mine}/enable"), vec![]),
            (format!("/admin/campaigns/{mine}/delete"), vec![]),
            (
                format!("/admin/campaigns/{mine}/links"),
                vec![("nonce", "a"), ("quantity", "1"), ("expiry", &expiry)],
            ),
        ];
        for (path, fields) in &forms {
            assert_eq!(me.post(path, fields).await.0, 403, "{path} without a token");
            let mut wrong = fields.clone();
            wrong.push(("csrf", "forged"));
            assert_eq!(
                me.post(path, &wrong).await.0,
                403,
                "{path} with a wrong token"
            );
        }
        let (status, _) = me
            .post_multipart(
                &format!("/admin/campaigns/{mine}/links"),
                &[
                    ("csrf", "forged"),
                    ("nonce", "b"),
                    ("emails", "a@example.com"),
                    ("expiry", &expiry),
                ],
                None,
            )
            .await;
        assert_eq!(status, 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 0);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM campaigns WHERE name = 'Mine' AND id = {mine}"
            ))
            .await,
            1
        );

        // Another company's campaign does not exist here, whatever the form.
        assert_eq!(me.get(&format!("/admin/campaigns/{theirs}")).await.0, 404);
        for (path, fields) in [
            (
                format!("/admin/campaigns/{theirs}/edit"),
                vec![("csrf", csrf.as_str()), ("name", "Mine now")],
            ),
            (
                format!("/admin/campaigns/{theirs}/disable"),
                vec![("csrf", csrf.as_str())],
            ),
            (
                format!("/admin/campaigns/{theirs}/enable"),
                vec![("csrf", csrf.as_str())],
            ),
            (
                format!("/admin/campaigns/{theirs}/delete"),
                vec![("csrf", csrf.as_str())],
            ),
            (
                format!("/admin/campaigns/{theirs}/links"),
                vec![
                    ("csrf", csrf.as_str()),
                    ("nonce", "c"),
                    ("quantity", "1"),
                    ("expiry", expiry.as_str()),
                ],
            ),
        ] {
            assert_eq!(me.post(&path, &fields).await.0, 404, "{path}");
        }
        let (status, csv) = me
            .get(&format!("/admin/reports/links.csv?campaign={theirs}"))
            .await;
        assert_eq!(
            (status, csv.lines().count()),
            (200, 1),
            "their links are not in my report"
        );
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM campaigns WHERE id = {theirs} AND name = 'Theirs' AND enabled = 1 AND deleted_at IS NULL")).await, 1);
        assert!(
            !audit_actions(&app, &format!("admin:{}", admin_id(&app, &s.email).await))
                .await
                .iter()
                .any(|a| a.starts_with("campaign.") || a.starts_with("links."))
        );

        // Hostile input: a clear page, never a 5xx.
        let link_path = format!("/admin/campaigns/{mine}/links");
        for fields in [
            vec![
                ("quantity", "99999999999999999999999"),
                ("expiry", expiry.as_str()),
            ],
            vec![("quantity", "-3"), ("expiry", expiry.as_str())],
            vec![("quantity", "1000001"), ("expiry", expiry.as_str())],
            vec![("quantity", "1"), ("expiry", "31-12-2026")],
            vec![("quantity", "1"), ("expiry", "2001-01-01")],
            vec![("quantity", "1"), ("expiry", "9999-12-31")],
            vec![("quantity", "1")],
        ] {
            let mut fields = fields;
            fields.push(("csrf", &csrf));
            fields.push(("nonce", "d"));
            let (status, page) = me.post(&link_path, &fields).await;
            assert_eq!(status, 400, "{fields:?}: {page}");
            assert!(page.contains("role=\"alert\""));
        }
        for (path, fields) in [
            (
                "/admin/campaigns".to_string(),
                vec![
                    ("csrf", csrf.as_str()),
                    ("name", "Huge"),
                    ("denomination", "999999999999999999999999"),
                    ("currency", "INR"),
                    ("country", "IN"),
                    ("product", "101"),
                ],
            ),
            (
                "/admin/campaigns".to_string(),
                vec![
                    ("csrf", csrf.as_str()),
                    ("name", "Odd"),
                    ("denomination", "500"),
                    ("currency", "XYZ"),
                    ("country", "Atlantis"),
                    ("product", "99999999999999999999"),
                ],
            ),
            (
                format!("/admin/campaigns/{mine}/edit"),
                vec![("csrf", csrf.as_str()), ("name", &"n".repeat(500))],
            ),
        ] {
            let (status, page) = me.post(&path, &fields).await;
            assert_eq!(status, 400, "{path} {fields:?}: {page}");
        }
        for path in [
            "/admin/campaigns/abc",
            "/admin/campaigns/99999999999999999999999",
            "/admin/campaigns/-1",
        ] {
            assert_eq!(me.get(path).await.0, 404, "{path}");
        }
        assert!(
            me.post("/admin/campaigns/abc/delete", &[("csrf", &csrf)])
                .await
                .0
                == 404
        );
        app.stop().await;
    }
);

both_engines!(
    large_batches_answer_with_progress_then_the_links,
    |engine| async move {
        let app = TestApp::spawn(engine).await;
        let s = app
            .stocked(&[SAMPLE_CATALOG, SAMPLE_GIFT_CARD], "", "1000000")
            .await;
        let campaign = app
            .campaign(s.company_id, "Big", "500", "INR", &[104])
            .await;
        let me = Browser::log_in(&app, &s.email, "password123").await;
        let (status, page) = me.generate(campaign, "1500", &date_ahead(&app, 3)).await;
        assert_eq!(status, 200);
        let progress = page.find("<progress").expect("a progress indication first");
        let done = page.find("class=\"batch-done\"").expect("then the result");
        assert!(progress < done);
        assert_eq!(batch_csv(&page).len(), 1500);
        assert!(page.trim_end().ends_with("</html>"));
        // A batch the balance cannot pay fails after the progress, and says so.
        let (status, page) = me.generate(campaign, "10000", &date_ahead(&app, 3)).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("No links were made") && page.contains("not enough balance"),
            "{page}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM links").await, 1500);
        app.stop().await;
    }
);
