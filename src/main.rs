//! The `galley` binary: parses the command line and hands over to the
//! library. Everything else lives in `galley::cli`.
//!
//! May touch: `cli` only (through the library crate).

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the server allocates many small JSON values across threads,
/// where it is markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match galley::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return galley::cli::usage_error(e),
    };
    let json = cli.json;
    match galley::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => galley::cli::report_error(&e, json),
    }
}
