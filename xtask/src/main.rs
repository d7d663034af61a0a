//! `cargo xtask`: regenerate the clients' code and check it against the spec, the vendor's
//! docs and the committed snapshots.

mod check;
mod diff;
mod docs;
mod modules;
mod overlay;
mod paths;
mod prebuilt;
mod test;

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
    /// The README's test command: install what the tests run for real when it is missing
    /// (redis-server, nginx, chromium, chromedriver; apt on Debian and Ubuntu), then
    /// `cargo test --workspace [ARGS]`.
    Test {
        /// Passed on to `cargo test --workspace`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Regenerate the committed snapshots: both clients' code, with the merged spec and the
    /// manifest otp-client builds from without its `generate` feature (`otp-client/generated/`),
    /// and the CLI's (`generated/`).
    Generate,
    /// Check that the generated types still mean what the spec says (each component schema
    /// beside the JSON Schema of its Rust type): the `fidelity` tests, on the bundled spec or
    /// on `SPEC` (the clients are built from it, as `OTP_HANDLER_SPEC` would).
    Fidelity {
        /// A spec to generate from instead of the bundled one.
        spec: Option<std::path::PathBuf>,
    },
    /// Fail when a snapshot is stale, a crate's spec differs from `openapi/`, an operation
    /// is missing from a client, or a status the vendor documents is missing from the spec.
    Check {
        /// The vendor's docs (default: `../shared/docs/otp-handler` beside the workspace).
        #[arg(long)]
        docs: Option<std::path::PathBuf>,
    },
    /// Report what changes between two versions of the spec, breaking changes first.
    /// Exit code 1 when something breaks (unless --allow-breaking), 2 on bad input.
    Diff {
        /// The old spec: a file, or a git revision (the spec as it was at that commit).
        old: String,
        /// The new spec: a file or a git revision (default: the working tree's spec).
        new: Option<String>,
        /// How to print the report.
        #[arg(long, default_value = "text")]
        format: diff::Format,
        /// Exit 0 even when something breaks.
        #[arg(long)]
        allow_breaking: bool,
    },
    /// Write the workspace's spec merged with an overlay (mappings merge, sequences gain the
    /// overlay's items), less the parts `--remove` names: the tests' newer and broken specs.
    SpecOverlay {
        /// The file to write.
        out: std::path::PathBuf,
        /// The overlay to merge in.
        #[arg(long)]
        overlay: Option<std::path::PathBuf>,
        /// A JSON pointer to remove (repeatable), e.g. `/paths/~1` for `send`.
        #[arg(long)]
        remove: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Test { args } => {
            return test::run(&args).unwrap_or_else(|e| {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            });
        }
        Command::Generate => check::generate(),
        Command::Fidelity { spec } => fidelity(spec.as_deref()),
        Command::Check { docs } => check::check(docs),
        Command::SpecOverlay {
            out,
            overlay,
            remove,
        } => overlay::write(&paths::spec(), overlay.as_deref(), &remove, &out),
        Command::Diff {
            old,
            new,
            format,
            allow_breaking,
        } => {
            return run_diff(&old, new.as_deref(), format, allow_breaking);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo test -p otp-tests --test suite fidelity::`, with `OTP_HANDLER_SPEC` set to `spec`.
fn fidelity(spec: Option<&std::path::Path>) -> anyhow::Result<()> {
    let mut cargo = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cargo.current_dir(paths::root()).args([
        "test",
        "-p",
        "otp-tests",
        "--test",
        "suite",
        "fidelity::",
    ]);
    if let Some(spec) = spec {
        let spec = std::path::absolute(spec)?;
        anyhow::ensure!(spec.is_file(), "{}: no such file", spec.display());
        cargo.env(otp_client_codegen::SPEC_ENV, spec);
    }
    let status = cargo.status()?;
    anyhow::ensure!(status.success(), "the fidelity tests failed ({status})");
    Ok(())
}

fn run_diff(old: &str, new: Option<&str>, format: diff::Format, allow_breaking: bool) -> ExitCode {
    let root = paths::root();
    let spec_path = paths::spec();
    let new_arg = new
        .map(str::to_string)
        .unwrap_or_else(|| spec_path.display().to_string());
    let loaded = diff::load(old, &root).and_then(|o| diff::load(&new_arg, &root).map(|n| (o, n)));
    let ((old_spec, old_label), (new_spec, mut new_label)) = match loaded {
        Ok(sides) => sides,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if new.is_none() {
        new_label = "working tree".into();
    }
    let report = diff::compare(&old_spec, &new_spec, &old_label, &new_label);
    match format {
        diff::Format::Text => anstream::print!("{}", report.render(format)),
        _ => println!("{}", report.render(format)),
    }
    if report.is_breaking() && !allow_breaking {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
