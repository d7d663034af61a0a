//! `otp spec diff OLD NEW`: what changes between two versions of the spec, for a user about to
//! regenerate from a newer one (`OTP_HANDLER_SPEC`): each change once, with the operations it
//! touches, its severity on the wire and for Rust code. The command is `otp_spec::diff::run`,
//! which the light `otp-spec diff` binary runs too; `cargo xtask diff` shares the library.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use otp_spec::diff::{Format, Outcome, Request};

use crate::Exit;

pub(crate) fn command() -> Command {
    Command::new("spec")
        .about("Reads OpenAPI specs of the otp-handler API (no token needed)")
        .subcommand_required(true)
        .subcommand(
            Command::new("diff")
                .about("What changes from the OLD spec to the NEW one, breaking changes first")
                .long_about(
                    "What changes from the OLD spec to the NEW one, both as the build sees them (the bundled overlay applied, then OTP_HANDLER_OVERLAY's): each change once, with every operation it touches and two severities, each with its reason: one for the wire (a caller built before, the widget's browsers) and one for Rust code using the regenerated clients. Breaking: an operation, parameter or field removed or retyped, something made required that an older client may leave out, an enum value removed (for Rust), a widget route closed. Compatible: an operation, an optional parameter or field, an enum value or a status added. The same report as the light `otp-spec diff` (cargo install otp-spec).\n\nExit codes: 0 nothing breaks, 5 something breaks on either side (unless --allow-breaking), 2 a spec cannot be read.",
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
    let request = Request {
        old: crate::flag::<PathBuf>(diff, "old").clone(),
        new: crate::flag::<PathBuf>(diff, "new").clone(),
        format: crate::flag::<String>(diff, "format")
            .parse()
            .unwrap_or(Format::Text),
        allow_breaking: diff.get_flag("allow-breaking"),
    };
    match otp_spec::diff::run(&request) {
        Outcome::Compatible => Exit::Ok,
        Outcome::Breaking => Exit::Breaking,
        Outcome::Unreadable => Exit::Usage,
    }
}
