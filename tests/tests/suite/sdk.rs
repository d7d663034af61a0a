//! The hand-written layer on both clients: long-polling helpers, the verification flow,
//! what errors advise, and tracing without personal data.

use crate::common;

use std::time::Duration;

use common::*;
use futures::StreamExt;
use otp_client::{ErrorKind, NextStep, RequestId, SavedVerification, VerificationEvent};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn error_body(spec: &otp_client_codegen::Spec, kind: &str) -> (u16, Value) {
    let body = spec.error_example(kind).expect("the spec has the example");
    (body["httpStatus"].as_u64().unwrap() as u16, body)
}

fn channel(status: &str, code_type: &str) -> Value {
    json!({"type": "sms", "status": status, "codeType": code_type, "label": "SMS"})
}

async fn mount_sequence(server: &MockServer, route: &str, answers: Vec<ResponseTemplate>) {
    // Earlier answers get higher priority and are used once each; the last one repeats.
    let n = answers.len();
    for (i, answer) in answers.into_iter().enumerate() {
        let mock = Mock::given(path_regex(route))
            .respond_with(answer)
            .with_priority((i + 1) as u8);
        let mock = if i + 1 < n {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(server).await;
    }
}

fn timeout_408() -> ResponseTemplate {
    let (status, body) = error_body(&spec(), "LongPollingTimeoutException");
    ResponseTemplate::new(status).set_body_json(body)
}

#[tokio::test]
async fn a_long_poll_answered_408_twice_then_200_returns_the_channel_on_the_third_request() {
    for which in BOTH {
        let server = MockServer::start().await;
        mount_sequence(
            &server,
            "^/api/n/otp-handler/longPolling/.*/channel$",
            vec![
                timeout_408(),
                timeout_408(),
                ResponseTemplate::new(200).set_body_json(channel("sent", "code")),
            ],
        )
        .await;
        // The look before the long-polls: the channel is still being chosen.
        Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(channel("wait", "code")))
            .mount(&server)
            .await;
        let url = base_url(&server);
        let result = match which {
            Which::Async => {
                async_client(&url)
                    .wait_for_channel_selected(&id(), Duration::from_secs(20))
                    .await
            }
            Which::Blocking => tokio::task::spawn_blocking(move || {
                blocking_client(&url).wait_for_channel_selected(&id(), Duration::from_secs(20))
            })
            .await
            .unwrap(),
        };
        let channel = result.unwrap_or_else(|e| panic!("{which:?}: {e}"));
        assert_eq!(channel.status, Some(otp_client::types::ChannelStatus::Sent));
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1 + 3,
            "{which:?}: one look, three long-polls"
        );
    }
}

#[tokio::test]
async fn a_long_poll_that_keeps_answering_408_stops_at_the_deadline_without_spinning() {
    for which in BOTH {
        let server = MockServer::start().await;
        mount_sequence(
            &server,
            "^/api/n/otp-handler/longPolling/",
            vec![timeout_408()],
        )
        .await;
        Mock::given(path_regex("^/api/n/otp-handler/[^/]+/status$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false})))
            .mount(&server)
            .await;
        let url = base_url(&server);
        let deadline = Duration::from_millis(1500);
        let result = match which {
            Which::Async => {
                async_client(&url)
                    .wait_for_success_status(&id(), RECIPIENT, deadline)
                    .await
            }
            Which::Blocking => tokio::task::spawn_blocking(move || {
                blocking_client(&url).wait_for_success_status(&id(), RECIPIENT, deadline)
            })
            .await
            .unwrap(),
        };
        let err = result.expect_err("the deadline passes");
        match err.kind() {
            ErrorKind::DeadlineExceeded { waited } => {
                assert!(*waited >= deadline, "{which:?}: {waited:?}")
            }
            other => panic!("{which:?}: expected DeadlineExceeded, got {other:?}"),
        }
        assert_eq!(err.next_step(), NextStep::PollAgain);
        // Instant 408s are paced (200, 400, 800 ms pauses): a handful of requests, not thousands.
        let asked = server.received_requests().await.unwrap().len();
        assert!(
            (3..=7).contains(&asked),
            "{which:?}: {asked} requests in 1.5 s"
        );
    }
}

#[tokio::test]
async fn dropping_a_wait_stops_its_requests() {
    let server = MockServer::start().await;
    mount_sequence(
        &server,
        "^/api/n/otp-handler/longPolling/",
        vec![timeout_408()],
    )
    .await;
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(channel("wait", "code")))
        .mount(&server)
        .await;
    let client = async_client(&base_url(&server));
    let session = id();
    let wait = client.wait_for_channel_selected(&session, Duration::from_secs(60));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), wait)
            .await
            .is_err()
    );
    let asked = server.received_requests().await.unwrap().len();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        asked,
        "no request after the drop"
    );
}

