//! A bounded soak: N concurrent full flows of the async client against the sandbox (run
//! as its own process, with faults injected: random delays, 503s, connection resets) for a
//! fixed time. It reports completed flows, errors by kind, lost or duplicated sessions
//! (both must be zero), and the memory of the client process and of the sandbox process,
//! which keeps at most 50 sessions (both must stay flat).
//!
//! Off by default; run it with
//! `SOAK_SECONDS=60 SOAK_FLOWS=32 cargo test --release -p otp-sandbox --test soak -- --ignored --nocapture`.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use otp_client::{Client, Error, ErrorKind, RetryPolicy};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of process `pid` (`self` for this one), in KiB.
fn rss_of(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("the soak reads memory from /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

/// The most sessions the sandbox keeps: the soak starts many more.
const CAP: usize = 50;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sandbox(port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_otp-sandbox"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--hold",
            "1s",
            "--sent-delay",
            "20ms",
            "--codeless-confirm",
            "50ms",
            "--cooldown",
            "0s",
        ])
        .args(["--fault-rate", "0.05", "--fault-delay", "100ms"])
        // Bounded: the oldest sessions go, so the sandbox's memory must stay flat.
        .args(["--max-sessions", &CAP.to_string(), "--send-limit", "off"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sandbox binary starts");
    Server(child)
}

fn kind(e: &Error) -> String {
    match e.kind() {
        ErrorKind::Api(api) => format!("api {}", api.kind),
        ErrorKind::UnexpectedResponse { status, .. } => {
            format!("unexpected HTTP {}", status.as_u16())
        }
        ErrorKind::Transport { failure, .. } => format!("transport: {failure}"),
        ErrorKind::DeadlineExceeded { .. } => "deadline".into(),
        _ => format!("{e}"),
    }
}

#[derive(Default)]
struct Tally {
    completed: u64,
    errors: BTreeMap<String, u64>,
    /// recipient → the request id `send` returned, or `None` when `send` failed.
    sent: HashMap<String, Option<String>>,
}

async fn flow(client: &Client, phone: &str, codeless: bool, tally: &Mutex<Tally>) {
    let widget = if codeless {
        otp_sandbox::CODELESS_WIDGET
    } else {
        otp_sandbox::CODE_WIDGET
    };
    let result = async {
        let session = match client.start_verification(widget, phone).await {
            Ok(s) => {
                tally
                    .lock()
                    .unwrap()
                    .sent
                    .insert(phone.into(), Some(s.request_id().to_string()));
                s
            }
            Err(e) => {
                tally.lock().unwrap().sent.insert(phone.into(), None);
                return Err(e);
            }
        };
        session
            .wait_for_channel_selected(Duration::from_secs(10))
            .await?;
        if codeless {
            session
                .wait_for_success_status(Duration::from_secs(10))
                .await?;
        } else {
            session.check_code(otp_sandbox::DEFAULT_CODE).await?;
        }
        session.finish().await.map(|_| ())
    }
    .await;
    let mut t = tally.lock().unwrap();
    match result {
        Ok(()) => t.completed += 1,
        Err(e) => *t.errors.entry(kind(&e)).or_default() += 1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak: run with --ignored"]
async fn soak() {
    let seconds = env("SOAK_SECONDS", 20);
    let flows = env("SOAK_FLOWS", 16);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = start_sandbox(port);
    let sandbox_pid = server.0.id().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::builder(otp_sandbox::DEFAULT_TOKEN)
        .base_url(format!("{base}/api/n/otp-handler"))
        .timeout(Duration::from_secs(5))
        .long_poll_timeout(Duration::from_secs(5))
        .retry(RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    // Wait for the sandbox to listen.
    let probe = reqwest::Client::new();
    let up = Instant::now();
    while probe
        .get(format!("{base}/sandbox/sessions"))
        .send()
        .await
        .is_err()
    {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "the sandbox did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let end = started + Duration::from_secs(seconds);
    let warm = started + Duration::from_secs(seconds) / 5;
    // (client, sandbox) resident memory once warm.
    let rss_warm: Arc<Mutex<Option<(u64, u64)>>> = Arc::new(Mutex::new(None));
    let workers: Vec<_> = (0..flows)
        .map(|worker| {
            let (client, tally, rss_warm) = (client.clone(), tally.clone(), rss_warm.clone());
            let sandbox_pid = sandbox_pid.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < end {
                    // +79…: never one of the sandbox's scenario numbers (+70000000001…).
                    let phone = format!("+79{worker:02}{n:07}");
                    flow(&client, &phone, n % 4 == 3, &tally).await;
                    n += 1;
                    if Instant::now() > warm {
                        rss_warm
                            .lock()
                            .unwrap()
                            .get_or_insert_with(|| (rss_of("self"), rss_of(&sandbox_pid)));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("no worker panicked");
    }
    let rss_end = (rss_of("self"), rss_of(&sandbox_pid));
    let rss_start = rss_warm.lock().unwrap().unwrap_or(rss_end);
    let get = |path: &str| {
        let request = probe.get(format!("{base}{path}"));
        async move {
            request
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let stats = get("/sandbox/stats").await;

    let sessions: Vec<serde_json::Value> =
        serde_json::from_value(get("/sandbox/sessions").await).unwrap();
    let t = tally.lock().unwrap();
    let mut per_recipient: HashMap<String, Vec<String>> = HashMap::new();
    for s in &sessions {
        per_recipient
            .entry(s["recipient"].as_str().unwrap().into())
            .or_default()
            .push(s["requestId"].as_str().unwrap().into());
    }
    // Live sessions only (the sandbox forgets the oldest): no phone has two.
    let duplicated = per_recipient.values().filter(|ids| ids.len() > 1).count();
    // Every session the sandbox started is one the client was told of, and the other way
    // round: a `send` that failed started nothing, none started twice.
    let told = t.sent.values().flatten().count() as u64;
    let started_on_server = stats["started"].as_u64().unwrap();
    let live_unknown = per_recipient
        .iter()
        .filter(|(phone, ids)| {
            t.sent
                .get(*phone)
                .and_then(|id| id.as_ref())
                .is_none_or(|id| !ids.contains(id))
        })
        .count();
    let errors: u64 = t.errors.values().sum();
    println!("soak: {flows} concurrent flows for {seconds} s against the sandbox with 5% faults");
    println!("  completed flows:      {}", t.completed);
    println!("  failed flows:         {errors}");
    for (kind, n) in &t.errors {
        println!("    {kind}: {n}");
    }
    println!("  sessions started:     {started_on_server} (the client was told of {told})");
    println!(
        "  sessions live:        {} (at most {CAP} kept)",
        sessions.len()
    );
    println!("  live, unknown:        {live_unknown}");
    println!("  duplicated sessions:  {duplicated}");
    println!(
        "  client RSS:  {} KiB after warm-up, {} KiB at the end",
        rss_start.0, rss_end.0
    );
    println!(
        "  sandbox RSS: {} KiB after warm-up, {} KiB at the end",
        rss_start.1, rss_end.1
    );

    assert!(t.completed > 0, "flows complete");
    assert_eq!(
        started_on_server, told,
        "each session started is one the client got"
    );
    assert_eq!(
        live_unknown, 0,
        "no live session the client does not know of"
    );
    assert_eq!(duplicated, 0, "no `send` delivered twice");
    assert!(
        sessions.len() <= CAP,
        "the sandbox keeps at most {CAP} sessions"
    );
    assert!(
        started_on_server > CAP as u64,
        "more sessions started ({started_on_server}) than the cap: the cap was used"
    );
    // Flat: within 16 MiB and 25 % of the warm-up figure, for both processes.
    for (who, start, end) in [
        ("client", rss_start.0, rss_end.0),
        ("sandbox", rss_start.1, rss_end.1),
    ] {
        assert!(
            end <= start + 16 * 1024 + start / 4,
            "{who} memory grew: {start} → {end} KiB"
        );
    }
}
