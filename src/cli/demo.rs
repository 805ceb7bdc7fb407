//! `galley demo`: seeds a demo company, catalog, app, campaign and link
//! (once; later starts reuse them), prints working credentials, curl lines
//! and an authorize URL whose callback is a page on Galley itself, then
//! serves.
//!
//! The seeding goes through the same `crate::domain` functions as the
//! administrative commands (apps through `domain::clients`, tokens through
//! [`super::token`]); the lookups are store reads. No product rules.
//!
//! May touch: `domain` (every write), `store` (reads, migrations), `app`
//! (serves), `cli::serve`, `cli::token`, `cli::session`, `config`, `clock`,
//! `telemetry`. Never another entry point.

use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use super::{
    serve::{self, DemoArgs},
    session::{explain, Output, Session},
    token,
};
use crate::{
    app::{shutdown_signal, App},
    clock::{Clock, SystemClock},
    config::{Config, Redacted},
    domain::{
        campaigns, catalog,
        clients::{self, Credentials, NewClient},
        companies, ledger, links,
        money::Money,
        Actor,
    },
    store::{self, migrate, Db},
    telemetry,
};

/// The demo database when neither `--database-url` nor
/// `GALLEY_DATABASE_URL` names one.
const DEMO_DATABASE_URL: &str = "sqlite://galley-demo.db";
/// The demo company's super admin (printed with its password).
const DEMO_ADMIN_EMAIL: &str = "admin@demo.galley.test";
/// That admin's password.
const DEMO_ADMIN_PASSWORD: &str = "demo-password";
/// Name of the demo's OAuth app.
const DEMO_APP: &str = "Demo Rewards App";
/// Name of the demo's campaign.
const DEMO_CAMPAIGN: &str = "Thank You Rewards";

/// `galley demo`: seeds the demo data (once), prints how to use it and
/// serves until Ctrl-C or SIGTERM.
pub(super) async fn run(
    mut config: Config,
    args: &DemoArgs,
    database_url_given: bool,
    as_json: bool,
) -> anyhow::Result<()> {
    if !database_url_given && std::env::var_os("GALLEY_DATABASE_URL").is_none() {
        config.database_url = Redacted(DEMO_DATABASE_URL.into());
    }
    let config = serve::configure(config, &args.serve)?;
    telemetry::init_logging(config.log_format, "warn");
    // The port first: a demo that cannot serve must not re-seed (rotate the
    // secret a running demo printed, charge another link).
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: is another server (or demo) running there? Stop it or pass --listen",
                config.listen
            )
        })?;
    let database = config.database_url.expose().to_string();
    let sqlite_file = store::sqlite_path(&database);
    if args.reset {
        match &sqlite_file {
            Some(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let file = format!("{}{suffix}", path.display());
                    match std::fs::remove_file(&file) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e).with_context(|| format!("cannot delete {file}")),
                    }
                }
                let _ = std::fs::remove_dir_all(&config.spool_dir);
            }
            None => anyhow::bail!("--reset deletes a SQLite demo database; this one is not SQLite"),
        }
    }
    eprintln!(
        "galley demo: data in {}, e-mails {} (--reset starts afresh)",
        sqlite_file.map_or(database.clone(), |p| p.display().to_string()),
        match &config.smtp_url {
            Some(_) => "sent through the configured SMTP server".to_string(),
            None => format!("written to {}/", config.spool_dir),
        }
    );
    let db = Db::connect(
        config.database_url.expose(),
        config.database_max_connections,
    )
    .await
    .context("cannot open the demo database")?;
    migrate::run(&db).await?;
    let s = Session {
        db,
        clock: SystemClock,
        config,
        interactive: false,
    };
    let company_id = demo_company(&s).await?;
    let credentials = demo_client(&s, company_id).await?;
    let tokens = token::issue_for_admin(
        &s,
        &credentials.client_id,
        DEMO_ADMIN_EMAIL,
        "plum_pro_api,xoxo_link",
    )
    .await?;
    let (campaign_id, link) = demo_link(&s, company_id, &credentials.client_id).await?;
    let balance = ledger::balance(&s.db, company_id).await.map_err(explain)?;
    let welcome = Welcome {
        base: s.config.public_url.base(),
        callback: s.config.public_url.join("/developers/demo/callback"),
        company_id,
        balance,
        client_id: credentials.client_id,
        client_secret: credentials.client_secret,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token.unwrap_or_default(),
        expires_in: tokens.expires_in,
        campaign_id,
        link,
    };
    welcome.output().print(as_json);
    let Session {
        db, clock, config, ..
    } = s;
    let app = App::with_listener(config, db, Arc::new(clock), listener)
        .await?
        .with_demo(welcome.client_id);
    app.run(shutdown_signal()).await?;
    Ok(())
}

