//! A full phone verification, step by step.
//!
//! With no arguments it runs against a sandbox started in this process:
//!
//! ```text
//! cargo run --example verify               # a code channel (sms)
//! cargo run --example verify -- --codeless # a codeless channel (sim_push)
//! ```
//!
//! Given a base URL, a widget id and a phone (flags, or the environment variables
//! OTP_BASE_URL, OTP_WIDGET_ID, OTP_PHONE) and the token in OTP_TOKEN (never a flag: it would
//! land in the shell's history), it runs against that service and asks for the code on the
//! terminal.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use otp_client::{Client, NextStep};
use otp_sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "\
usage: cargo run --example verify [-- --codeless]
       OTP_TOKEN=… cargo run --example verify -- --base-url URL --widget-id UUID --phone PHONE

With no --base-url it runs against a sandbox started in this process. The flags may come
from OTP_BASE_URL, OTP_WIDGET_ID and OTP_PHONE; the token only from OTP_TOKEN.";

struct Target {
    base_url: String,
    token: String,
    widget_id: uuid::Uuid,
    phone: String,
    sandbox: Option<Sandbox>,
}

/// The command line: the flags this example knows, each once; anything else is refused
/// (a mistyped `--base-ur` must not fall back to the sandbox unnoticed).
#[derive(Default)]
struct Flags {
    codeless: bool,
    help: bool,
    base_url: Option<String>,
    widget_id: Option<String>,
    phone: Option<String>,
}

fn flags() -> anyhow::Result<Flags> {
    let mut flags = Flags::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--codeless" => {
                flags.codeless = true;
                continue;
            }
            "-h" | "--help" => {
                flags.help = true;
                continue;
            }
            "--base-url" => &mut flags.base_url,
            "--widget-id" => &mut flags.widget_id,
            "--phone" => &mut flags.phone,
            "--token" => anyhow::bail!("the token is read from OTP_TOKEN, never from a flag"),
            other => anyhow::bail!("unknown argument `{other}`\n\n{USAGE}"),
        };
        let value = args
            .next()
            .ok_or_else(|| anyhow::anyhow!("{arg} needs a value\n\n{USAGE}"))?;
        *slot = Some(value);
    }
    Ok(flags)
}

fn from_env(flag: Option<String>, env: &str) -> Option<String> {
    flag.or_else(|| std::env::var(env).ok())
        .filter(|v| !v.is_empty())
}

async fn target(flags: Flags) -> anyhow::Result<Target> {
    if let Some(base_url) = from_env(flags.base_url, "OTP_BASE_URL") {
        let need = |value: Option<String>, name: &str, env: &str| {
            from_env(value, env)
                .ok_or_else(|| anyhow::anyhow!("{name} (or {env}) is required with --base-url"))
        };
        return Ok(Target {
            base_url,
            token: need(None, "OTP_TOKEN", "OTP_TOKEN")?,
            widget_id: need(flags.widget_id, "--widget-id", "OTP_WIDGET_ID")?.parse()?,
            phone: need(flags.phone, "--phone", "OTP_PHONE")?,
            sandbox: None,
        });
    }
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    println!("Embedded sandbox at {}", sandbox.base_url());
    Ok(Target {
        base_url: sandbox.base_url(),
        token: otp_sandbox::DEFAULT_TOKEN.into(),
        widget_id: if flags.codeless {
            otp_sandbox::CODELESS_WIDGET
        } else {
            otp_sandbox::CODE_WIDGET
        },
        phone: "+79991234563".into(),
        sandbox: Some(sandbox),
    })
}

/// Runs `work` with a spinner that says what we wait for.
async fn waiting<T>(what: &str, work: impl Future<Output = T>) -> T {
    let spinner = ProgressBar::new_spinner().with_message(what.to_string());
    spinner.set_style(
        ProgressStyle::with_template("   {spinner} {msg} ({elapsed})").expect("a valid template"),
    );
    spinner.enable_steady_tick(Duration::from_millis(80));
    let out = work.await;
    spinner.finish_and_clear();
    out
}

fn ask_code() -> anyhow::Result<String> {
    print!("4. Enter the code you received: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let flags = flags()?;
    if flags.help {
        println!("{USAGE}");
        return Ok(());
    }
    let target = target(flags).await?;
    let client = Client::builder(&target.token)
        .base_url(&target.base_url)
        .build()?;

    let widget = client.get_widget(&target.widget_id).await?;
    println!(
        "1. Widget {:?}: active {}, blocked {}",
        widget.name.as_deref().unwrap_or("?"),
        widget.is_active.unwrap_or(false),
        widget.is_blocked.unwrap_or(false)
    );

    let session = client
        .start_verification(target.widget_id, &target.phone)
        .await?;
    println!(
        "2. Sent to {}: request {}",
        otp_client::mask_phone(&target.phone),
        session.request_id()
    );

    let channel = waiting(
        "waiting for the channel",
        session.wait_for_channel_resending(Duration::from_secs(120), 2),
    )
    .await?;
    let kind = channel
        .type_
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    println!(
        "3. Channel: {kind} ({}), {} attempts",
        channel
            .code_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        channel.remaining_code_attempts.unwrap_or_default()
    );

    if session.is_codeless() {
        waiting(
            "waiting for the user to confirm",
            session.wait_for_success_status(Duration::from_secs(300)),
        )
        .await?;
        println!("4. Confirmed by the user on their phone");
        println!("5. No code to check on a codeless channel");
    } else {
        loop {
            let code = match &target.sandbox {
                Some(sandbox) => {
                    let code = sandbox.code(session.request_id()).unwrap_or_default();
                    println!("4. Code from the sandbox: {code}");
                    code
                }
                None => ask_code()?,
            };
            match session.check_code(&code).await {
                Ok(()) => break,
                Err(e) if target.sandbox.is_none() => match e.next_step() {
                    NextStep::AskCodeAgain { attempts_left } => {
                        let left = attempts_left.map_or("some".to_string(), |n| n.to_string());
                        println!("   Wrong code, try again ({left} attempts left)")
                    }
                    _ => return Err(e.into()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        println!("5. Code accepted");
    }

    // The only way to grant access: a `Verified` proof from the server-side finish.
    let verified = session.finish().await?;
    println!(
        "6. Verified on the server side (checkStatusAndComplete): {} is confirmed",
        otp_client::mask_phone(verified.recipient())
    );
    if let Some(sandbox) = target.sandbox {
        sandbox.shutdown().await;
    }
    Ok(())
}
