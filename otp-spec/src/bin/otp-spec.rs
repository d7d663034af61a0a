//! `otp-spec diff OLD NEW [--format text|json|markdown] [--allow-breaking]`: what changes
//! from one otp-handler spec to another, as `otp spec diff` says it, without building the
//! CLI (`cargo install otp-spec`). Exit codes: 0 nothing breaks, 5 something breaks (unless
//! `--allow-breaking`), 2 a bad command line or a spec that cannot be read.

use std::process::ExitCode;

use otp_spec::diff::{Format, Request, run};

const USAGE: &str = "\
usage: otp-spec diff OLD NEW [--format text|json|markdown] [--allow-breaking]

What changes from the OLD spec to the NEW one, as the build sees them (the bundled overlay
applied, then OTP_HANDLER_OVERLAY's): each change once, with the operations it touches and
two severities, one for the wire and one for Rust code, breaking changes first.

Exit codes: 0 nothing breaks, 5 something breaks (unless --allow-breaking), 2 a bad
command line or a spec that cannot be read.";

/// What the command line asks.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Help,
    Version,
    Diff(Request),
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("-V" | "--version") => return Ok(Command::Version),
        Some("diff") => {}
        Some(other) => return Err(format!("`{other}`: the one command is `diff`")),
        None => return Err("a command is needed: `diff`".into()),
    }
    let (mut files, mut format, mut allow_breaking) = (Vec::new(), Format::Text, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--allow-breaking" => allow_breaking = true,
            "--format" => {
                let value = args.next().ok_or("`--format` needs a value")?;
                format = value.parse()?;
            }
            _ if arg.starts_with("--format=") => format = arg["--format=".len()..].parse()?,
            _ if arg.starts_with('-') && arg != "-" => {
                return Err(format!("`{arg}`: not an option of `diff`"));
            }
            _ => files.push(arg),
        }
    }
    let [old, new]: [String; 2] = files.try_into().map_err(|f: Vec<String>| {
        format!("`diff` takes two specs, OLD and NEW, not {}", f.len())
    })?;
    Ok(Command::Diff(Request {
        old: old.into(),
        new: new.into(),
        format,
        allow_breaking,
    }))
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("otp-spec {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Command::Diff(request)) => ExitCode::from(run(&request).exit_code()),
        Err(e) => {
            eprintln!("error: {e} (`otp-spec --help` for the usage)");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(str::to_string))
    }

    #[test]
    fn the_diff_takes_two_files_a_format_and_a_flag_in_any_order() {
        let expected = Command::Diff(Request {
            old: "a.yaml".into(),
            new: "b.yaml".into(),
            format: Format::Json,
            allow_breaking: true,
        });
        assert_eq!(
            args("diff a.yaml b.yaml --format json --allow-breaking"),
            Ok(expected)
        );
        let Ok(Command::Diff(r)) = args("diff --allow-breaking --format=markdown a.yaml b.yaml")
        else {
            panic!("parsed")
        };
        assert_eq!((r.format, r.allow_breaking), (Format::Markdown, true));
        assert_eq!(
            args("diff a b").map(
                |c| matches!(c, Command::Diff(r) if r.format == Format::Text && !r.allow_breaking)
            ),
            Ok(true)
        );
    }

    #[test]
    fn a_wrong_command_line_says_what_is_wrong() {
        for (line, expected) in [
            ("", "a command is needed"),
            ("merge a b", "the one command is `diff`"),
            ("diff a", "not 1"),
            ("diff a b c", "not 3"),
            ("diff a b --format yaml", "one of text, json, markdown"),
            ("diff a b --format", "needs a value"),
            ("diff a b --colour", "not an option"),
        ] {
            let err = args(line).unwrap_err();
            assert!(err.contains(expected), "{line}: {err}");
        }
        assert_eq!(args("--help"), Ok(Command::Help));
        assert_eq!(args("diff a --help"), Ok(Command::Help));
    }
}
