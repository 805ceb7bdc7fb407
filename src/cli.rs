//! The `galley` command line (SPEC.md section 10). Every subcommand accepts
//! `--json` (one JSON object on stdout, snake_case keys) and
//! `--database-url` after its name; errors go to stderr with a non-zero exit.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Map, Value};

use crate::{
    app::{shutdown_signal, App},
    clock::{Clock, SystemClock},
    config::{Config, Redacted, ValidConfig},
    domain::{self, campaigns, catalog, clients, companies, ledger, links, tokens as issue, Actor},
    store::{self, migrate, Db},
    telemetry,
};

/// Command-line interface.
#[derive(Debug, Parser)]
#[command(
    name = "galley",
    version,
    about = "Self-hosted rewards platform and OAuth 2.0 server"
)]
pub struct Cli {
    /// Print one JSON object on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Database URL: sqlite://path or postgres://... (env GALLEY_DATABASE_URL).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// TOML configuration file (env GALLEY_CONFIG).
    #[arg(long, global = true, env = "GALLEY_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Run a server on a local SQLite file with demo data; prints URLs and
    /// credentials.
    Demo(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Companies (tenants).
    #[command(subcommand)]
    Company(CompanyCommand),
    /// OAuth clients (apps).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Company funds.
    #[command(subcommand)]
    Funds(FundsCommand),
    /// The voucher catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Voucher-code inventory.
    #[command(subcommand)]
    Codes(CodesCommand),
    /// Exchange rates for charging other currencies.
    #[command(subcommand)]
    Fx(FxCommand),
    /// Xoxo Link campaigns.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Reward links.
    #[command(subcommand)]
    Link(LinkCommand),
}

/// `galley campaign ...`
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign (enabled) whose links are worth --denomination.
    Create {
        /// Owning company id.
        #[arg(long)]
        company: i64,
        /// Campaign name.
        #[arg(long)]
        name: String,
        /// Value of each link, e.g. 500.
        #[arg(long)]
        denomination: String,
        /// Currency of that value (ISO 4217), e.g. INR.
        #[arg(long)]
        currency: String,
        /// Country: ISO 3166 alpha-2 (IN) or its name (India).
        #[arg(long)]
        country: String,
        /// Products to choose from, comma-separated ids; each must sell
        /// vouchers of this value, currency and country.
        #[arg(long, value_delimiter = ',', required = true)]
        products: Vec<i64>,
    },
    /// Allow new links again.
    Enable {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
    /// Stop new links (existing links stay redeemable).
    Disable {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
    /// Delete a campaign that has no redeemable links left.
    Delete {
        /// Campaign id.
        #[arg(long)]
        id: i64,
    },
}

/// `galley link ...`
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// A company's links with their status (CSV, or JSON with --json).
    Report {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Only this campaign.
        #[arg(long)]
        campaign: Option<i64>,
        /// Only this batch (one generation call).
        #[arg(long)]
        batch: Option<i64>,
    },
}

/// `galley catalog ...`
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import products from a JSON or CSV file (upsert by productId).
    Import {
        /// The file (see README, "Catalog files").
        #[arg(long)]
        file: PathBuf,
    },
}

/// `galley codes ...`
#[derive(Debug, Subcommand)]
pub enum CodesCommand {
    /// Import voucher codes (CSV `code,pin,validity`) for a product and denomination.
    Import {
        /// Product id.
        #[arg(long)]
        product: i64,
        /// Denomination the codes are worth, e.g. 500.
        #[arg(long)]
        denomination: String,
        /// The CSV file.
        #[arg(long)]
        file: PathBuf,
    },
}

/// `galley fx ...`
#[derive(Debug, Subcommand)]
pub enum FxCommand {
    /// Set the rate: units of --to per unit of --from.
    Set {
        /// Currency of the vouchers, e.g. USD.
        #[arg(long)]
        from: String,
        /// Currency charged, e.g. INR.
        #[arg(long)]
        to: String,
        /// Decimal rate, e.g. 83.12.
        #[arg(long, allow_hyphen_values = true)]
        rate: String,
    },
}

/// Flags of `serve` and `demo`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind, e.g. 0.0.0.0:8080 (env GALLEY_LISTEN).
    #[arg(long)]
    pub listen: Option<String>,
    /// Public base URL, the clients' OAUTH_URL (env GALLEY_PUBLIC_URL).
    #[arg(long)]
    pub public_url: Option<String>,
}

