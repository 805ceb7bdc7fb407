//! The `galley` command line (README.md, "CLI"). Every subcommand accepts
//! `--json` (one JSON object on stdout, snake_case keys) and
//! `--database-url` after its name; errors go to stderr with a non-zero exit.
//!
//! This module holds the top-level clap types and the dispatch only: it
//! loads the configuration and hands each command group to its module. The
//! CLI parses input, calls `crate::domain` functions (writes) or store reads,
//! and shapes output; it contains no product rules. `session` is the frame
//! every administrative command runs in.
//!
//! May touch: `config` (loads it) and its command modules, which add
//! `domain` (writes), `store` (reads) and `app`. Never another entry point.

mod admin;
mod balance;
mod campaign;
mod catalog;
mod check;
mod client;
mod company;
mod demo;
mod funds;
mod fx;
mod ledger;
mod link;
mod operator;
mod order;
mod report;
mod serve;
mod session;
mod token;
mod webhook;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use self::{
    campaign::CampaignCommand,
    catalog::{CatalogCommand, CodesCommand},
    client::ClientCommand,
    company::CompanyCommand,
    funds::FundsCommand,
    fx::FxCommand,
    link::LinkCommand,
    serve::{DemoArgs, ServeArgs},
    token::TokenCommand,
};
use std::process::ExitCode;

pub use self::session::{failure_of, CliError, Failure};
use crate::config::{Config, Redacted};

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
    Demo(DemoArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Companies (tenants).
    #[command(subcommand)]
    Company(CompanyCommand),
    /// OAuth clients (apps).
    #[command(subcommand)]
    Client(ClientCommand),
    /// A company's admins.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The people who review public apps at /operator.
    #[command(subcommand)]
    Operator(operator::OperatorCommand),
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
    /// Company balances.
    #[command(subcommand)]
    Balance(balance::BalanceCommand),
    /// A company's ledger entries with the running balance (CSV, or JSON
    /// with --json).
    Ledger(ledger::LedgerArgs),
    /// Orders, with their codes masked.
    #[command(subcommand)]
    Order(order::OrderCommand),
    /// Webhook endpoints of a company.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Check the database: every company's balance equals the sum of its
    /// ledger entries (exit status 1 and the companies that differ, if not).
    Check,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config =
        Config::load(cli.config.as_deref()).map_err(|e| session::usage(e.to_string()))?;
    if let Some(url) = &cli.database_url {
        config.database_url = Redacted(url.clone());
    }
    let json = cli.json;
    match cli.command {
        Command::Serve(args) => serve::run(config, &args).await,
        Command::Demo(args) => demo::run(config, &args, cli.database_url.is_some(), json).await,
        Command::Migrate => session::run_creating(config, json, (), serve::migrate).await,
        Command::Check => session::run(config, json, (), check::run).await,
        Command::Company(c) => session::run(config, json, c, company::run).await,
        Command::Client(c) => session::run(config, json, c, client::run).await,
        Command::Admin(c) => session::run(config, json, c, admin::run).await,
        Command::Operator(c) => session::run(config, json, c, operator::run).await,
        Command::Token(c) => session::run(config, json, c, token::run).await,
        Command::Funds(c) => session::run(config, json, c, funds::run).await,
        Command::Catalog(c) => session::run(config, json, c, catalog::run).await,
        Command::Codes(c) => session::run(config, json, c, catalog::run_codes).await,
        Command::Fx(c) => session::run(config, json, c, fx::run).await,
        Command::Campaign(c) => session::run(config, json, c, campaign::run).await,
        Command::Link(c) => session::run(config, json, c, link::run).await,
        Command::Balance(c) => session::run(config, json, c, balance::run).await,
        Command::Ledger(c) => session::run(config, json, c, ledger::run).await,
        Command::Order(c) => session::run(config, json, c, order::run).await,
        Command::Webhook(c) => session::run(config, json, c, webhook::run).await,
    }
}

/// Prints a failed command's error — one JSON object on stdout with
/// `--json`, else `error: ...` on stderr — and returns its exit status.
pub fn report_error(e: &anyhow::Error, json: bool) -> ExitCode {
    let failure = failure_of(e);
    if json {
        let body =
            serde_json::json!({ "error": { "code": failure.code(), "message": format!("{e:#}") } });
        println!("{body}");
    } else {
        eprintln!("error: {e:#}");
    }
    ExitCode::from(failure.exit_code())
}

/// Answers a command line clap could not parse: help and version as clap
/// prints them; anything else as a usage failure (as JSON when the command
/// line asked for `--json`).
pub fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args().any(|a| a == "--json");
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ if json => report_error(
            &session::usage(e.render().to_string().trim().to_string()),
            true,
        ),
        _ => {
            let _ = e.print();
            ExitCode::from(Failure::Usage.exit_code())
        }
    }
}
