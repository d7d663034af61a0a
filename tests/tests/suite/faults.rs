//! Every operation of both clients against a server that misbehaves: a typed error that
//! says what happened, no panic, back within the configured deadline; retries as the
//! policy says; the token kept from other hosts.

use crate::common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::faulty::{ALL, Fault, FaultyServer};
use common::*;
use otp_client::types::ExceptionType;
use otp_client::{Error, ErrorKind, NextStep, RetryPolicy, TransportFailure};
use serde_json::json;
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TIMEOUT: Duration = Duration::from_millis(1500);

fn check(fault: Fault, success_status: u16, idempotent: bool, err: &Error, ctx: &str) {
    let ok = match (fault, err.kind()) {
        (
            Fault::ResetMidBody,
            ErrorKind::Transport {
                failure,
                maybe_sent: true,
            },
        ) => *failure == TransportFailure::ConnectionReset,
        // A documented status whose body is cut short does not decode; for an operation
        // whose success is 201, a 200 is not documented at all, and says so.
        (Fault::TruncatedJson, ErrorKind::Decode { status, body }) => {
            success_status == 200 && status.as_u16() == 200 && body.contains("tr")
        }
        (Fault::TruncatedJson, ErrorKind::UnexpectedResponse { status, .. }) => {
            success_status != 200 && status.as_u16() == 200
        }
        (
            Fault::Html502,
            ErrorKind::UnexpectedResponse {
                status,
                content_type,
                ..
            },
        ) => status.as_u16() == 502 && content_type.as_deref() == Some("text/html"),
        (
            Fault::WrongContentType,
            ErrorKind::UnexpectedResponse {
                content_type, body, ..
            },
        ) => content_type.as_deref() == Some("text/plain") && body == "OK",
        (Fault::SlowHeaders, _) => err.is_timeout() && err.may_have_been_sent(),
        (Fault::SuccessWithErrorBody, _) => {
            err.exception() == Some(&ExceptionType::ForbiddenException)
        }
        (Fault::ErrorWithSuccessBody, ErrorKind::UnexpectedResponse { status, body, .. }) => {
            status.as_u16() == 404 && body.contains("success")
        }
        (Fault::HugeBody, ErrorKind::BodyTooLarge { limit, .. }) => *limit == 1024 * 1024,
        _ => false,
    };
    assert!(ok, "{ctx}: {err:?}");
    let shown = err.to_string();
    assert!(!shown.is_empty());
    // Each says what happened in its own words, and what to do: a request that may have
    // been sent and must not be repeated blindly is never advised a plain retry.
    let step = err.next_step();
    assert!(
        idempotent || !err.may_have_been_sent() || !matches!(step, NextStep::RetryLater { .. }),
        "{ctx}: {step:?} for {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_both_clients_fails_clearly_on_every_fault() {
    for fault in ALL {
        let mut calls = Vec::new();
        let server = FaultyServer::start(fault).await;
        for which in BOTH {
            for op in operations() {
                let url = server.base_url.clone();
                let id = op.id.clone();
                let ctx = format!("{fault:?} {which:?} {id}");
                let call = async move {
                    let settings = otp_client::Client::builder(TOKEN)
                        .base_url(&url)
                        .timeout(TIMEOUT)
                        .long_poll_timeout(TIMEOUT)
                        .retry(RetryPolicy::none());
                    match which {
                        Which::Async => {
                            call_async(&settings.build().unwrap(), &id, &Args::default()).await
                        }
                        Which::Blocking => tokio::task::spawn_blocking(move || {
                            let client = otp_client_blocking::ClientBuilder::from(settings);
                            call_blocking(&client.build().unwrap(), &id, &Args::default())
                        })
                        .await
                        .expect("no panic"),
                    }
                };
                calls.push(async move {
                    // Back within the deadline (with room for a loaded machine), never hanging.
                    let result = tokio::time::timeout(TIMEOUT * 8, call)
                        .await
                        .unwrap_or_else(|_| panic!("{ctx}: hung"));
                    let success_status = op.success.as_ref().map(|(s, _)| *s).unwrap_or(200);
                    check(
                        fault,
                        success_status,
                        op.http_method == "GET",
                        &result.expect_err("a fault is an error"),
                        &ctx,
                    );
                });
            }
        }
        // The 2 clients × 10 operations of one fault, side by side.
        assert_eq!(calls.len(), 20);
        futures::future::join_all(calls).await;
    }
}

#[tokio::test]
async fn gets_are_retried_on_503_and_honour_retry_after() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let status = client
        .get_status(&Args::default().request_id(), RECIPIENT)
        .await
        .expect("the retry succeeds");
    assert!(status.success);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited as Retry-After asked"
    );
}

