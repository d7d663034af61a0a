//! `cargo xtask`: regenerate the clients' code and check it against the spec, the vendor's
//! docs and the committed snapshots.

mod check;
mod docs;
mod paths;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Workspace tasks for the otp-client crates")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate both clients' code into the committed snapshots under `generated/`.
    Generate,
    /// Fail when a snapshot is stale, a crate's spec differs from `openapi/`, an operation
    /// is missing from a client, or a status the vendor documents is missing from the spec.
    Check {
        /// The vendor's docs (default: `../shared/docs/otp-handler` beside the workspace).
        #[arg(long)]
        docs: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate => check::generate(),
        Command::Check { docs } => check::check(docs),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