async fn mount_happy_flow(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/n/otp-handler/"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"requestId": REQUEST_ID})))
        .mount(server)
        .await;
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(channel("wait", "code")))
        .mount(server)
        .await;
    mount_sequence(
        server,
        "^/api/n/otp-handler/longPolling/.*/channel$",
        vec![
            timeout_408(),
            ResponseTemplate::new(200).set_body_json(channel("wait", "code")),
            ResponseTemplate::new(200).set_body_json(channel("sent", "code")),
            ResponseTemplate::new(200).set_body_json(channel("confirmed", "code")),
        ],
    )
    .await;
    Mock::given(path_regex("/checkCode$"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"success": true})))
        .mount(server)
        .await;
    Mock::given(path_regex("/checkStatusAndComplete$"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"success": true})))
        .mount(server)
        .await;
}

fn names(events: &[VerificationEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            VerificationEvent::ChannelChanged(c) => {
                format!("channel:{}", c.status.as_ref().unwrap())
            }
            VerificationEvent::ResendNeeded => "resend".into(),
            VerificationEvent::Confirmed => "confirmed".into(),
            VerificationEvent::Error(e) => format!("error:{e}"),
            _ => "other".into(),
        })
        .collect()
}

#[tokio::test]
async fn the_flow_runs_send_wait_check_and_complete_with_events() {
    let widget = WIDGET_ID.parse().unwrap();
    let expected = vec!["channel:wait", "channel:sent", "confirmed"];
    // Async.
    let server = MockServer::start().await;
    mount_happy_flow(&server).await;
    let client = async_client(&base_url(&server));
    let session = client.start_verification(widget, RECIPIENT).await.unwrap();
    assert_eq!(session.request_id(), id());
    let events: Vec<_> = session.events().collect().await;
    assert_eq!(names(&events), expected);
    session.check_code(CODE).await.unwrap();
    let verified = session.finish().await.unwrap();
    assert_eq!(
        (verified.request_id(), verified.recipient()),
        (id(), RECIPIENT)
    );
    assert!(
        !format!("{session:?}").contains(RECIPIENT),
        "the phone is masked in Debug"
    );
    // Blocking.
    let server = MockServer::start().await;
    mount_happy_flow(&server).await;
    let url = base_url(&server);
    let events = tokio::task::spawn_blocking(move || {
        let client = blocking_client(&url);
        let session = client.start_verification(widget, RECIPIENT).unwrap();
        let events: Vec<_> = session.events().collect();
        session.check_code(CODE).unwrap();
        let _verified = session.finish().unwrap();
        events
    })
    .await
    .unwrap();
    assert_eq!(names(&events), expected);
}

#[tokio::test]
async fn the_flow_follows_the_vendor_rules_on_channel_change_and_resend() {
    let spec = spec();
    let server = MockServer::start().await;
    let (status, changed) = error_body(&spec, "ChannelChangedException");
    let (_, resend) = error_body(&spec, "ResendChannelException");
    Mock::given(path_regex("/checkCode$"))
        .respond_with(ResponseTemplate::new(status).set_body_json(&changed))
        .mount(&server)
        .await;
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(channel("sent", "codeless")))
        .mount(&server)
        .await;
    let client = async_client(&base_url(&server));
    let session = client.resume_verification(id(), RECIPIENT);
    // ChannelChangedException: the error comes back, and the channel was fetched again.
    let err = session.check_code(CODE).await.unwrap_err();
    assert_eq!(err.next_step(), NextStep::RefetchChannel, "{err}");
    assert!(
        session.is_codeless(),
        "the channel was refetched: {:?}",
        session.channel()
    );

    // Events of a session last seen on an SMS channel: the current state first (unchanged),
    // then resend needed, then the codeless channel, then its confirmation.
    let server = MockServer::start().await;
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(channel("sent", "code")))
        .mount(&server)
        .await;
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/status$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false})))
        .mount(&server)
        .await;
    mount_sequence(
        &server,
        "^/api/n/otp-handler/longPolling/.*/channel$",
        vec![
            ResponseTemplate::new(400).set_body_json(&resend),
            ResponseTemplate::new(200).set_body_json(channel("sent", "codeless")),
        ],
    )
    .await;
    mount_sequence(
        &server,
        "^/api/n/otp-handler/longPolling/.*/status$",
        vec![
            timeout_408(),
            ResponseTemplate::new(200).set_body_json(json!({"success": true})),
        ],
    )
    .await;
    let client = async_client(&base_url(&server));
    let fresh = client.restore_verification(SavedVerification {
        channel: Some(serde_json::from_value(channel("sent", "code")).unwrap()),
        ..session.save()
    });
    let events: Vec<_> = fresh.events().collect().await;
    assert_eq!(names(&events), vec!["resend", "channel:sent", "confirmed"]);
}

