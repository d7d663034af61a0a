//! A full phone verification, step by step.
//!
//! With no arguments it runs against a sandbox started in this process:
//!
//! ```text
//! cargo run --example verify               # a code channel (sms)
//! cargo run --example verify -- --codeless # a codeless channel (sim_push)
//! ```
//!
//! Given a base URL, a token, a widget id and a phone (flags or the environment variables
//! OTP_BASE_URL, OTP_TOKEN, OTP_WIDGET_ID, OTP_PHONE), it runs against that service and
//! asks for the code on the terminal.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use otp_client::{Client, NextStep};
use otp_sandbox::{Sandbox, SandboxConfig};

struct Target {
    base_url: String,
    token: String,
    widget_id: uuid::Uuid,
    phone: String,
    sandbox: Option<Sandbox>,
}

fn flag(args: &[String], name: &str, env: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| std::env::var(env).ok())
        .filter(|v| !v.is_empty())
}

async fn target() -> anyhow::Result<Target> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(base_url) = flag(&args, "--base-url", "OTP_BASE_URL") {
        let need = |name, env| {
            flag(&args, name, env)
                .ok_or_else(|| anyhow::anyhow!("{name} (or {env}) is required with --base-url"))
        };
        return Ok(Target {
            base_url,
            token: need("--token", "OTP_TOKEN")?,
            widget_id: need("--widget-id", "OTP_WIDGET_ID")?.parse()?,
            phone: need("--phone", "OTP_PHONE")?,
            sandbox: None,
        });
    }
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let codeless = args.iter().any(|a| a == "--codeless");
    println!("Embedded sandbox at {}", sandbox.base_url());
    Ok(Target {
        base_url: sandbox.base_url(),
        token: otp_sandbox::DEFAULT_TOKEN.into(),
        widget_id: if codeless {
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
    print!("   Enter the code you received: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let target = target().await?;
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
        session.wait_for_channel_selected(Duration::from_secs(120)),
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
