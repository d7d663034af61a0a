//! The clients' cost beside raw reqwest, measured side by side in one run: one call
//! (async and blocking), 64 and 256 concurrent callers, decoding, and the sandbox beside a bare
//! responder. `cargo bench -p otp-benches --bench calls`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use otp_benches::*;
use otp_client::types::{
    ErrorResponse, OtpHandlerCheckCodeRequestDto, OtpHandlerGetChannelResponseDto,
    OtpHandlerGetStatusResponseDto,
};

fn single_calls(c: &mut Criterion) {
    let addr = serve_in_background(responder());
    let base = base_url(addr);
    let rt = common::runtime();
    let (sdk, raw) = (sdk_client(addr), raw_client());
    let body = OtpHandlerCheckCodeRequestDto::new("1234");

    let mut group = c.benchmark_group("getStatus (async)");
    group.bench_function("otp-client", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(sdk.get_status(&ID, RECIPIENT).await.unwrap().success) })
    });
    group.bench_function("raw reqwest", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(raw_get_status(&raw, &base).await.success) })
    });
    group.finish();

    let mut group = c.benchmark_group("checkCode (async)");
    group.bench_function("otp-client", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(sdk.check_code(&ID, &body).await.unwrap().success) })
    });
    group.bench_function("raw reqwest", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(raw_check_code(&raw, &base).await.success) })
    });
    group.finish();

    let (sdk, raw) = (sdk_blocking_client(addr), raw_blocking_client());
    let mut group = c.benchmark_group("getStatus (blocking)");
    group.bench_function("otp-client-blocking", |b| {
        b.iter(|| assert!(sdk.get_status(&ID, RECIPIENT).unwrap().success))
    });
    group.bench_function("reqwest::blocking", |b| {
        b.iter(|| assert!(raw_blocking_get_status(&raw, &base).success))
    });
    group.finish();

    let mut group = c.benchmark_group("checkCode (blocking)");
    group.bench_function("otp-client-blocking", |b| {
        b.iter(|| assert!(sdk.check_code(&ID, &body).unwrap().success))
    });
    group.bench_function("reqwest::blocking", |b| {
        b.iter(|| assert!(raw_blocking_check_code(&raw, &base).success))
    });
    group.finish();
}

const CONCURRENCY: usize = 64;

/// 64 and 256 concurrent callers, each group the SDK beside raw reqwest.
fn concurrent_calls(c: &mut Criterion) {
    let addr = serve_in_background(responder());
    let base = base_url(addr);
    let rt = common::runtime();
    let (sdk, raw) = (sdk_client(addr), raw_client());
    for callers in [CONCURRENCY, 256] {
        let mut group = c.benchmark_group(format!("{callers} concurrent getStatus"));
        group.throughput(Throughput::Elements(callers as u64));
        group.bench_function("otp-client", |b| {
            b.to_async(&rt).iter(|| async {
                let calls = (0..callers).map(|_| sdk.get_status(&ID, RECIPIENT));
                for r in futures::future::join_all(calls).await {
                    assert!(r.unwrap().success);
                }
            })
        });
        group.bench_function("raw reqwest", |b| {
            b.to_async(&rt).iter(|| async {
                let calls = (0..callers).map(|_| raw_get_status(&raw, &base));
                for r in futures::future::join_all(calls).await {
                    assert!(r.success);
                }
            })
        });
        group.finish();
    }
}

fn decoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.bench_function("channel", |b| {
        b.iter(|| {
            serde_json::from_str::<OtpHandlerGetChannelResponseDto>(std::hint::black_box(
                CHANNEL_BODY,
            ))
            .unwrap()
        })
    });
    group.bench_function("status", |b| {
        b.iter(|| {
            serde_json::from_str::<OtpHandlerGetStatusResponseDto>(std::hint::black_box(
                STATUS_BODY,
            ))
            .unwrap()
        })
    });
    group.bench_function("error", |b| {
        b.iter(|| serde_json::from_str::<ErrorResponse>(std::hint::black_box(ERROR_BODY)).unwrap())
    });
    group.finish();
}

/// The sandbox's getStatus rate beside the bare responder's, at 64 concurrent callers.
fn sandbox(c: &mut Criterion) {
    let (sandbox_url, request_id) = in_background(|| async {
        let sandbox = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig::default())
            .await
            .unwrap();
        let client = otp_client::Client::builder(otp_sandbox::DEFAULT_TOKEN)
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        let session = client
            .start_verification(otp_sandbox::CODE_WIDGET, RECIPIENT)
            .await
            .unwrap();
        let found = (sandbox.base_url(), session.request_id().to_string());
        // The sandbox serves for as long as the runtime lives.
        tokio::spawn(async move {
            let _sandbox = sandbox;
            std::future::pending::<()>().await
        });
        found
    });
    let bare = base_url(serve_in_background(responder()));
    let rt = common::runtime();
    let raw = raw_client();
    let get = |base: String, id: String| {
        let raw = raw.clone();
        async move {
            let response = raw
                .get(format!("{base}/{id}/status"))
                .query(&[("recipient", RECIPIENT)])
                .header(
                    "authorization",
                    format!("Bearer {}", otp_sandbox::DEFAULT_TOKEN),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Status>().await.unwrap()
        }
    };
    let mut group = c.benchmark_group("getStatus at 64 connections");
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    for (name, base, id) in [
        ("sandbox", sandbox_url, request_id),
        ("bare responder", bare, REQUEST_ID.to_string()),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let calls = (0..CONCURRENCY).map(|_| get(base.clone(), id.clone()));
                async move {
                    for r in futures::future::join_all(calls).await {
                        let _ = r.success;
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = single_calls, concurrent_calls, decoding, sandbox
}
criterion_main!(benches);
