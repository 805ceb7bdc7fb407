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
    let cli = galley::cli::Cli::parse();
    match galley::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
