//! `galley serve` (run the HTTP server) and `galley migrate` (apply pending
//! migrations), and the `serve`/`demo` flags that override the
//! configuration.
//!
//! It touches the configuration, logging and the server's start-up
//! ([`crate::app`]); no product rules.
//!
//! May touch: `app` (start-up and shutdown), `config`, `clock`,
//! `telemetry`, `cli::session`. Never another entry point.

use std::sync::Arc;

use clap::Args;
use serde_json::json;

use super::session::{Output, Session};
use crate::{
    app::{shutdown_signal, App},
    clock::SystemClock,
    config::{Config, ValidConfig},
    telemetry,
};

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

/// Flags of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to listen and the public URL, as for `serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Start afresh: delete the demo's SQLite database (and its spool of
    /// e-mails) before seeding it again.
    #[arg(long)]
    pub reset: bool,
}

/// `galley serve`: serves until Ctrl-C or SIGTERM.
pub(super) async fn run(config: Config, args: &ServeArgs) -> anyhow::Result<()> {
    let config = configure(config, args)?;
    telemetry::init_logging(config.log_format, &config.log_level);
    let app = App::build(config.clone(), Arc::new(SystemClock)).await?;
    tracing::info!(port = app.port(), public_url = %config.public_url.base(), "galley listening");
    app.run(shutdown_signal()).await?;
    Ok(())
}

/// The configuration with the `serve`/`demo` flags applied, validated.
pub(super) fn configure(mut config: Config, args: &ServeArgs) -> anyhow::Result<ValidConfig> {
    if let Some(listen) = &args.listen {
        config.listen = listen.clone();
    }
    if let Some(url) = &args.public_url {
        config.public_url = Some(url.clone());
    }
    Ok(config.validate()?)
}

/// `galley migrate` (no flags of its own): the session applied the
/// migrations when it opened the database, so this only reports it.
pub(super) async fn migrate(_: &Session, (): ()) -> anyhow::Result<Output> {
    Ok(Output::new(
        json!({ "migrated": true }),
        "database is up to date".into(),
    ))
}
