//! `otp-sandbox`: serve the otp-handler simulator for local development.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use otp_sandbox::{API_PREFIX, HELPER_ENDPOINTS, SCENARIOS, Sandbox, SandboxConfig, Widget};

/// A stateful, in-memory otp-handler simulator, served over HTTP: the ten operations of the
/// spec, with their documented answers, over sessions held in memory.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Print the spec the sandbox serves (the vendor's with the overlays applied) and exit.
    #[arg(long)]
    print_spec: bool,
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
    /// The `send` limit per phone number: "3/60s" (the service's), or "off".
    #[arg(long, default_value = "3/60s")]
    send_limit: String,
    /// How long a session is kept after it starts.
    #[arg(long, value_parser = humantime, default_value = "30m")]
    session_ttl: Duration,
    /// The most sessions kept at once; starting one more forgets the oldest.
    #[arg(long, default_value_t = 100_000)]
    max_sessions: usize,
    /// The longest delay a faulty request gets.
    #[arg(long, value_parser = humantime, default_value = "200ms")]
    fault_delay: Duration,
    /// How long every answer about a session of the slow scenario number takes.
    #[arg(long, value_parser = humantime, default_value = "2s")]
    slow_delay: Duration,
}

/// Parses `3/60s` (at most 3 per 60 s) or `off`.
fn send_limit(s: &str) -> Result<Option<(u32, Duration)>, String> {
    if s == "off" {
        return Ok(None);
    }
    let (count, window) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: expected COUNT/WINDOW, such as 3/60s, or off"))?;
    let count = count
        .parse()
        .map_err(|_| format!("`{s}`: `{count}` is not a count"))?;
    Ok(Some((count, humantime(window)?)))
}

/// What `--help` says after the options: where the API is, with which token and widgets,
/// the scenario numbers and the sandbox-only endpoints, all read from the sandbox itself.
fn guide() -> String {
    let config = SandboxConfig::default();
    let mut out = format!(
        "The API: http://LISTEN{API_PREFIX} (the spec's ten operations), with\n  Authorization: Bearer {}  (owns every default widget)\n",
        otp_sandbox::DEFAULT_TOKEN
    );
    for token in &config.extra_tokens {
        out.push_str(&format!(
            "  Authorization: Bearer {token}  (valid, owns no widget: ForbiddenException)\n"
        ));
    }
    out.push_str("\nWidgets:\n");
    for w in &config.widgets {
        let cascade: Vec<String> = w
            .cascade
            .iter()
            .map(|c| format!("{}{}", c.kind, if c.codeless { " (codeless)" } else { "" }))
            .collect();
        let state = match (w.active, w.blocked) {
            (_, true) => "; blocked: send answers WidgetIsBlockedException",
            (false, _) => "; inactive: send finds no channel",
            _ => "",
        };
        out.push_str(&format!(
            "  {}  {}: {}{state}\n",
            w.id,
            w.name,
            cascade.join(" → ")
        ));
    }
    out.push_str(&format!(
        "Every code channel sends the code {}.\n\nScenario phone numbers (any widget):\n",
        otp_sandbox::DEFAULT_CODE
    ));
    for scenario in SCENARIOS {
        out.push_str(&format!("  {scenario}\n"));
    }
    out.push_str("\nSandbox-only endpoints (outside the API, no token):\n");
    for (method, path, answer) in HELPER_ENDPOINTS {
        out.push_str(&format!("  {method:<4} {path}\n       {answer}\n"));
    }
    out
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
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("`{s}`: unknown unit `{unit}` (ms, s, m or h)")),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        // Colours on a terminal only: not as escape codes in a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "otp_sandbox=info".into()),
        )
        .init();
    let matches = Args::command().after_help(guide()).get_matches();
    let args = Args::from_arg_matches(&matches)?;
    if args.print_spec {
        print!("{}", otp_sandbox::SPEC);
        return Ok(());
    }
    let mut config = SandboxConfig {
        hold: args.hold,
        sent_delay: args.sent_delay,
        channel_lifetime: args.lifetime,
        resend_cooldown: args.cooldown,
        codeless_confirm_delay: match args.codeless_confirm.as_str() {
            "off" => None,
            other => Some(humantime(other).map_err(anyhow::Error::msg)?),
        },
        random_faults: (args.fault_rate > 0.0).then_some(otp_sandbox::RandomFaults {
            rate: args.fault_rate.min(1.0),
            max_delay: args.fault_delay,
        }),
        send_limit: send_limit(&args.send_limit).map_err(anyhow::Error::msg)?,
        session_ttl: args.session_ttl,
        max_sessions: args.max_sessions,
        slow_delay: args.slow_delay,
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