/// `galley company ...`
#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company and its super admin.
    Create {
        /// Company name.
        #[arg(long)]
        name: String,
        /// Charged currency (ISO 4217), e.g. INR.
        #[arg(long)]
        base_currency: String,
        /// Super admin's e-mail address.
        #[arg(long)]
        admin_email: String,
        /// Super admin's password (or env GALLEY_ADMIN_PASSWORD).
        #[arg(long, env = "GALLEY_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        /// Country of the company's recipients (ISO 3166 alpha-2, optional):
        /// products not available there cannot be ordered.
        #[arg(long)]
        country: Option<String>,
    },
}

/// `galley client ...`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an OAuth client; prints its id and secret once.
    Create {
        /// Owning company id.
        #[arg(long)]
        company: i64,
        /// App name.
        #[arg(long)]
        name: String,
        /// The one OAuth callback URL.
        #[arg(long)]
        redirect_uri: String,
        /// Allowed scopes, comma-separated.
        #[arg(long)]
        scopes: String,
        /// Usable by other companies' users once approved.
        #[arg(long)]
        public: bool,
        /// Allowed grant types, comma-separated (default
        /// authorization_code,refresh_token).
        #[arg(long)]
        grant_types: Option<String>,
        /// For a public app: the company whose users sign up through it
        /// (default: the app's own company).
        #[arg(long)]
        signup_company: Option<i64>,
    },
    /// Approve a public app, so that users of other companies may use it.
    Approve {
        /// The client.
        #[arg(long)]
        client_id: String,
    },
    /// Replace the client secret; the old one stops working at once.
    RotateSecret {
        /// The client.
        #[arg(long)]
        client_id: String,
    },
}

/// `galley token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue an access and refresh token to an admin through a client.
    Issue {
        /// The client.
        #[arg(long)]
        client_id: String,
        /// An admin of the client's company.
        #[arg(long)]
        admin_email: String,
        /// Scopes, comma-separated, within the client's.
        #[arg(long)]
        scopes: String,
    },
}

/// `galley funds ...`
#[derive(Debug, Subcommand)]
pub enum FundsCommand {
    /// Add funds to a company's balance (in its base currency).
    Add {
        /// Company id.
        #[arg(long)]
        company: i64,
        /// Amount, e.g. 1000 or 1000.50.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(url) = &cli.database_url {
        config.database_url = Redacted(url.clone());
    }
    let clock = SystemClock;
    match cli.command {
        Command::Serve(args) => {
            let config = serve_config(config, &args)?;
            telemetry::init_logging(config.log_format, &config.log_level);
            let app = App::build(config.clone(), Arc::new(clock)).await?;
            tracing::info!(port = app.port(), public_url = %config.public_url.base(), "galley listening");
            app.run(shutdown_signal()).await?;
            Ok(())
        }
        Command::Demo(args) => {
            if cli.database_url.is_none() && std::env::var_os("GALLEY_DATABASE_URL").is_none() {
                config.database_url = Redacted("sqlite://galley-demo.db".into());
            }
            demo(serve_config(config, &args)?, cli.json).await
        }
        command => {
            let valid = config.validate()?;
            let db = Db::connect(valid.database_url.expose(), 2)
                .await
                .context("cannot open the database")?;
            migrate::run(&db)
                .await
                .context("cannot migrate the database")?;
            let out = admin_command(&db, &clock, &valid, command, !cli.json).await;
            db.close().await;
            print(cli.json, out?);
            Ok(())
        }
    }
}

fn serve_config(mut config: Config, args: &ServeArgs) -> anyhow::Result<ValidConfig> {
    if let Some(listen) = &args.listen {
        config.listen = listen.clone();
    }
    if let Some(url) = &args.public_url {
        config.public_url = Some(url.clone());
    }
    Ok(config.validate()?)
}

/// Output of an administrative command: JSON fields and the text lines.
struct Output {
    fields: Map<String, Value>,
    text: String,
}

fn print(as_json: bool, out: Output) {
    if as_json {
        println!("{}", Value::Object(out.fields));
    } else {
        println!("{}", out.text);
    }
}

fn output(fields: Value, text: String) -> Output {
    let Value::Object(fields) = fields else {
        unreachable!("fields are built with json!({{..}})")
    };
    Output { fields, text }
}

