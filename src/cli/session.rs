//! The frame every administrative command runs in: open and migrate the
//! database (`--database-url` or the configuration), run the command, close
//! the database, then print the command's [`Output`]: the human text, or one
//! JSON object with `--json`. Also says what a failed domain operation means
//! for the person at the terminal ([`explain`]).
//!
//! It touches the configuration, the store's connection and migrations, and
//! stdout; it knows nothing of any one command.
//!
//! May touch: `store` (`Db`, migrations), `config`, `clock`, `domain` (its
//! errors, for `explain`). Never another entry point.

use anyhow::Context;
use serde_json::Value;

use crate::{
    clock::SystemClock,
    config::{Config, ValidConfig},
    domain,
    store::{migrate, Db},
};

/// What a command works with.
pub(super) struct Session {
    /// The open, migrated database.
    pub(super) db: Db,
    /// The system clock.
    pub(super) clock: SystemClock,
    /// The validated configuration.
    pub(super) config: ValidConfig,
    /// A person reads the output (no `--json`): progress bars may be shown.
    pub(super) interactive: bool,
}

/// What a command prints: one JSON object with `--json`, else the text.
pub(super) struct Output {
    json: Value,
    text: String,
}

impl Output {
    /// `json` is built with `json!({ .. })`: an object with snake_case keys.
    pub(super) fn new(json: Value, text: String) -> Self {
        Output { json, text }
    }

    /// Prints the JSON object or the text, as one `println!`.
    pub(super) fn print(self, as_json: bool) {
        if as_json {
            println!("{}", self.json);
        } else {
            println!("{}", self.text);
        }
    }
}

/// Runs one administrative command (`handle` applied to the parsed `command`)
/// in a [`Session`] and prints its output once the database is closed; on
/// error nothing is printed on stdout.
pub(super) async fn run<C>(
    config: Config,
    as_json: bool,
    command: C,
    handle: impl AsyncFnOnce(&Session, C) -> anyhow::Result<Output>,
) -> anyhow::Result<()> {
    let config = config.validate()?;
    let db = Db::connect(config.database_url.expose(), 2)
        .await
        .context("cannot open the database")?;
    migrate::run(&db)
        .await
        .context("cannot migrate the database")?;
    let session = Session {
        db,
        clock: SystemClock,
        config,
        interactive: !as_json,
    };
    let out = handle(&session, command).await;
    session.db.close().await;
    out?.print(as_json);
    Ok(())
}

/// Turns a domain error into a message that says what to do.
pub(super) fn explain(e: domain::Error) -> anyhow::Error {
    match e {
        domain::Error::Invalid(msg) => anyhow::anyhow!("{msg}"),
        domain::Error::NotFound(what) => {
            anyhow::anyhow!("{what} not found: check the id or e-mail address")
        }
        other => anyhow::Error::new(other).context("the operation failed"),
    }
}
