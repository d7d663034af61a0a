//! `otp spec diff OLD NEW`: what changes between two versions of the spec, for a user about to
//! regenerate from a newer one (`OTP_HANDLER_SPEC`): every change under its severity, with the
//! Rust API change it causes. The library is `otp_spec::diff`, which `cargo xtask diff` uses
//! too.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use otp_spec::Spec;
use otp_spec::diff::{Format, compare};

use crate::{Exit, output};

pub(crate) fn command() -> Command {
    Command::new("spec")
        .about("Reads OpenAPI specs of the otp-handler API (no token needed)")
        .subcommand_required(true)
        .subcommand(
            Command::new("diff")
                .about("What changes from the OLD spec to the NEW one, breaking changes first")
                .long_about(
                    "What changes from the OLD spec to the NEW one, grouped by operation, each under its severity for a caller of the generated Rust clients (breaking: an operation, parameter or response field removed or retyped, an optional parameter made required, a format that changes the Rust type, an enum value removed), with the Rust API change it causes.\n\nExit codes: 0 nothing breaks, 5 something breaks (unless --allow-breaking), 2 a spec cannot be read.",
                )
                .arg(Arg::new("old").required(true).value_parser(clap::value_parser!(PathBuf)))
                .arg(Arg::new("new").required(true).value_parser(clap::value_parser!(PathBuf)))
                .arg(
                    Arg::new("format")
                        .long("format")
                        .default_value("text")
                        .value_parser(["text", "json", "markdown"])
                        .help("text (coloured on a terminal), json or markdown"),
                )
                .arg(
                    Arg::new("allow-breaking")
                        .long("allow-breaking")
                        .action(ArgAction::SetTrue)
                        .help("Exit 0 even when something breaks"),
                ),
        )
}

pub(crate) fn run(sub: &ArgMatches) -> Exit {
    let Some(("diff", diff)) = sub.subcommand() else {
        return Exit::Usage;
    };
    let load = |name: &str| {
        let path = crate::flag::<PathBuf>(diff, name);
        let mut overlays = vec![otp_spec::Overlay::bundled()];
        overlays.extend(otp_spec::user_overlays()?);
        Spec::load_overlaid(path, &overlays).map(|o| (o.spec, path.display().to_string()))
    };
    let ((old, old_label), (new, new_label)) = match load("old").and_then(|o| Ok((o, load("new")?)))
    {
        Ok(sides) => sides,
        Err(e) => {
            eprintln!(
                "error: {}",
                e.to_string().lines().next().unwrap_or_default()
            );
            return Exit::Usage;
        }
    };
    let format: Format = crate::flag::<String>(diff, "format")
        .parse()
        .unwrap_or(Format::Text);
    let report = compare(&old, &new, &old_label, &new_label);
    let rendered = report.render(format);
    match format {
        Format::Text => {
            let mut out = anstream::AutoStream::auto(std::io::stdout()).lock();
            let _ = std::io::Write::write_all(&mut out, rendered.as_bytes());
        }
        _ => output::stdout(format!("{rendered}\n").as_bytes()),
    }
    if report.is_breaking() && !diff.get_flag("allow-breaking") {
        Exit::Breaking
    } else {
        Exit::Ok
    }
}
