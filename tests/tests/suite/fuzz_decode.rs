//! Fuzzing of response decoding: every operation of the async client (the blocking one
//! decodes through it) against arbitrary statuses, content types and bodies, and every
//! response type against arbitrary bytes and JSON: an error or a value, never a panic.
//!
//! The seed corpus is `tests/fuzz-corpus/`; `PROPTEST_CASES` bounds the random part
//! (256 by default).

use crate::common;

use std::path::Path;

use common::*;
use otp_client::types::{
    ErrorResponse, OtpHandlerGetChannelResponseDto, OtpHandlerGetStatusResponseDto,
    OtpHandlerGetWidgetResponseDto, OtpHandlerSendResponseDto,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-corpus");
    let mut seeds: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 10, "the seed corpus is there");
    seeds
}

fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_string()),
        Just("status".to_string()),
        Just("codeType".to_string()),
        Just("success".to_string()),
        Just("requestId".to_string()),
        Just("message".to_string()),
        Just("httpStatus".to_string()),
        Just("settings".to_string()),
        Just("payload".to_string()),
        Just("remainingCodeAttempts".to_string()),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
        Just(Value::from("sms")),
        Just(Value::from("ForbiddenException")),
        Just(Value::from("d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6")),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        prop::collection::vec(any::<u8>(), 0..512),
        (
            prop::sample::select(corpus()),
            prop::collection::vec(any::<(usize, u8)>(), 0..4)
        )
            .prop_map(|(mut seed, flips)| {
                for (at, byte) in flips {
                    if !seed.is_empty() {
                        let i = at % seed.len();
                        seed[i] = byte;
                    }
                }
                seed
            }),
    ]
}

fn decode_everything(bytes: &[u8]) {
    let _ = serde_json::from_slice::<OtpHandlerGetChannelResponseDto>(bytes);
    let _ = serde_json::from_slice::<OtpHandlerGetStatusResponseDto>(bytes);
    let _ = serde_json::from_slice::<OtpHandlerGetWidgetResponseDto>(bytes);
    let _ = serde_json::from_slice::<OtpHandlerSendResponseDto>(bytes);
    let _ = serde_json::from_slice::<ErrorResponse>(bytes);
}

const STATUSES: [u16; 12] = [200, 201, 204, 302, 400, 401, 403, 404, 408, 409, 500, 502];
const CONTENT_TYPES: [&str; 4] = [
    "application/json",
    "application/problem+json",
    "text/html",
    "application/octet-stream",
];

#[test]
fn no_response_makes_any_operation_panic() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    let client = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .retry(otp_client::RetryPolicy::none())
        .build()
        .unwrap();
    let ops: Vec<String> = operations().into_iter().map(|o| o.id).collect();
    let serve = |status: u16, content_type: &str, body: &[u8], op: &str| {
        runtime.block_on(async {
            server.reset().await;
            Mock::given(any_request())
                .respond_with(
                    ResponseTemplate::new(status).set_body_raw(body.to_vec(), content_type),
                )
                .mount(&server)
                .await;
            // A value or an error; a panic fails the test.
            let _ = call_async(&client, op, &Args::default()).await;
        })
    };
    // The seed corpus, exhaustively: every seed, status and operation.
    let seeds = corpus();
    for seed in &seeds {
        decode_everything(seed);
        for status in STATUSES {
            for op in &ops {
                serve(status, "application/json", seed, op);
            }
        }
    }
    // Then random bodies, statuses, content types and operations.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::sample::select(STATUSES.to_vec()),
        prop::sample::select(CONTENT_TYPES.to_vec()),
        body(),
        prop::sample::select(ops.clone()),
    );
    runner
        .run(&strategy, |(status, content_type, body, op)| {
            decode_everything(&body);
            serve(status, content_type, &body, &op);
            Ok(())
        })
        .unwrap();
}