/// Turns a domain error into a message that says what to do.
fn explain(e: domain::Error) -> anyhow::Error {
    match e {
        domain::Error::Invalid(msg) => anyhow::anyhow!("{msg}"),
        domain::Error::NotFound(what) => {
            anyhow::anyhow!("{what} not found: check the id or e-mail address")
        }
        other => anyhow::Error::new(other).context("the operation failed"),
    }
}

/// Reads an input file, saying which one could not be read.
fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {} (it must be a UTF-8 text file)",
            path.display()
        )
    })
}

/// A progress bar on stderr (hidden when stderr is not a terminal or with
/// `--json`).
fn progress_bar(show: bool, what: &'static str) -> indicatif::ProgressBar {
    let bar = if show {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

async fn admin_command(
    db: &Db,
    clock: &dyn Clock,
    config: &ValidConfig,
    command: Command,
    interactive: bool,
) -> anyhow::Result<Output> {
    match command {
        Command::Catalog(CatalogCommand::Import { file }) => {
            let text = read_file(&file)?;
            let bar = progress_bar(interactive, "importing products");
            let report = |done: usize, total: usize| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            };
            let imported = catalog::import(db, clock, &text, &report)
                .await
                .map_err(explain)?;
            bar.finish_and_clear();
            Ok(output(
                json!({ "imported": imported.count, "product_ids": imported.product_ids }),
                format!("imported {} product(s)", imported.count),
            ))
        }
        Command::Codes(CodesCommand::Import {
            product,
            denomination,
            file,
        }) => {
            let text = read_file(&file)?;
            let bar = progress_bar(interactive, "importing codes");
            let report = |done: usize, total: usize| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            };
            let count = catalog::import_codes(db, clock, product, &denomination, &text, &report)
                .await
                .map_err(explain)?;
            bar.finish_and_clear();
            Ok(output(
                json!({ "imported": count, "product_id": product }),
                format!(
                    "imported {count} code(s) for product {product}, denomination {denomination}"
                ),
            ))
        }
        Command::Fx(FxCommand::Set { from, to, rate }) => {
            let rate = catalog::set_rate(db, clock, &from, &to, &rate)
                .await
                .map_err(explain)?;
            Ok(output(
                json!({ "from": from.to_ascii_uppercase(), "to": to.to_ascii_uppercase(), "rate": rate.to_text() }),
                format!(
                    "1 {} = {} {}",
                    from.to_ascii_uppercase(),
                    rate.to_text(),
                    to.to_ascii_uppercase()
                ),
            ))
        }
        Command::Campaign(CampaignCommand::Create {
            company,
            name,
            denomination,
            currency,
            country,
            products,
        }) => {
            let id = campaigns::create(
                db,
                clock,
                &Actor::Cli,
                campaigns::NewCampaign {
                    company_id: company,
                    name,
                    denomination,
                    currency,
                    country,
                    product_ids: products,
                },
            )
            .await
            .map_err(explain)?;
            Ok(output(
                json!({ "campaign_id": id }),
                format!("campaign {id} created (enabled)"),
            ))
        }
        Command::Campaign(CampaignCommand::Enable { id }) => {
            campaigns::set_enabled(db, clock, &Actor::Cli, id, true)
                .await
                .map_err(explain)?;
            Ok(output(
                json!({ "campaign_id": id, "enabled": true }),
                format!("campaign {id} enabled"),
            ))
        }
        Command::Campaign(CampaignCommand::Disable { id }) => {
            campaigns::set_enabled(db, clock, &Actor::Cli, id, false)
                .await
                .map_err(explain)?;
            Ok(output(
                json!({ "campaign_id": id, "enabled": false }),
                format!("campaign {id} disabled"),
            ))
        }
        Command::Campaign(CampaignCommand::Delete { id }) => {
            campaigns::delete(db, clock, &Actor::Cli, id).await.map_err(explain)?;
            Ok(output(
                json!({ "campaign_id": id, "deleted": true }),
                format!("campaign {id} deleted"),
            ))
        }
        Command::Link(LinkCommand::Report {
            company,
            campaign,
            batch,
        }) => link_report(db, clock, company, campaign, batch).await,
        Command::Migrate => Ok(output(
            json!({ "migrated": true }),
            "database is up to date".into(),
        )),
        Command::Company(CompanyCommand::Create {
            name,
            base_currency,
            admin_email,
            admin_password,
            country,
        }) => {
            let created = companies::create(
                db,
                clock,
                &Actor::Cli,
                companies::NewCompany {
                    name,
                    base_currency,
                    country,
                    admin_email,
                    admin_password: Redacted(admin_password),
                },
            )
            .await
            .map_err(explain)?;
            Ok(output(
                json!({ "company_id": created.company_id, "admin_id": created.admin_id }),
                format!(
                    "company {} created (super admin {})",
                    created.company_id, created.admin_id
                ),
            ))
        }
        Command::Client(ClientCommand::Approve { client_id }) => {
            clients::approve(db, clock, &Actor::Cli, &client_id)
                .await
                .map_err(explain)?;
            Ok(output(
                json!({ "client_id": client_id, "approved": true }),
                format!("app {client_id} approved"),
            ))
        }
        Command::Client(ClientCommand::Create {
            company,
            name,
            redirect_uri,
            scopes,
            public,
            grant_types,
            signup_company,
        }) => {
            let created = clients::create(
                db,
                clock,
                &Actor::Cli,
                clients::NewClient {
                    company_id: company,
                    name,
                    redirect_uri,
                    scopes,
                    grant_types,
                    public,
                    signup_company,
                },
            )
            .await
            .map_err(explain)?;
            Ok(output(
                json!({ "client_id": created.client_id, "client_secret": created.client_secret }),
                format!(
                    "client_id:     {}\nclient_secret: {}\n(the secret is shown only now)",
                    created.client_id, created.client_secret
                ),
            ))
        }
        Command::Client(ClientCommand::RotateSecret { client_id }) => {
            let rotated = clients::rotate_secret(db, clock, &Actor::Cli, &client_id)
                .await
                .map_err(explain)?;
            Ok(output(
                json!({ "client_id": rotated.client_id, "client_secret": rotated.client_secret }),
                format!(
                    "new client_secret: {}\n(the old secret no longer works)",
                    rotated.client_secret
                ),
            ))
        }
        Command::Token(TokenCommand::Issue {
            client_id,
            admin_email,
            scopes,
        }) => {
            let issued = issue::issue_for_admin(
                db,
                clock,
                &config.tokens,
                &client_id,
                &admin_email,
                &scopes,
            )
            .await
            .map_err(explain)?;
            Ok(output(
                json!({
                    "access_token": issued.access_token,
                    "refresh_token": issued.refresh_token,
                    "expires_in": issued.expires_in,
                }),
                format!(
                    "access_token:  {}\nrefresh_token: {}\nexpires_in:    {} s",
                    issued.access_token,
                    issued.refresh_token.as_deref().unwrap_or("-"),
                    issued.expires_in
                ),
            ))
        }
        Command::Funds(FundsCommand::Add { company, amount }) => {
            let balance = ledger::add_funds(db, clock, &Actor::Cli, company, &amount)
                .await
                .map_err(explain)?;
            Ok(output(
                json!({ "company_id": company, "balance": balance.to_json(), "currency": balance.currency.as_str() }),
                format!("balance of company {company}: {balance}"),
            ))
        }
        Command::Serve(_) | Command::Demo(_) => unreachable!("handled by run"),
    }
}

