//! The frame every administrative command runs in: open and migrate the
//! database (`--database-url` or the configuration), run the command, close
//! the database, then print the command's [`Output`]: the human text, or one
//! JSON object with `--json`. Also says what a failed domain operation means
//! for the person at the terminal ([`explain`]), classed by [`Failure`]
//! for the exit status and `--json`'s `{"error":{"code","message"}}`.
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
/// error nothing is printed on stdout. A SQLite database must exist already
/// (`galley migrate`, `serve` and `demo` create one): a mistyped path is an
/// error, not a new empty database.
pub(super) async fn run<C>(
    config: Config,
    as_json: bool,
    command: C,
    handle: impl AsyncFnOnce(&Session, C) -> anyhow::Result<Output>,
) -> anyhow::Result<()> {
    let config = config.validate().map_err(|e| usage(e.to_string()))?;
    if let Some(path) = crate::store::sqlite_path(config.database_url.expose()) {
        if !path.exists() {
            return Err(usage(format!(
                "there is no database at {}; check --database-url, or create it with `galley migrate`",
                path.display()
            )));
        }
    }
    in_session(config, as_json, command, handle).await
}

/// Like [`run`], creating a SQLite database that does not exist yet (for
/// `galley migrate`).
pub(super) async fn run_creating<C>(
    config: Config,
    as_json: bool,
    command: C,
    handle: impl AsyncFnOnce(&Session, C) -> anyhow::Result<Output>,
) -> anyhow::Result<()> {
    let config = config.validate().map_err(|e| usage(e.to_string()))?;
    in_session(config, as_json, command, handle).await
}

async fn in_session<C>(
    config: ValidConfig,
    as_json: bool,
    command: C,
    handle: impl AsyncFnOnce(&Session, C) -> anyhow::Result<Output>,
) -> anyhow::Result<()> {
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

/// What kind of failure a command ended in: the exit status and the
/// `error.code` of `--json` output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Something unexpected (storage, I/O): exit status 1, `internal`.
    Internal,
    /// The command line or a value in it is not acceptable: 2, `usage`.
    Usage,
    /// The named object does not exist: 3, `not_found`.
    NotFound,
    /// The change clashes with what exists: 4, `conflict`.
    Conflict,
}

impl Failure {
    /// The process exit status.
    pub fn exit_code(self) -> u8 {
        match self {
            Failure::Internal => 1,
            Failure::Usage => 2,
            Failure::NotFound => 3,
            Failure::Conflict => 4,
        }
    }

    /// The `error.code` of `--json` output.
    pub fn code(self) -> &'static str {
        match self {
            Failure::Internal => "internal",
            Failure::Usage => "usage",
            Failure::NotFound => "not_found",
            Failure::Conflict => "conflict",
        }
    }
}

/// A failure with its class and a message for the person at the terminal.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    /// Its class.
    pub failure: Failure,
    /// What went wrong and what to do.
    pub message: String,
}

/// A failed command's class: a [`CliError`]'s own, else internal.
pub fn failure_of(e: &anyhow::Error) -> Failure {
    e.downcast_ref::<CliError>()
        .map_or(Failure::Internal, |c| c.failure)
}

/// A not-found failure; `message` names what is missing.
pub(super) fn not_found(message: impl Into<String>) -> anyhow::Error {
    CliError {
        failure: Failure::NotFound,
        message: message.into(),
    }
    .into()
}

/// A usage failure (a bad flag value, a missing file) with `message`.
pub(super) fn usage(message: impl Into<String>) -> anyhow::Error {
    CliError {
        failure: Failure::Usage,
        message: message.into(),
    }
    .into()
}

/// Turns a domain error into a message that says what to do, classed for
/// the exit status.
pub(super) fn explain(e: domain::Error) -> anyhow::Error {
    let (failure, message) = match e {
        domain::Error::Invalid(msg) => (Failure::Usage, msg),
        domain::Error::NotFound(what) => (Failure::NotFound, format!("{what} not found")),
        domain::Error::Conflict(msg) => (Failure::Conflict, msg),
        other => return anyhow::Error::new(other).context("the operation failed"),
    };
    CliError { failure, message }.into()
}
