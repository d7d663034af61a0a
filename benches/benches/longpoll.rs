//! Long-poll scale: N long-polls held at once (10,000 by default, `LONGPOLL_N`), then all
//! answered. Four ways, each in fresh processes: the SDK's client and raw reqwest calling
//! the service, and browsers calling it through otp-widget and through a bare axum +
//! reqwest proxy. The service (`otp_benches::held`) holds every poll until told, and notes
//! when it wrote each answer.
//!
//! Reported per way: memory per held poll (the RSS that N held polls add, / N: the
//! client's process, or the proxy's), and the wake-up, from the moment each answer was
//! written to the moment its caller had it decoded (p50, p99), over the same clock.
//! `cargo bench -p otp-benches --bench longpoll`; `LONGPOLL_ROUNDS` repeats the four.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::serve::ListenerExt;
use otp_benches::TOKEN;
use otp_benches::held::{rss_kib, serve_h1_and_h2c, unix_nanos, with_rss};
use otp_benches::proxy::{bare, widget, widget_cookie};

/// The role of a process of this benchmark, in this variable: `upstream:PORT`,
/// `proxy:WAY:PORT:UPSTREAM_PORT`, or `client:WAY:UPSTREAM_PORT:TARGET_PORT:N`.
const ROLE: &str = "OTP_BENCH_ROLE";
const WAYS: [&str; 4] = ["otp-client", "raw reqwest", "otp-widget", "bare proxy"];

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn spawn(role: String) -> Kill {
    Kill(
        Command::new(std::env::current_exe().unwrap())
            .env(ROLE, role)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        let parts: Vec<&str> = role.split(':').collect();
        return match parts.as_slice() {
            ["upstream", port] => upstream(port.parse().unwrap()),
            ["proxy", way, port, up] => proxy(way, port.parse().unwrap(), up.parse().unwrap()),
            ["client", way, up, target, n] => client(
                way,
                up.parse().unwrap(),
                target.parse().unwrap(),
                n.parse().unwrap(),
            ),
            _ => panic!("{ROLE}={role}: not a role"),
        };
    }
    let rounds: usize = std::env::var("LONGPOLL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then only check it runs.
    let n = if std::env::args().any(|a| a == "--bench") {
        std::env::var("LONGPOLL_N").map_or(10_000, |v| v.parse().expect("LONGPOLL_N: a number"))
    } else {
        100
    };
    println!("long-polls held at once: {n} per way, each way in fresh processes");
    for round in 1..=rounds {
        println!("round {round}");
        for way in WAYS {
            let up = free_port();
            let _upstream = spawn(format!("upstream:{up}"));
            let (target, _proxy) = if way == "otp-widget" || way == "bare proxy" {
                let port = free_port();
                (port, Some(spawn(format!("proxy:{way}:{port}:{up}"))))
            } else {
                (up, None)
            };
            let status = Command::new(std::env::current_exe().unwrap())
                .env(ROLE, format!("client:{way}:{up}:{target}:{n}"))
                .status()
                .unwrap();
            assert!(status.success(), "{way} failed");
        }
    }
}

/// The service that holds the polls.
fn upstream(port: u16) {
    runtime(1).block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        serve_h1_and_h2c(listener, otp_benches::held::service()).await;
    });
}

/// A proxy in front of it: HTTP/1.1 from the browsers, HTTP/2 to the service.
fn proxy(way: &str, port: u16, up: u16) {
    let upstream = format!("http://127.0.0.1:{up}/api/n/otp-handler");
    let router = match way {
        "otp-widget" => widget(&upstream, TOKEN, &[otp_sandbox::CODE_WIDGET], true, true),
        _ => bare(&upstream, TOKEN, true),
    };
    runtime(2).block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap()
            .tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
        axum::serve(
            listener,
            with_rss(router).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
}

/// Holds N polls the `way` says, measures, releases them, and reports.
fn client(way: &str, up: u16, target: u16, n: usize) {
    runtime(2).block_on(async move {
        let service = format!("http://127.0.0.1:{up}");
        let api = format!("{service}/api/n/otp-handler");
        let control = reqwest::Client::new();
        let text = |url: String| {
            let control = control.clone();
            async move {
                loop {
                    match control.get(&url).send().await {
                        Ok(r) => return r.text().await.unwrap(),
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            }
        };
        let proxied = way == "otp-widget" || way == "bare proxy";
        let rss = || {
            async move {
                if proxied {
                    text(format!("http://127.0.0.1:{target}/bench/rss"))
                        .await
                        .parse::<u64>()
                        .unwrap()
                } else {
                    rss_kib()
                }
            }
        };
        text(format!("{service}/bench/held")).await;
        let sdk = otp_client::Client::builder(TOKEN)
            .base_url(&api)
            .long_poll_timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let raw = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        let before = rss().await;
        let ids: Vec<otp_client::RequestId> = (0..n).map(|_| uuid::Uuid::new_v4().into()).collect();
        let polls: Vec<_> = ids
            .iter()
            .map(|id| {
                let (sdk, raw, id) = (sdk.clone(), raw.clone(), *id);
                let url = match way {
                    "raw reqwest" => format!("{api}/longPolling/{id}/channel"),
                    _ => format!("http://127.0.0.1:{target}/longPolling/{id}/channel"),
                };
                let way = way.to_string();
                tokio::spawn(async move {
                    if way == "otp-client" {
                        sdk.get_channel_long_polling(&id).await.unwrap();
                    } else {
                        let mut request = raw.get(url);
                        if way == "raw reqwest" {
                            request = request.header("authorization", format!("Bearer {TOKEN}"));
                        }
                        if way == "otp-widget" {
                            request = request.header("cookie", widget_cookie(&id.to_string()));
                        }
                        let response = request.send().await.unwrap();
                        assert_eq!(response.status(), 200);
                        let channel: serde_json::Value = response.json().await.unwrap();
                        assert!(channel.is_object());
                    }
                    (id.to_string(), unix_nanos())
                })
            })
            .collect();
        // Every poll held by the service, then a moment for the callers to settle.
        while text(format!("{service}/bench/held")).await.parse::<usize>().unwrap() < n {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let held = rss().await;
        control.post(format!("{service}/bench/release")).send().await.unwrap();
        let mut woke = Vec::with_capacity(n);
        for poll in polls {
            woke.push(poll.await.unwrap());
        }
        let written: HashMap<String, u128> =
            serde_json::from_str(&text(format!("{service}/bench/written")).await).unwrap();
        let mut waits: Vec<Duration> = woke
            .iter()
            .map(|(id, at)| {
                let wrote = written[id];
                Duration::from_nanos(at.saturating_sub(wrote) as u64)
            })
            .collect();
        waits.sort();
        let per_poll = held.saturating_sub(before) as f64 * 1024.0 / n as f64;
        let whose = if proxied { "proxy" } else { "client" };
        println!(
            "  {way:12} {n} held: {per_poll:6.0} bytes per poll ({whose} RSS {before} → {held} KiB); written → woken p50 {:.2?}, p99 {:.2?}",
            percentile(&waits, 0.50),
            percentile(&waits, 0.99),
        );
    });
}