/// Every link of a company (paged through), as JSON rows and CSV text.
async fn link_report(
    db: &Db,
    clock: &dyn Clock,
    company: i64,
    campaign: Option<i64>,
    batch: Option<i64>,
) -> anyhow::Result<Output> {
    store::companies::find(db.reader(), company)
        .await?
        .ok_or_else(|| anyhow::anyhow!("company {company} not found"))?;
    let now = clock.now_ms();
    let date = |ms: Option<i64>| ms.map(crate::api::xoxo_link::iso_date).unwrap_or_default();
    let mut rows = Vec::new();
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "link_id",
        "batch_id",
        "campaign_id",
        "campaign",
        "status",
        "email",
        "value",
        "currency",
        "created_at",
        "expires_at",
        "redeemed_at",
        "refunded_at",
        "order_id",
    ])?;
    let page = 1000;
    let mut offset = 0;
    loop {
        let links = links::report(db, company, campaign, batch, page, offset)
            .await
            .map_err(explain)?;
        for l in &links {
            let status = links::LinkStatus::of(l, now).map_err(explain)?.as_str();
            let value = crate::api::plum_pro::amount_text(l.denomination_minor, &l.currency_code);
            let email = l.email.clone().unwrap_or_default();
            csv.write_record([
                l.id.to_string(),
                l.batch_id.to_string(),
                l.campaign_id.to_string(),
                l.campaign_name.clone(),
                status.to_string(),
                email.clone(),
                value.clone(),
                l.currency_code.clone(),
                date(Some(l.created_at)),
                date(Some(l.expires_at)),
                date(l.redeemed_at),
                date(l.refunded_at),
                l.order_id.map(|o| o.to_string()).unwrap_or_default(),
            ])?;
            rows.push(json!({
                "link_id": l.id, "batch_id": l.batch_id, "campaign_id": l.campaign_id, "campaign": l.campaign_name,
                "status": status, "email": l.email, "value": value, "currency": l.currency_code,
                "created_at": date(Some(l.created_at)), "expires_at": date(Some(l.expires_at)),
                "redeemed_at": l.redeemed_at.map(crate::api::xoxo_link::iso_date),
                "refunded_at": l.refunded_at.map(crate::api::xoxo_link::iso_date), "order_id": l.order_id,
            }));
        }
        if (links.len() as i64) < page {
            break;
        }
        offset += page;
    }
    let text = String::from_utf8(csv.into_inner()?)?;
    Ok(output(
        json!({ "company_id": company, "links": rows }),
        text.trim_end().to_string(),
    ))
}

