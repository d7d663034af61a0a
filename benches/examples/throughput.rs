//! Calls per second of `getStatus` with N concurrent callers, the SDK beside raw reqwest:
//! `throughput 64 256 1024`.
//!
//! - The responder (a bare axum handler) runs on a runtime of its own, on threads of its
//!   own, with as many worker threads as the machine has cores (`SERVER_THREADS`); the
//!   callers run on another runtime, as many threads again (`CLIENT_THREADS`).
//! - Both sides run the same load generator (`otp_benches::load::rate`): each caller is a
//!   task of its own, making calls one after the other.
//! - A pair is one round of each (`ROUND_SECONDS`, default 0.5), in alternating order (the
//!   SDK first in even pairs, raw reqwest first in odd ones). Pairs are repeated until the
//!   95 % interval of the mean of the pairs' ratios is within ±`TARGET` (default 0.02) of
//!   it, at least `MIN_PAIRS` (10) and at most `MAX_PAIRS` (80) times.
//!
//! Prints, per caller count: the mean ratio (SDK / raw reqwest) with its interval, the
//! number of pairs, and each side's mean rate.

use std::time::Duration;

use otp_benches::load::{Estimate, rate};
use otp_benches::*;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let callers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let callers = if callers.is_empty() {
        vec![64, 256, 1024]
    } else {
        callers
    };
    let round = Duration::from_secs_f64(env("ROUND_SECONDS", 0.5));
    let target: f64 = env("TARGET", 0.02);
    let (min_pairs, max_pairs): (usize, usize) = (env("MIN_PAIRS", 10), env("MAX_PAIRS", 80));
    let server_threads = env("SERVER_THREADS", cores);
    let client_threads = env("CLIENT_THREADS", cores);
    let addr = serve_in_background_on(server_threads, responder());
    println!(
        "{cores} cores; responder on {server_threads} threads, callers on {client_threads}; \
         rounds of {:?}, to ±{target} (95 %)",
        round
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads)
        .enable_all()
        .build()
        .unwrap();
    // Leaked so that every caller borrows them without a reference count to share.
    let sdk: &'static otp_client::Client = Box::leak(Box::new(sdk_client(addr)));
    let raw: &'static reqwest::Client = Box::leak(Box::new(raw_client()));
    let base: &'static str = Box::leak(base_url(addr).into_boxed_str());
    let sdk_call = move || async move { sdk.get_status(&ID, RECIPIENT).await.unwrap().success };
    let raw_call = move || async move { raw_get_status(raw, base).await.success };
    rt.block_on(async {
        for &n in &callers {
            // Warm both pools to this many connections.
            rate(n, round, sdk_call).await;
            rate(n, round, raw_call).await;
            let (mut ratios, mut sdk_rates, mut raw_rates) = (vec![], vec![], vec![]);
            let estimate = loop {
                let (s, r) = if ratios.len() % 2 == 0 {
                    let s = rate(n, round, sdk_call).await;
                    (s, rate(n, round, raw_call).await)
                } else {
                    let r = rate(n, round, raw_call).await;
                    (rate(n, round, sdk_call).await, r)
                };
                sdk_rates.push(s);
                raw_rates.push(r);
                ratios.push(s / r);
                let estimate = Estimate::of(&ratios);
                let done = estimate.is_some_and(|e| e.relative() <= target);
                if (done && ratios.len() >= min_pairs) || ratios.len() >= max_pairs {
                    break estimate.expect("two pairs or more");
                }
            };
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64 / 1000.0;
            println!(
                "{n:>5} callers: ratio {estimate}{}; otp-client {:.1} k/s, raw reqwest {:.1} k/s",
                if estimate.relative() <= target {
                    ""
                } else {
                    " (wider than the target)"
                },
                mean(&sdk_rates),
                mean(&raw_rates),
            );
        }
    });
}