/// The demo company (created once, with funds and the demo catalog).
async fn demo_company(s: &Session) -> anyhow::Result<i64> {
    if let Some(admin) =
        store::companies::find_admin_by_email(s.db.reader(), DEMO_ADMIN_EMAIL).await?
    {
        return Ok(admin.company_id);
    }
    let created = companies::create(
        &s.db,
        &s.clock,
        &Actor::Cli,
        companies::NewCompany {
            name: "Demo Company".into(),
            base_currency: "INR".into(),
            country: Some("IN".into()),
            admin_email: DEMO_ADMIN_EMAIL.into(),
            admin_password: Redacted(DEMO_ADMIN_PASSWORD.into()),
        },
    )
    .await
    .map_err(explain)?;
    ledger::add_funds(&s.db, &s.clock, &Actor::Cli, created.company_id, "100000")
        .await
        .map_err(explain)?;
    seed_catalog(s).await?;
    Ok(created.company_id)
}

/// The demo catalog: the sample products, 50 codes per denomination of the
/// inventory products, and a USD rate.
async fn seed_catalog(s: &Session) -> anyhow::Result<()> {
    let quiet = |_: usize, _: usize| {};
    catalog::import(
        &s.db,
        &s.clock,
        &Actor::Cli,
        include_str!("../../samples/catalog.json"),
        &quiet,
    )
    .await
    .map_err(explain)?;
    for (product, denomination) in [(101, "100"), (101, "500"), (101, "1000"), (103, "2000")] {
        let codes: String = (1..=50)
            .map(|i| {
                format!(
                    "DEMO-{product}-{denomination}-{i:03},{:04},\n",
                    (i * 7919) % 10_000
                )
            })
            .collect();
        let file = format!("code,pin,validity\n{codes}");
        crate::domain::inventory::import_codes(
            &s.db,
            &s.clock,
            &Actor::Cli,
            product,
            denomination,
            &file,
            &quiet,
        )
        .await
        .map_err(explain)?;
    }
    catalog::set_rate(&s.db, &s.clock, &Actor::Cli, "USD", "INR", "83.12")
        .await
        .map_err(explain)?;
    Ok(())
}

/// The demo app (registered once, its callback kept pointing at this
/// server) with a fresh secret: the secret is stored hashed, so every demo
/// start mints a new one.
async fn demo_client(s: &Session, company_id: i64) -> anyhow::Result<Credentials> {
    let callback = s.config.public_url.join("/developers/demo/callback");
    match store::clients::find_by_name(s.db.reader(), company_id, DEMO_APP).await? {
        Some(existing) => {
            if existing.redirect_uri != callback {
                clients::change_redirect_uri(
                    &s.db,
                    &s.clock,
                    &Actor::Cli,
                    &existing.client_id,
                    &callback,
                )
                .await
                .map_err(explain)?;
            }
            clients::rotate_secret(&s.db, &s.clock, &Actor::Cli, &existing.client_id)
                .await
                .map_err(explain)
        }
        None => {
            let new = NewClient {
                company_id,
                name: DEMO_APP.into(),
                redirect_uri: callback,
                scopes:
                    "plum_pro_api,xoxo_link,user_session,company_session,profile_read,points_read"
                        .into(),
                grant_types: Some("authorization_code,refresh_token,client_credentials".into()),
                public: false,
                signup_company: None,
            };
            clients::create(&s.db, &s.clock, &Actor::Cli, new)
                .await
                .map_err(explain)
        }
    }
}