const DEMO_ADMIN_EMAIL: &str = "admin@demo.galley.test";
const DEMO_ADMIN_PASSWORD: &str = "demo-password";
const DEMO_APP: &str = "Demo Rewards App";

/// A curl line per Rewards API operation.
fn rewards_examples(base: &str, access: &str) -> String {
    let today = crate::api::plum_pro::date_time(SystemClock.now_ms())[..10].to_string();
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

/// The demo catalog: the sample products, 50 codes per denomination of the
/// inventory products, and a USD rate.
async fn seed_catalog(db: &Db, clock: &SystemClock) -> anyhow::Result<()> {
    let quiet = |_: usize, _: usize| {};
    catalog::import(db, clock, include_str!("../samples/catalog.json"), &quiet)
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
        catalog::import_codes(db, clock, product, denomination, &file, &quiet)
            .await
            .map_err(explain)?;
    }
    catalog::set_rate(db, clock, "USD", "INR", "83.12")
        .await
        .map_err(explain)?;
    Ok(())
}

const DEMO_CAMPAIGN: &str = "Thank You Rewards";

/// The demo campaign (created once, with the operator's gift card as a
/// second choice) and one fresh link to it, valid for 30 days.
async fn demo_link(
    db: &Db,
    clock: &SystemClock,
    config: &ValidConfig,
    company_id: i64,
    client_id: &str,
) -> anyhow::Result<(i64, String)> {
    let filter = store::links::CampaignFilter {
        name: DEMO_CAMPAIGN.into(),
        enabled: None,
    };
    let mut conn = db.reader().acquire().await?;
    let existing = store::links::list_campaigns(&mut conn, company_id, &filter, 1, 0)
        .await?
        .0
        .into_iter()
        .next();
    drop(conn);
    let campaign_id = match existing {
        Some(c) => c.id,
        None => {
            if store::catalog::find(db.reader(), 104).await?.is_none() {
                catalog::import(
                    db,
                    clock,
                    include_str!("../samples/gift-card.json"),
                    &|_, _| {},
                )
                .await
                .map_err(explain)?;
            }
            campaigns::create(
                db,
                clock,
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
    let settings = links::Settings {
        max_links: config.max_links_per_request,
        link_base: config.public_url.join("/r/"),
    };
    let request = links::Generate {
        campaign_id,
        quantity: 1,
        emails: None,
        expiry: demo_expiry(),
        client_id: client_id.into(),
    };
    let generated = links::generate(db, clock, &settings, company_id, request)
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

/// Seeds the demo data (once) and serves.
async fn demo(config: ValidConfig, as_json: bool) -> anyhow::Result<()> {
    telemetry::init_logging(config.log_format, "warn");
    let clock = SystemClock;
    let db = Db::connect(
        config.database_url.expose(),
        config.database_max_connections,
    )
    .await
    .context("cannot open the demo database")?;
    migrate::run(&db).await?;
    let company_id =
        match store::companies::find_admin_by_email(db.reader(), DEMO_ADMIN_EMAIL).await? {
            Some(admin) => admin.company_id,
            None => {
                let created = companies::create(
                    &db,
                    &clock,
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
                ledger::add_funds(&db, &clock, &Actor::Cli, created.company_id, "100000")
                    .await
                    .map_err(explain)?;
                seed_catalog(&db, &clock).await?;
                created.company_id
            }
        };
    let base = config.public_url.base();
    let callback = config.public_url.join("/developers/demo/callback");
    // The secret is stored hashed, so every demo start mints a fresh one.
    let credentials = match store::clients::find_by_name(db.reader(), company_id, DEMO_APP).await? {
        Some(client) => {
            if client.redirect_uri != callback {
                clients::change_redirect_uri(&db, &clock, &Actor::Cli, &client.client_id, &callback)
                    .await
                    .map_err(explain)?;
            }
            clients::rotate_secret(&db, &clock, &Actor::Cli, &client.client_id)
                .await
                .map_err(explain)?
        }
        None => clients::create(
            &db,
            &clock,
            &Actor::Cli,
            clients::NewClient {
                company_id,
                name: DEMO_APP.into(),
                redirect_uri: callback.clone(),
                scopes:
                    "plum_pro_api,xoxo_link,user_session,company_session,profile_read,points_read"
                        .into(),
                grant_types: Some("authorization_code,refresh_token,client_credentials".into()),
                public: false,
                signup_company: None,
            },
        )
        .await
        .map_err(explain)?,
    };
    let tokens = issue::issue_for_admin(
        &db,
        &clock,
        &config.tokens,
        &credentials.client_id,
        DEMO_ADMIN_EMAIL,
        "plum_pro_api,xoxo_link",
    )
    .await
    .map_err(explain)?;
    let (campaign_id, link) =
        demo_link(&db, &clock, &config, company_id, &credentials.client_id).await?;
    let balance = ledger::balance(&db, company_id).await.map_err(explain)?;
    let refresh = tokens.refresh_token.clone().unwrap_or_default();
    let authorize = format!(
        "{base}/v1/oauth/authorize?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &credentials.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &callback)
            .append_pair("scope", "user_session,profile_read")
            .append_pair("state", "demo")
            .finish()
    );
    if as_json {
        println!(
            "{}",
            json!({
                "public_url": base,
                "company_id": company_id,
                "admin_email": DEMO_ADMIN_EMAIL,
                "admin_password": DEMO_ADMIN_PASSWORD,
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
                "access_token": tokens.access_token,
                "refresh_token": refresh,
                "expires_in": tokens.expires_in,
                "balance": balance.to_json(),
                "authorize_url": authorize,
                "campaign_id": campaign_id,
                "link": link,
            })
        );
    } else {
        println!(
            "Galley demo is running.\n\n\
             OAUTH_URL       {base}\n\
             metadata        {base}/.well-known/oauth-authorization-server\n\
             health          {base}/healthz    metrics {base}/metrics    OpenAPI {base}/openapi.json\n\n\
             company         {company_id} (Demo Company, balance {balance})\n\
             admin           {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}\n\
             client_id       {client_id}\n\
             client_secret   {client_secret}\n\
             access_token    {access}\n\
             refresh_token   {refresh}\n\n\
             Try the storefront sign-in (sign up, consent, see the code exchanged):\n  {authorize}\n\n\
             Validate the access token:\n  curl -s {base}/v1/oauth/token -H 'Authorization: Bearer {access}'\n\n\
             Refresh (rotates the refresh token):\n  curl -s -X POST {base}/v1/oauth/token/user -H 'Content-Type: application/json' \\\n    \
             -d '{{\"grant_type\":\"refresh_token\",\"refresh_token\":\"{refresh}\",\"client_id\":\"{client_id}\",\"client_secret\":\"{client_secret}\"}}'\n\n\
             Client credentials:\n  curl -s -X POST {base}/v1/oauth/token/company -u '{client_id}:{client_secret}' -d grant_type=client_credentials\n\n\
             Open a reward link (campaign {campaign_id}, 500 INR, valid 30 days) and choose a voucher:\n  {link}\n\n\
             Rewards API (tag plumProAPI):\n{rewards}\n\
             Xoxo Link API (tag xoxo_link):\n{xoxo}\n\
             Press Ctrl-C to stop.",
            client_id = credentials.client_id,
            client_secret = credentials.client_secret,
            access = tokens.access_token,
            rewards = rewards_examples(&base, &tokens.access_token),
            xoxo = link_examples(&base, &tokens.access_token, campaign_id),
        );
    }
    let app =
        App::with_db(config, db, Arc::new(clock))
            .await?
            .with_demo(credentials.client_id.clone());
    app.run(shutdown_signal()).await?;
    Ok(())
}
