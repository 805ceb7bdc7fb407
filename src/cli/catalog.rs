//! `galley catalog ...` (import products) and `galley codes ...` (import
//! voucher codes): the two file imports, with a progress bar.
//!
//! Reads the input file, calls [`crate::domain::catalog`] and shapes the
//! output; the file formats and their checks belong to the domain.
//!
//! May touch: `domain::catalog` and `domain::inventory` (the imports),
//! `cli::session`. Never another entry point.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::session::{explain, Output, Session};
use crate::domain::{catalog, Actor};

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

/// Runs a `galley catalog` command.
pub(super) async fn run(s: &Session, command: CatalogCommand) -> anyhow::Result<Output> {
    match command {
        CatalogCommand::Import { file } => {
            let text = read_file(&file)?;
            let bar = progress_bar(s.interactive, "importing products")?;
            let report = reporter(&bar);
            let imported = catalog::import(&s.db, &s.clock, &Actor::Cli, &text, &report)
                .await
                .map_err(explain)?;
            bar.finish_and_clear();
            Ok(Output::new(
                json!({ "imported": imported.count, "product_ids": imported.product_ids }),
                format!(
                    "imported {} product(s): {}",
                    imported.count,
                    imported
                        .product_ids
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }
}

/// Runs a `galley codes` command.
pub(super) async fn run_codes(s: &Session, command: CodesCommand) -> anyhow::Result<Output> {
    match command {
        CodesCommand::Import {
            product,
            denomination,
            file,
        } => {
            let text = read_file(&file)?;
            let bar = progress_bar(s.interactive, "importing codes")?;
            let report = reporter(&bar);
            let count = crate::domain::inventory::import_codes(
                &s.db,
                &s.clock,
                &Actor::Cli,
                product,
                &denomination,
                &text,
                &report,
            )
            .await
            .map_err(explain)?;
            bar.finish_and_clear();
            Ok(Output::new(
                json!({ "imported": count, "product_id": product }),
                format!(
                    "imported {count} code(s) for product {product}, denomination {denomination}"
                ),
            ))
        }
    }
}

/// Reads an input file, saying which one could not be read.
fn read_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {} (it must be a UTF-8 text file)",
            path.display()
        )
    })
}

/// A progress bar on stderr (hidden when stderr is not a terminal or with
/// `--json`).
fn progress_bar(show: bool, what: &'static str) -> anyhow::Result<ProgressBar> {
    let bar = if show {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")?.progress_chars("=> "),
    );
    bar.set_message(what);
    Ok(bar)
}

/// The import's progress callback (`done` of `total`), drawn on `bar`.
fn reporter(bar: &ProgressBar) -> impl Fn(usize, usize) + Sync + '_ {
    |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }
}
