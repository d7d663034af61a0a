//! `otp verify`: a whole verification, interactively, with the SDK's flow: send, wait for
//! the channel (a spinner), the code typed at the prompt (or "r" to resend), or the
//! confirmation on the phone, then the server-side finish.

use std::io::{BufRead, Write};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use indicatif::{ProgressBar, ProgressStyle};
use otp_client::{Client, NextStep, Verification};
use otp_sandbox::{CODE_WIDGET, Sandbox, SandboxConfig};

use crate::{Exit, Failure, config, output};

pub(crate) fn command() -> Command {
    Command::new("verify")
        .about("Runs a whole verification: send, wait, the code (or the confirmation), finish")
        .arg(
            Arg::new("widget-id")
                .long("widget-id")
                .value_name("UUID")
                .value_parser(clap::value_parser!(uuid::Uuid))
                .required_unless_present("sandbox")
                .help("The widget to verify with"),
        )
        .arg(
            Arg::new("phone")
                .long("phone")
                .value_name("PHONE")
                .help("The phone number to verify (asked for when missing)"),
        )
        .arg(
            Arg::new("sandbox")
                .long("sandbox")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(["env", "token-file"])
                .help("Against an embedded sandbox, with no setup (its code is 1234)"),
        )
        .arg(
            Arg::new("sandbox-code")
                .long("sandbox-code")
                .action(ArgAction::SetTrue)
                .requires("sandbox")
                .help("With --sandbox: enters the code the sandbox sent, instead of asking for it"),
        )
}

/// The questions `verify` asks, answered by whoever is at stdin (a person, or a pipe).
struct Prompt {
    lines: std::io::Lines<std::io::StdinLock<'static>>,
}

impl Prompt {
    fn ask(&mut self, question: &str) -> Option<String> {
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        self.lines.next()?.ok().map(|l| l.trim().to_string())
    }
}

fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

pub(crate) async fn run(global: &ArgMatches, matches: &ArgMatches) -> Exit {
    let mut prompt = Prompt {
        lines: std::io::stdin().lock().lines(),
    };
    // `--sandbox`: a sandbox of our own, and a client of it.
    let sandbox = if matches.get_flag("sandbox") {
        match Sandbox::start(SandboxConfig::default()).await {
            Ok(sandbox) => Some(sandbox),
            Err(e) => {
                eprintln!("error: the sandbox cannot start: {e}");
                return Exit::Other;
            }
        }
    } else {
        None
    };
    let client = match &sandbox {
        Some(sandbox) => Client::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .map_err(Failure::Call),
        None => config::client(global),
    };
    let client = match client {
        Ok(client) => client,
        Err(failure) => return output::failure(&failure),
    };
    let widget = matches
        .get_one::<uuid::Uuid>("widget-id")
        .copied()
        .unwrap_or(CODE_WIDGET);
    let phone = match matches.get_one::<String>("phone") {
        Some(phone) => phone.clone(),
        None => match prompt.ask("Phone number: ") {
            Some(phone) => phone,
            None => return output::failure(&Failure::Usage("no phone number".into())),
        },
    };
    if sandbox.is_some() {
        eprintln!(
            "(an embedded sandbox: the code is {})",
            otp_sandbox::DEFAULT_CODE
        );
    }
    let code_from = sandbox
        .as_ref()
        .filter(|_| matches.get_flag("sandbox-code"));
    match flow(&client, widget, &phone, &mut prompt, code_from).await {
        Ok(verified) => {
            output::proof(global, &verified);
            Exit::Ok
        }
        Err(failure) => output::failure(&failure),
    }
}

async fn flow(
    client: &Client,
    widget: uuid::Uuid,
    phone: &str,
    prompt: &mut Prompt,
    code_from: Option<&Sandbox>,
) -> Result<otp_client::Verified, Failure> {
    let session = client
        .start_verification(widget, phone)
        .await
        .map_err(Failure::Call)?;
    eprintln!("sent: session {}", session.request_id());
    loop {
        let waiting = spinner("waiting for the channel…");
        let channel = session
            .wait_for_channel_resending(Duration::from_secs(120), 2)
            .await;
        waiting.finish_and_clear();
        let channel = channel.map_err(Failure::Call)?;
        let kind = channel
            .label
            .clone()
            .or(channel.type_.map(|t| t.to_string()))
            .unwrap_or_default();
        if session.is_codeless() {
            eprintln!("confirm on your phone ({kind})");
            let waiting = spinner("waiting for the confirmation…");
            let confirmed = session
                .wait_for_success_status(Duration::from_secs(300))
                .await;
            waiting.finish_and_clear();
            confirmed.map_err(Failure::Call)?;
            break;
        }
        eprintln!("a code was sent by {kind}");
        if let Some(code) = code_from.and_then(|sandbox| sandbox.code(session.request_id())) {
            eprintln!("the sandbox's code: {code}");
            session.check_code(&code).await.map_err(Failure::Call)?;
            break;
        }
        if enter_code(&session, prompt).await? {
            break;
        }
    }
    let finishing = spinner("finishing…");
    let verified = session.finish().await;
    finishing.finish_and_clear();
    verified.map_err(Failure::Call)
}

/// Asks for the code until it is right (`true`), or a resend was asked for (`false`).
async fn enter_code(session: &Verification, prompt: &mut Prompt) -> Result<bool, Failure> {
    loop {
        let Some(code) = prompt.ask("Code (or r to send it again): ") else {
            return Err(Failure::Usage("no code entered".into()));
        };
        if code.eq_ignore_ascii_case("r") {
            match session.resend().await {
                Ok(()) => return Ok(false),
                Err(e) if matches!(e.next_step(), NextStep::WaitCooldown { .. }) => {
                    eprintln!("too early to send it again: wait a little");
                    continue;
                }
                Err(e) => return Err(Failure::Call(e)),
            }
        }
        match session.check_code(&code).await {
            Ok(()) => return Ok(true),
            Err(e) => match e.next_step() {
                NextStep::AskCodeAgain { attempts_left } => {
                    let left = attempts_left.map_or_else(|| "some".into(), |n| n.to_string());
                    eprintln!("wrong code: {left} attempt(s) left");
                }
                NextStep::RefetchChannel => return Ok(false),
                _ => return Err(Failure::Call(e)),
            },
        }
    }
}
