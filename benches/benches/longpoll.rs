//! Long-poll scale: N concurrent long-polls (10,000 by default, `LONGPOLL_N`) on one async
//! client against the sandbox, run in a process of its own; all are held, then released at
//! once. Reports the client's memory per pending poll (RSS delta / N) and the time from the
//! release to each caller's wake-up (p50, p99), which bounds the time from the server's
//! answer to the wake-up from above. `cargo bench -p otp-benches --bench longpoll`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;

const CHILD: &str = "OTP_BENCH_SANDBOX_PORT";
const CLIENT: &str = "OTP_BENCH_CLIENT";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The sandbox, in this same binary started again as a child process.
fn child_sandbox(port: u16) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let config = otp_sandbox::SandboxConfig {
            hold: Duration::from_secs(600),
            sent_delay: Duration::from_millis(1),
            codeless_confirm_delay: None,
            ..otp_sandbox::SandboxConfig::default()
        };
        let _sandbox = otp_sandbox::Sandbox::bind(([127, 0, 0, 1], port).into(), config)
            .await
            .unwrap();
        std::future::pending::<()>().await;
    });
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if let Ok(port) = std::env::var(CHILD) {
        return child_sandbox(port.parse().unwrap());
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then only check it runs.
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("LONGPOLL_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let n = if bench { n } else { 100 };
    if let Ok(spec) = std::env::var(CLIENT) {
        let (mode, port) = spec.split_once(':').unwrap();
        return measure(mode, port.parse().unwrap(), n);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _sandbox = Kill(
        Command::new(std::env::current_exe().unwrap())
            .env(CHILD, port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    println!(
        "long-poll scale: {n} concurrent long-polls on one client, sandbox in its own process,"
    );
    println!("each client in a fresh process of its own");
    for mode in ["otp-client", "raw reqwest"] {
        let status = Command::new(std::env::current_exe().unwrap())
            .env(CLIENT, format!("{mode}:{port}"))
            .args(std::env::args().skip(1))
            .status()
            .unwrap();
        assert!(status.success(), "{mode} failed");
    }
}

fn measure(mode: &str, port: u16, n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let base = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        while probe.get(format!("{base}/sandbox/sessions")).send().await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let api = format!("{base}/api/n/otp-handler");
        let client = otp_client::Client::builder(otp_sandbox::DEFAULT_TOKEN)
            .base_url(&api)
            .long_poll_timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let raw = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().unwrap();
        // N sessions, each sent and seen, so that each long-poll is held.
        let tag = if mode == "raw reqwest" { 1 } else { 2 };
        let ids: Vec<otp_client::RequestId> = futures::stream::iter(0..n)
            .map(|i| {
                let client = client.clone();
                async move {
                    let s = client.start_verification(otp_sandbox::CODE_WIDGET, format!("+{tag}{i:010}")).await.unwrap();
                    s.request_id()
                }
            })
            .buffer_unordered(128)
            .collect()
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        futures::stream::iter(ids.clone())
            .map(|id| {
                let client = client.clone();
                async move { client.get_channel(&id).await.unwrap() }
            })
            .buffer_unordered(128)
            .for_each(|_| async {})
            .await;
        let rss_before = rss_kib();
        let polls: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let (client, raw, api) = (client.clone(), raw.clone(), api.clone());
                let raw_mode = mode == "raw reqwest";
                tokio::spawn(async move {
                    if raw_mode {
                        let r = raw
                            .get(format!("{api}/longPolling/{id}/channel"))
                            .header("authorization", format!("Bearer {}", otp_sandbox::DEFAULT_TOKEN))
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(r.status(), 200);
                        let _: serde_json::Value = r.json().await.unwrap();
                    } else {
                        client.get_channel_long_polling(&id).await.unwrap();
                    }
                    Instant::now()
                })
            })
            .collect();
        // Let every poll reach the server and be held.
        tokio::time::sleep(Duration::from_secs(3 + n as u64 / 2000)).await;
        let rss_held = rss_kib();
        let t0 = Instant::now();
        probe.post(format!("{base}/sandbox/notify")).send().await.unwrap();
        let mut wakes: Vec<Duration> = Vec::with_capacity(n);
        for p in polls {
            wakes.push(p.await.unwrap().duration_since(t0));
        }
        wakes.sort();
        let per_poll = (rss_held.saturating_sub(rss_before)) as f64 * 1024.0 / n as f64;
        println!(
            "  {mode:12} RSS {rss_before} → {rss_held} KiB: {per_poll:.0} bytes per pending poll; release → wake-up p50 {:?}, p99 {:?}",
            percentile(&wakes, 0.50),
            percentile(&wakes, 0.99),
        );
    });
}
