//! Calls per second with N concurrent callers (`getStatus`), the SDK beside raw reqwest,
//! alternating in one process so that both see the same machine: `throughput 64 10` runs
//! ten pairs of (SDK, raw), `ROUND_SECONDS` (default 1) each, and prints each pair's ratio
//! and the run's: the sum of the SDK's per-round rates over the sum of raw reqwest's.
//! Short pairs, many of them: a shared machine's load changes by the second, and both sides
//! see it.

use std::time::{Duration, Instant};

use futures::StreamExt;
use otp_benches::*;

async fn rate<F, Fut>(concurrency: usize, seconds: f64, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut done = 0u64;
    let mut inflight = futures::stream::FuturesUnordered::new();
    for _ in 0..concurrency {
        inflight.push(call());
    }
    while let Some(ok) = inflight.next().await {
        assert!(ok);
        done += 1;
        if Instant::now() < end {
            inflight.push(call());
        }
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let pairs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: f64 = std::env::var("ROUND_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let addr = serve_in_background(responder());
    let base = base_url(addr);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (sdk, raw) = (sdk_client(addr), raw_client());
        // Warm both pools.
        rate(concurrency, 0.5, || async { sdk.get_status(&ID, RECIPIENT).await.unwrap().success }).await;
        rate(concurrency, 0.5, || async { raw_get_status(&raw, &base).await.success }).await;
        let (mut sdk_total, mut raw_total) = (0.0, 0.0);
        let mut ratios = Vec::with_capacity(pairs);
        for _ in 0..pairs {
            let s = rate(concurrency, seconds, || async {
                sdk.get_status(&ID, RECIPIENT).await.unwrap().success
            })
            .await;
            let r = rate(concurrency, seconds, || async { raw_get_status(&raw, &base).await.success }).await;
            sdk_total += s;
            raw_total += r;
            ratios.push(format!("{:.2}", s / r));
        }
        println!(
            "{concurrency} callers, {pairs} pairs of {seconds} s: otp-client {:.1} k/s, raw reqwest {:.1} k/s, ratio {:.3} (pairs: {})",
            sdk_total / pairs as f64 / 1000.0,
            raw_total / pairs as f64 / 1000.0,
            sdk_total / raw_total,
            ratios.join(" ")
        );
    });
}