#[tokio::test]
async fn posts_are_not_retried_once_the_server_may_have_seen_them() {
    for status in [503, 502] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let client = async_client(&base_url(&server));
        let err = client
            .send(&otp_client::types::OtpHandlerSendRequestDto::new(
                RECIPIENT,
                WIDGET_ID.parse::<uuid::Uuid>().unwrap(),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "one SMS, not two"
        );
        let err = client
            .check_code(
                &Args::default().request_id(),
                &otp_client::types::OtpHandlerCheckCodeRequestDto::new(CODE),
            )
            .await
            .unwrap_err();
        // A 503 says the request was not handled: the same call later. After a 502 it may
        // have been: a code attempt may be spent.
        let expected = match status {
            503 => NextStep::RetryLater { retry_after: None },
            _ => NextStep::OutcomeUnknown,
        };
        assert_eq!(err.next_step(), expected, "HTTP {status}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "one attempt burnt, not two"
        );
    }
}

#[tokio::test]
async fn a_post_is_retried_when_the_connection_could_not_be_opened() {
    // Nothing listens on the port at first; the server comes up before the retry.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server_up = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        let server = MockServer::builder().listener(listener).start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(201).set_body_json(json!({"requestId": REQUEST_ID})),
            )
            .mount(&server)
            .await;
        server
    });
    let policy = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(400),
        ..RetryPolicy::default()
    };
    let client = otp_client::Client::builder(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}/api/n/otp-handler"))
        .retry(policy)
        .build()
        .unwrap();
    let body = otp_client::types::OtpHandlerSendRequestDto::new(
        RECIPIENT,
        WIDGET_ID.parse::<uuid::Uuid>().unwrap(),
    );
    let mut sent = None;
    for _ in 0..5 {
        // Full jitter may pick a short wait; the deadline-bounded policy is tried again.
        match client.send(&body).await {
            Ok(r) => {
                sent = Some(r);
                break;
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Transport {
                            failure: TransportFailure::ConnectionRefused,
                            maybe_sent: false
                        }
                    ),
                    "{e:?}"
                );
                assert_eq!(e.next_step(), NextStep::RetryLater { retry_after: None });
                assert!(e.to_string().contains("did not reach the service"), "{e}");
            }
        }
    }
    assert_eq!(
        sent.expect("sent once the server is up")
            .request_id
            .to_string(),
        REQUEST_ID
    );
    let server = server_up.await.unwrap();
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "delivered exactly once"
    );
}

#[tokio::test]
async fn retries_are_traced_and_can_be_turned_off() {
    let logs = Captured::global();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let off = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    off.get_channel(&Args::default().request_id())
        .await
        .unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let on = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .retry(policy)
        .build()
        .unwrap();
    let traced: otp_client::RequestId = "00000000-0000-4000-8000-7e7e7e7e7e01".parse().unwrap();
    let err = on.get_channel(&traced).await.unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(503),
        "the last answer is returned"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1 + 3);
    let lines = logs.lines_with(&format!("otp.request_id={traced}"));
    let retries: Vec<_> = lines.iter().filter(|l| l.contains("retrying")).collect();
    assert_eq!(
        retries.len(),
        2,
        "each retry is traced in the call's span: {lines:#?}"
    );
    assert!(
        retries
            .iter()
            .all(|l| l.contains("otp.operation=\"getChannel\"") && l.contains("status=503"))
    );
}

#[tokio::test]
async fn the_body_cap_is_configurable() {
    let server = MockServer::start().await;
    let big = json!({"type": "sms", "label": "x".repeat(4096)});
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&big))
        .mount(&server)
        .await;
    let small = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .max_response_body(1024)
        .build()
        .unwrap();
    let id = Args::default().request_id();
    let err = small.get_channel(&id).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::BodyTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    let default = async_client(&base_url(&server));
    default
        .get_channel(&id)
        .await
        .expect("4 KiB is under the default cap");
}

#[tokio::test]
async fn the_faulty_server_sees_the_requests() {
    let server = FaultyServer::start(Fault::Html502).await;
    let _ = async_client(&server.base_url)
        .get_widget(&WIDGET_ID.parse().unwrap())
        .await;
    assert!(server.requests.load(Ordering::SeqCst) >= 1);
}
