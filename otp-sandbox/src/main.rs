//! `otp-sandbox`: serve the otp-handler simulator for local development.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use otp_sandbox::{Sandbox, SandboxConfig, Widget};

/// A stateful, in-memory otp-handler simulator, served over HTTP.
///
/// Default token: `sandbox-token` (it owns every default widget); `sandbox-other-token` is
/// valid but owns none (ForbiddenException). Default widgets:
///   5a4db0c1-0000-4000-8000-000000000001  code: sms → voice → sim_push (codeless)
///   5a4db0c1-0000-4000-8000-000000000002  codeless: sim_push
///   5a4db0c1-0000-4000-8000-000000000003  blocked
///   5a4db0c1-0000-4000-8000-000000000004  inactive
/// Every code channel sends the code 1234 (GET /sandbox/{requestId}/code reveals it);
/// POST /sandbox/{requestId}/confirm confirms a codeless channel.
#[derive(Parser, Debug)]
#[command(version, verbatim_doc_comment)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A JSON file with the widgets to serve instead of the defaults: a list of
    /// `{"id", "name", "owner", "active", "blocked", "cascade": [{"type", "codeless"}], "code"}`.
    #[arg(long)]
    widgets: Option<PathBuf>,
    /// How long a long-poll is held before 408 LongPollingTimeoutException.
    #[arg(long, value_parser = humantime, default_value = "25s")]
    hold: Duration,
    /// How long a channel stays `wait` before it is `sent`.
    #[arg(long, value_parser = humantime, default_value = "800ms")]
    sent_delay: Duration,
    /// How long after it is sent a codeless channel confirms by itself ("off": never).
    #[arg(long, default_value = "2s")]
    codeless_confirm: String,
    /// How long a channel lives before ResendChannelException.
    #[arg(long, value_parser = humantime, default_value = "300s")]
    lifetime: Duration,
    /// How soon after a channel starts `resend` is allowed.
    #[arg(long, value_parser = humantime, default_value = "30s")]
    cooldown: Duration,
    /// The code every default widget's code channels send.
    #[arg(long)]
    code: Option<String>,
    /// Inject faults into this share of API requests (0 to 1): random delays, 503s and
    /// connection resets. For soak tests; off by default.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// The longest delay a faulty request gets.
    #[arg(long, value_parser = humantime, default_value = "200ms")]
    fault_delay: Duration,
}

/// Parses `250ms`, `2s`, `1m`.
fn humantime(s: &str) -> Result<Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}`: expected a number and ms, s or m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("`{s}`: unknown unit `{unit}` (ms, s or m)")),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "otp_sandbox=info".into()),
        )
        .init();
    let args = Args::parse();
    let mut config = SandboxConfig {
        hold: args.hold,
        sent_delay: args.sent_delay,
        channel_lifetime: args.lifetime,
        resend_cooldown: args.cooldown,
        codeless_confirm_delay: match args.codeless_confirm.as_str() {
            "off" => None,
            other => Some(humantime(other).map_err(anyhow::Error::msg)?),
        },
        faults: (args.fault_rate > 0.0).then_some(otp_sandbox::Faults {
            rate: args.fault_rate.min(1.0),
            max_delay: args.fault_delay,
        }),
        ..SandboxConfig::default()
    };
    if let Some(path) = &args.widgets {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        config.widgets = serde_json::from_str::<Vec<Widget>>(&text)
            .with_context(|| format!("{}: not a list of widgets", path.display()))?;
    }
    if let Some(code) = &args.code {
        config
            .widgets
            .iter_mut()
            .for_each(|w| w.code = code.clone());
    }
    let sandbox = Sandbox::bind(args.listen, config).await?;
    tracing::info!(
        "otp-sandbox serving {} (token: {})",
        sandbox.base_url(),
        otp_sandbox::DEFAULT_TOKEN
    );
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    sandbox.shutdown().await;
    Ok(())
}