/// The demo campaign (created once, with the operator's gift card as a
/// second choice) and one fresh link to it, valid for 30 days.
async fn demo_link(s: &Session, company_id: i64, client_id: &str) -> anyhow::Result<(i64, String)> {
    let filter = store::links::CampaignFilter {
        name: DEMO_CAMPAIGN.into(),
        enabled: None,
    };
    let mut conn = s.db.reader().acquire().await?;
    let existing = store::links::list_campaigns(&mut conn, company_id, &filter, 1, 0)
        .await?
        .0
        .into_iter()
        .next();
    drop(conn);
    let campaign_id = match existing {
        Some(c) => c.id,
        None => {
            if store::catalog::find(s.db.reader(), 104).await?.is_none() {
                catalog::import(
                    &s.db,
                    &s.clock,
                    &Actor::Cli,
                    include_str!("../../samples/gift-card.json"),
                    &|_, _| {},
                )
                .await
                .map_err(explain)?;
            }
            campaigns::create(
                &s.db,
                &s.clock,
                &Actor::Cli,
                campaigns::NewCampaign {
                    company_id,
                    name: DEMO_CAMPAIGN.into(),
                    denomination: "500".into(),
                    currency: "INR".into(),
                    country: "IN".into(),
                    product_ids: vec![101, 104],
                },
            )
            .await
            .map_err(explain)?
        }
    };
    let settings = links::Settings::from_config(&s.config);
    let request = links::Generate {
        campaign_id,
        quantity: 1,
        emails: None,
        expiry: demo_expiry(),
        client_id: client_id.into(),
    };
    let generated = links::generate(&s.db, &s.clock, &settings, company_id, request)
        .await
        .map_err(explain)?;
    Ok((
        campaign_id,
        generated.urls.into_iter().next().unwrap_or_default(),
    ))
}

/// `link_expiry` (`DD-MM-YYYY`) of the demo's links: 30 days from now.
fn demo_expiry() -> String {
    let day = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    format!(
        "{:02}-{:02}-{}",
        day.day(),
        u8::from(day.month()),
        day.year()
    )
}

/// What the demo prints on start.
struct Welcome {
    /// The public base URL (the clients' OAUTH_URL).
    base: String,
    /// The demo app's callback page.
    callback: String,
    /// The demo company.
    company_id: i64,
    /// Its balance.
    balance: Money,
    /// The demo app.
    client_id: String,
    /// Its fresh secret.
    client_secret: String,
    /// An admin's access token through the demo app.
    access_token: String,
    /// The matching refresh token (empty if none).
    refresh_token: String,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// The demo campaign.
    campaign_id: i64,
    /// A fresh reward link to it.
    link: String,
}

