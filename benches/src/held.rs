//! A service that holds every `getChannelLongPolling` until it is told to answer them all,
//! and notes when it wrote each answer: the upstream of the long-poll benchmark.
//!
//! `GET /api/n/otp-handler/longPolling/{id}/channel` waits; `GET /bench/held` counts the
//! polls waiting; `POST /bench/release` answers them all; `GET /bench/written` maps each
//! id to the moment (Unix nanoseconds) its answer was handed to the server to write.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::watch;

use crate::CHANNEL_BODY;

/// Nanoseconds since the Unix epoch: one clock for every process on the machine.
pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}

struct Held {
    waiting: AtomicUsize,
    release: watch::Sender<bool>,
    written: Mutex<HashMap<String, u128>>,
}

/// The holding service.
pub fn service() -> Router {
    let held = Arc::new(Held {
        waiting: AtomicUsize::new(0),
        release: watch::channel(false).0,
        written: Mutex::default(),
    });
    Router::new()
        .route(
            "/api/n/otp-handler/longPolling/{id}/channel",
            get(
                |State(held): State<Arc<Held>>, Path(id): Path<String>| async move {
                    let mut released = held.release.subscribe();
                    held.waiting.fetch_add(1, Ordering::SeqCst);
                    let _ = released.wait_for(|r| *r).await;
                    held.written.lock().unwrap().insert(id, unix_nanos());
                    ([(CONTENT_TYPE, "application/json")], CHANNEL_BODY)
                },
            ),
        )
        .route(
            "/bench/held",
            get(|State(held): State<Arc<Held>>| async move {
                held.waiting.load(Ordering::SeqCst).to_string()
            }),
        )
        .route(
            "/bench/release",
            post(|State(held): State<Arc<Held>>| async move {
                held.release.send_replace(true);
            }),
        )
        .route(
            "/bench/written",
            get(|State(held): State<Arc<Held>>| async move {
                Json(held.written.lock().unwrap().clone())
            }),
        )
        .with_state(held)
}

/// This process's resident memory, in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `GET /bench/rss`: a proxy's resident memory, for the client process to read.
pub fn with_rss(router: Router) -> Router {
    router.route("/bench/rss", get(|| async { rss_kib().to_string() }))
}

/// Serves `router` on `listener`, in HTTP/1.1 and in HTTP/2 without TLS (prior knowledge),
/// with no limit on concurrent streams: one proxy connection carries 10,000 held polls, as
/// one TLS connection to the service would if the service allowed that many streams (an
/// assumption: a service limiting streams to a few hundred would make the proxy open more
/// connections). axum's `serve` keeps hyper's limit of 200.
pub async fn serve_h1_and_h2c(listener: tokio::net::TcpListener, router: Router) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // As a real server does: each answer goes out when written, not after an ACK.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder.http2().max_concurrent_streams(None);
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