#[test]
fn each_call_has_a_span_with_operation_request_id_status_and_latency_and_no_personal_data() {
    const TRACED_ID: &str = "00000000-0000-4000-8000-5ba75ba75ba7";
    let traced: RequestId = TRACED_ID.parse().unwrap();
    let captured = Captured::global();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(path_regex("/status$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
            .mount(&server)
            .await;
        Mock::given(path_regex("/checkCode$"))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(error_body(&spec(), "InvalidCodeException").1),
            )
            .mount(&server)
            .await;
        server
    });
    let url = base_url(&server);
    {
        runtime.block_on(async {
            let client = async_client(&url);
            client.get_status(&traced, RECIPIENT).await.unwrap();
            let session = client.resume_verification(traced, RECIPIENT);
            // Eight digits: no timestamp of the log (microseconds: six) can hold them by chance.
            let err = session.check_code("98765432").await.unwrap_err();
            assert!(
                matches!(err.next_step(), NextStep::AskCodeAgain { .. }),
                "{err}"
            );
        });
        let blocking = blocking_client(&url);
        blocking.get_status(&traced, RECIPIENT).unwrap();
    }
    // All this binary's logs: none may hold personal data; this test's lines are its own.
    let all = captured.text();
    let logs = captured.lines_with(TRACED_ID).join("\n");
    assert!(
        !all.contains(RECIPIENT) && !all.contains(TOKEN) && !all.contains("98765432"),
        "{all}"
    );
    assert!(logs.contains("otp.operation=\"getStatus\""), "{logs}");
    assert!(logs.contains("otp.operation=\"checkCode\""), "{logs}");
    assert!(
        logs.contains(&format!("otp.request_id={TRACED_ID}")),
        "{logs}"
    );
    assert!(
        logs.contains("http.status=200") && logs.contains("http.status=400"),
        "{logs}"
    );
    assert!(logs.contains("latency_ms="), "{logs}");
    assert!(
        logs.contains("+7999***4563"),
        "the phone appears masked: {logs}"
    );
    assert!(
        !logs.contains(RECIPIENT),
        "the phone never appears in clear: {logs}"
    );
    assert!(!logs.contains("98765432"), "the code never appears: {logs}");
    assert!(!logs.contains(TOKEN), "the token never appears: {logs}");
    assert!(
        logs.matches("otp.operation=\"getStatus\"").count() >= 2,
        "both clients trace"
    );
}

#[tokio::test]
async fn waits_and_events_stop_on_a_channel_that_will_not_change() {
    for status in ["error", "closed"] {
        let server = MockServer::start().await;
        Mock::given(path_regex("/channel$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(channel(status, "code")))
            .mount(&server)
            .await;
        let url = base_url(&server);
        let client = async_client(&url);
        let err = client
            .wait_for_channel_selected(&id(), Duration::from_secs(30))
            .await
            .expect_err("nothing to wait for");
        assert!(
            matches!(err.kind(), ErrorKind::ChannelEnded { .. }),
            "{status}: {err:?}"
        );
        assert_eq!(err.next_step(), NextStep::StartOver, "{status}");
        let events: Vec<_> = client
            .resume_verification(id(), RECIPIENT)
            .events()
            .collect()
            .await;
        assert!(
            matches!(&events[..], [VerificationEvent::Error(e)] if matches!(e.kind(), ErrorKind::ChannelEnded { .. })),
            "{status}: {}",
            names(&events).join(", ")
        );
        let err = tokio::task::spawn_blocking(move || {
            blocking_client(&url).wait_for_channel_selected(&id(), Duration::from_secs(30))
        })
        .await
        .unwrap()
        .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ChannelEnded { .. }),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn the_events_of_a_restored_session_start_from_the_current_state() {
    // The session was saved while its channel was `wait`; it has been sent since.
    let server = MockServer::start().await;
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(channel("sent", "code")))
        .mount(&server)
        .await;
    // A long-poll would be held: nothing changes any more.
    mount_sequence(
        &server,
        "^/api/n/otp-handler/longPolling/",
        vec![timeout_408().set_delay(Duration::from_secs(30))],
    )
    .await;
    let client = async_client(&base_url(&server));
    let saved = SavedVerification {
        request_id: id(),
        recipient: RECIPIENT.into(),
        channel: Some(serde_json::from_value(channel("wait", "code")).unwrap()),
    };
    let session = client.restore_verification(saved);
    let mut events = std::pin::pin!(session.events());
    let first = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("at once, not after a long-poll");
    assert_eq!(names(&[first.unwrap()]), ["channel:sent"]);
}

#[tokio::test]
async fn a_wrong_code_with_no_attempt_left_means_starting_over() {
    let server = MockServer::start().await;
    let (status, invalid) = error_body(&spec(), "InvalidCodeException");
    Mock::given(path_regex("/checkCode$"))
        .respond_with(ResponseTemplate::new(status).set_body_json(&invalid))
        .mount(&server)
        .await;
    let mut exhausted = channel("sent", "code");
    exhausted["remainingCodeAttempts"] = json!(0);
    Mock::given(path_regex("/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(exhausted))
        .mount(&server)
        .await;
    let session = async_client(&base_url(&server)).resume_verification(id(), RECIPIENT);
    let err = session.check_code(CODE).await.unwrap_err();
    assert_eq!(err.api().and_then(|a| a.attempts_left), Some(0));
    assert_eq!(err.next_step(), NextStep::StartOver, "{err}");
}