impl Welcome {
    /// The credentials as one JSON object, or as text with curl lines.
    fn output(&self) -> Output {
        let Welcome {
            base,
            callback,
            company_id,
            balance,
            client_id,
            client_secret,
            access_token: access,
            refresh_token: refresh,
            expires_in,
            campaign_id,
            link,
        } = self;
        let authorize_for = |scope: &str| {
            format!(
                "{base}/v1/oauth/authorize?{}",
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", client_id)
                    .append_pair("response_type", "code")
                    .append_pair("redirect_uri", callback)
                    .append_pair("scope", scope)
                    .append_pair("state", "demo")
                    .finish()
            )
        };
        let authorize = authorize_for("user_session,profile_read");
        let admin_authorize = authorize_for("plum_pro_api,xoxo_link");
        let json = json!({
            "public_url": base,
            "company_id": company_id,
            "admin_email": DEMO_ADMIN_EMAIL,
            "admin_password": DEMO_ADMIN_PASSWORD,
            "portal_url": format!("{base}/admin"),
            "client_id": client_id,
            "client_secret": client_secret,
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": expires_in,
            "balance": balance.to_json(),
            "authorize_url": authorize,
            "admin_authorize_url": admin_authorize,
            "campaign_id": campaign_id,
            "link": link,
        });
        let text = format!(
            "Galley demo is running.\n\n\
             OAUTH_URL       {base}\n\
             metadata        {base}/.well-known/oauth-authorization-server\n\
             health          {base}/healthz    metrics {base}/metrics    OpenAPI {base}/openapi.json\n\n\
             company         {company_id} (Demo Company, balance {balance})\n\
             admin portal    {base}/admin    developer hub {base}/developers    API reference {base}/docs\n\
             admin log-in    {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}\n\
             client_id       {client_id}\n\
             client_secret   {client_secret}\n\
             access_token    {access}\n\
             refresh_token   {refresh}\n\n\
             Try the storefront sign-in (sign up and open the link of the confirmation e-mail — with no SMTP server\n\
             it is an .eml file in the spool folder named on stderr —, consent, see the code exchanged):\n  {authorize}\n\n\
             Let the demo app spend the company's balance (log in as the admin above; only an admin may):\n  {admin_authorize}\n\n\
             Validate the access token:\n  curl -s {base}/v1/oauth/token -H 'Authorization: Bearer {access}'\n\n\
             Refresh (rotates the refresh token):\n  curl -s -X POST {base}/v1/oauth/token/user -H 'Content-Type: application/json' \\\n    \
             -d '{{\"grant_type\":\"refresh_token\",\"refresh_token\":\"{refresh}\",\"client_id\":\"{client_id}\",\"client_secret\":\"{client_secret}\"}}'\n\n\
             Client credentials:\n  curl -s -X POST {base}/v1/oauth/token/company -u '{client_id}:{client_secret}' -d grant_type=client_credentials\n\n\
             Open a reward link (campaign {campaign_id}, 500 INR, valid 30 days) and choose a voucher:\n  {link}\n\n\
             Rewards API (tag plumProAPI):\n{rewards}\n\
             Xoxo Link API (tag xoxo_link):\n{xoxo}\n\
             Press Ctrl-C to stop.",
            rewards = rewards_examples(base, access),
            xoxo = link_examples(base, access, *campaign_id),
        );
        Output::new(json, text)
    }
}

/// A curl line per Rewards API operation.
fn rewards_examples(base: &str, access: &str) -> String {
    let today = crate::clock::date_time(SystemClock.now_ms())[..10].to_string();
    let ops = [
        ("query.getBalance", "{}".to_string()),
        ("mutation.getVouchers", r#"{"limit":5,"page":1}"#.to_string()),
        ("mutation.getFilters", r#"{"filterGroupCode":"country"}"#.to_string()),
        ("mutation.placeOrder", r#"{"productId":101,"quantity":1,"denomination":"500","poNumber":"demo-1","email":"you@example.com"}"#.to_string()),
        ("mutation.getOrderDetails", r#"{"poNumber":"demo-1"}"#.to_string()),
        ("mutation.getOrderHistory", format!(r#"{{"startDate":"{today}","endDate":"{today}"}}"#)),
    ];
    ops.iter()
        .map(|(op, data)| {
            format!(
                "  curl -s -X POST {base}/v1/oauth/api -H 'Authorization: Bearer {access}' -H 'Content-Type: application/json' \\\n    \
                 -d '{{\"tag\":\"plumProAPI\",\"query\":\"plumProAPI.{op}\",\"variables\":{{\"data\":{data}}}}}'\n"
            )
        })
        .collect()
}

/// curl lines for the Xoxo Link API.
fn link_examples(base: &str, access: &str, campaign_id: i64) -> String {
    let expiry = demo_expiry();
    [
        ("query.campaignList", r#""add_data":{"limit":10,"offset":0,"name":""}"#.to_string()),
        ("mutation.campaignDetails", format!(r#""data":{{"campaignId":{campaign_id}}}"#)),
        ("mutation.generateLink", format!(r#""data":{{"campaignId":{campaign_id},"links_quantity":2,"link_expiry":"{expiry}"}}"#)),
        (
            "mutation.generateLinkEmail",
            format!(r#""data":{{"campaignId":{campaign_id},"email_ids":"friend@example.com","link_expiry":"{expiry}"}}"#),
        ),
    ]
    .iter()
    .map(|(op, variables)| {
        format!(
            "  curl -s -X POST {base}/v1/oauth/api -H 'Authorization: Bearer {access}' -H 'Content-Type: application/json' \\\n    \
             -d '{{\"tag\":\"xoxo_link\",\"query\":\"xoxo_link.{op}\",\"variables\":{{{variables}}}}}'\n"
        )
    })
    .collect()
}
