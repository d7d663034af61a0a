//! `otp`: the otp-handler API from the command line. Every operation of the spec is a
//! subcommand (generated at build time from the spec); `otp verify` runs a whole
//! verification interactively; `otp completions` prints shell completions.
//!
//! The token comes from `OTP_TOKEN` or `--token-file`, never from a flag that would land in
//! the shell's history, and is never printed.

mod config;
mod finish;
mod output;
mod spec;
mod verify;

use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::Value;

/// The operations' subcommands, generated from the spec by `otp-client-codegen`.
#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/otp_cli.rs"));
}

/// How `otp` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Done.
    Ok = 0,
    /// Something else failed (the configuration, the terminal).
    Other = 1,
    /// The command line is wrong: a missing or malformed flag, an argument the client refused.
    Usage = 2,
    /// The service answered with an error.
    Api = 3,
    /// The service could not be reached, or the connection broke.
    Transport = 4,
    /// `otp spec diff` found a breaking change.
    Breaking = 5,
    /// The session is not confirmed: an answer with `success: false`, or `otp finish` (or
    /// `verify`) without a confirmation.
    NotConfirmed = 6,
}

/// Why a subcommand failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command line is wrong.
    Usage(String),
    /// The call failed.
    Call(otp_client::Error),
    /// Neither: `otp` itself could not go on.
    Other(String),
}

impl Failure {
    fn exit(&self) -> Exit {
        use otp_client::ErrorKind as K;
        match self {
            Failure::Usage(_) => Exit::Usage,
            Failure::Other(_) => Exit::Other,
            Failure::Call(e) => match e.kind() {
                K::InvalidArgument { .. } => Exit::Usage,
                K::NotVerified => Exit::NotConfirmed,
                K::Config(_) => Exit::Other,
                K::Transport { .. } | K::DeadlineExceeded { .. } => Exit::Transport,
                _ => Exit::Api,
            },
        }
    }
}

/// A call's answer as JSON, or its failure.
pub(crate) fn answer<T: serde::Serialize>(
    result: Result<T, otp_client::Error>,
) -> Result<Value, Failure> {
    let value = result.map_err(Failure::Call)?;
    serde_json::to_value(value).map_err(|e| Failure::Other(format!("the answer: {e}")))
}

/// The value of a required flag (clap has checked it is there and parsed).
pub(crate) fn flag<'m, T: Clone + Send + Sync + 'static>(
    matches: &'m ArgMatches,
    name: &str,
) -> &'m T {
    matches
        .get_one::<T>(name)
        .unwrap_or_else(|| unreachable!("`--{name}` is required"))
}

/// A request body: `--body JSON`, or the flags of its fields `(name, is a string)`.
pub(crate) fn body<T: serde::de::DeserializeOwned>(
    matches: &ArgMatches,
    fields: &[(&str, bool)],
) -> Result<T, Failure> {
    let json = match matches.get_one::<String>("body") {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Failure::Usage(format!("--body is not JSON: {e}")))?,
        None => {
            let mut object = serde_json::Map::new();
            for (name, is_string) in fields {
                if let Some(text) = matches.get_one::<String>(name) {
                    let value = if *is_string {
                        Value::String(text.clone())
                    } else {
                        serde_json::from_str(text)
                            .map_err(|e| Failure::Usage(format!("--{name} is not JSON: {e}")))?
                    };
                    object.insert((*name).to_string(), value);
                }
            }
            Value::Object(object)
        }
    };
    serde_json::from_value(json).map_err(|e| Failure::Usage(format!("the body: {e}")))
}

fn command() -> Command {
    Command::new("otp")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Sigma SMS otp-handler API from the command line")
        .long_about(
            "The Sigma SMS otp-handler API from the command line: every operation of the spec as a subcommand, and `otp verify` for a whole verification.\n\nThe token is read from the OTP_TOKEN environment variable, or from the file --token-file names: never from a flag, and it is never printed.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("env")
                .long("env")
                .global(true)
                .value_name("production|stage|URL")
                .help("The service: production (the default), stage, or a base URL such as a sandbox's"),
        )
        .arg(
            Arg::new("token-file")
                .long("token-file")
                .global(true)
                .value_name("PATH")
                .help("A file holding the API token (instead of OTP_TOKEN)"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .value_parser(["json", "text"])
                .default_value("json")
                .help("The service's JSON (pretty on a terminal, compact when piped), or a short text"),
        )
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .global(true)
                .action(ArgAction::Count)
                .help("Log to stderr: -v each call, -vv the HTTP stack too, -vvv everything (phones masked, no token)"),
        )
        .subcommands(generated::operation_commands())
        .subcommand(verify::command())
        .subcommand(finish::command())
        .subcommand(spec::command())
        .subcommand(
            Command::new("completions")
                .about("Prints the shell completions of `otp`")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell)),
                ),
        )
}

fn log(verbosity: u8) {
    let filter = match verbosity {
        0 => return,
        1 => "otp_client=debug,otp=info",
        2 => "debug,otp_client=trace,otp=trace",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_ansi(false)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = command().get_matches();
    log(matches.get_count("verbose"));
    let exit = run(&matches).await;
    ExitCode::from(exit as u8)
}

async fn run(matches: &ArgMatches) -> Exit {
    let Some((name, sub)) = matches.subcommand() else {
        return Exit::Usage;
    };
    match name {
        "completions" => {
            let shell = *flag::<clap_complete::Shell>(sub, "shell");
            // Written whole, then to stdout: clap_complete panics on a write that fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "otp", &mut script);
            output::stdout(&script);
            Exit::Ok
        }
        "verify" => verify::run(matches, sub).await,
        "finish" => finish::run(matches, sub).await,
        "spec" => spec::run(sub),
        operation => {
            let client = match config::client(matches) {
                Ok(client) => client,
                Err(failure) => return output::failure(&failure),
            };
            match generated::call_operation(&client, operation, sub).await {
                // `{"success": false}` (getStatus, checkCode, checkStatusAndComplete) is an
                // answer, printed as any, and its own exit code: `otp … && grant` must not
                // grant on it.
                Some(Ok(value)) => {
                    output::answer(matches, &value);
                    if value.get("success") == Some(&serde_json::Value::Bool(false)) {
                        Exit::NotConfirmed
                    } else {
                        Exit::Ok
                    }
                }
                Some(Err(failure)) => output::failure(&failure),
                None => {
                    eprintln!("error: no operation `{operation}`");
                    Exit::Usage
                }
            }
        }
    }
}
