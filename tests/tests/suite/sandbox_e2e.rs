//! Both clients against the running sandbox, over real HTTP: the happy paths, every
//! documented error of every operation reached by driving the sandbox into that state,
//! concurrent sessions, and every answer the sandbox gave checked against the spec.

use crate::common;

use std::time::Duration;

use common::drive::*;
use common::*;
use otp_client::types::ExceptionType;
use otp_client::{Error, ErrorKind, NextStep};
use otp_sandbox::{CODE_WIDGET, CODELESS_WIDGET, DEFAULT_TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_happy_paths_on_a_code_and_a_codeless_channel_with_both_clients() {
    let sb = sandbox(config()).await;
    let url = sb.base_url();
    // Async, code channel.
    let c = client(&sb);
    let session = c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    let channel = session
        .wait_for_channel_selected(Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(channel.type_, Some(otp_client::types::ChannelType::Sms));
    let code = sb.code(session.request_id()).unwrap();
    session.check_code(&code).await.unwrap();
    let _verified = session.finish().await.unwrap();
    // Async, codeless channel: the user confirms on the phone.
    let session = c
        .start_verification(CODELESS_WIDGET, RECIPIENT)
        .await
        .unwrap();
    session
        .wait_for_channel_selected(Duration::from_secs(30))
        .await
        .unwrap();
    assert!(session.is_codeless());
    let id = session.request_id().to_string();
    let waiting = tokio::spawn({
        let session = session.clone();
        async move {
            session
                .wait_for_success_status(Duration::from_secs(30))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sb.confirm(&id));
    waiting.await.unwrap().unwrap();
    let _verified = session.finish().await.unwrap();
    // Blocking, both channels; the code comes from the sandbox-only endpoint.
    let code_url = format!("http://{}/sandbox", sb.addr());
    let confirm = |id: String| {
        let code_url = code_url.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{code_url}/{id}/confirm"))
                .send()
                .await
                .unwrap();
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1);
    let blocking = tokio::task::spawn_blocking(move || {
        let c = blocking_client_as(&url, DEFAULT_TOKEN);
        let s = c.start_verification(CODE_WIDGET, RECIPIENT)?;
        s.wait_for_channel_selected(Duration::from_secs(30))?;
        s.check_code(otp_sandbox::DEFAULT_CODE)?;
        let _verified = s.finish()?;
        let s = c.start_verification(CODELESS_WIDGET, RECIPIENT)?;
        s.wait_for_channel_selected(Duration::from_secs(30))?;
        tx.blocking_send(s.request_id().to_string()).unwrap();
        s.wait_for_success_status(Duration::from_secs(30))?;
        s.finish().map(|_| ())
    });
    confirm(rx.recv().await.unwrap()).await;
    blocking.await.unwrap().expect("the blocking flows succeed");
    assert_eq!(sb.session_count(), 4);
    assert_conformant(&spec(), &sb.exchanges());
}

/// Drives a fresh sandbox to `kind` for operation `op`, calls `op` on `which` client, and
/// checks the error; returns the sandbox's exchanges.
async fn reach(
    which: Which,
    op: otp_client_codegen::Operation,
    status: u16,
    kind: String,
) -> Vec<otp_sandbox::Exchange> {
    let spec = spec();
    let sb = sandbox(config_for(&kind)).await;
    let state = drive(&sb, &op.id, &kind).await;
    let err = call_as(which, &sb.base_url(), state.token, &op.id, &state.args)
        .await
        .expect_err("the sandbox answers with the error");
    let ctx = format!("{which:?} {} {status} {kind}", op.id);
    match err.kind() {
        ErrorKind::Api(api) => {
            assert_eq!(api.kind.as_str(), kind, "{ctx}: {err}");
            assert_eq!(api.status.as_u16(), status, "{ctx}");
            let example = spec.error_example(&kind).unwrap();
            assert_eq!(
                api.message,
                example["message"].as_str().unwrap(),
                "{ctx}: the spec's message"
            );
        }
        other => panic!("{ctx}: {other:?}"),
    }
    sb.exchanges()
}

async fn reach_unauthorized(
    which: Which,
    op: otp_client_codegen::Operation,
) -> Vec<otp_sandbox::Exchange> {
    let sb = sandbox(config()).await;
    let args = Args {
        widget_id: CODE_WIDGET.to_string(),
        ..Args::default()
    };
    let err = call_as(which, &sb.base_url(), "wrong-token", &op.id, &args)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unauthorized { .. }),
        "{which:?} {}: {err:?}",
        op.id
    );
    sb.exchanges()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_error_of_every_operation_is_reached_through_the_flow() {
    let spec = spec();
    let mut scenarios = Vec::new();
    let mut unauthorized = Vec::new();
    for which in BOTH {
        for op in spec.operations() {
            for (status, kind) in op.exceptions.clone() {
                if !NOT_REACHABLE.contains(&(op.id.as_str(), kind.as_str())) {
                    scenarios.push(reach(which, op.clone(), status, kind));
                }
            }
            unauthorized.push(reach_unauthorized(which, op));
        }
    }
    assert_eq!(
        scenarios.len(),
        2 * (DOCUMENTED_PAIRS - NOT_REACHABLE.len())
    );
    // Each scenario has a sandbox of its own: they run side by side.
    let mut all: Vec<_> = futures::future::join_all(scenarios)
        .await
        .into_iter()
        .flatten()
        .collect();
    all.extend(
        futures::future::join_all(unauthorized)
            .await
            .into_iter()
            .flatten(),
    );
    assert_conformant(&spec, &all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_sessions_do_not_cross() {
    let sb = sandbox(config()).await;
    let c = client(&sb);
    let flows = (0..40).map(|i| {
        let c = c.clone();
        let phone = format!("+7999{i:07}");
        async move {
            let s = c.start_verification(CODE_WIDGET, phone.clone()).await?;
            s.wait_for_channel_selected(Duration::from_secs(10)).await?;
            if i % 2 == 0 {
                s.check_code(otp_sandbox::DEFAULT_CODE).await?;
            }
            Ok::<_, Error>((s, phone, i % 2 == 0))
        }
    });
    let sessions: Vec<_> = futures::future::try_join_all(flows).await.unwrap();
    assert_eq!(sb.session_count(), 40);
    let ids: std::collections::HashSet<_> = sessions
        .iter()
        .map(|(s, _, _)| s.request_id().to_string())
        .collect();
    assert_eq!(ids.len(), 40, "every session has its own id");
    for (i, (s, phone, confirmed)) in sessions.iter().enumerate() {
        let status = c.get_status(&s.request_id(), phone).await.unwrap();
        assert_eq!(
            status.success, *confirmed,
            "session {i} sees only its own confirmation"
        );
        let (_, other_phone, _) = &sessions[(i + 1) % sessions.len()];
        let err = c
            .get_status(&s.request_id(), other_phone)
            .await
            .unwrap_err();
        assert_eq!(
            err.exception(),
            Some(&ExceptionType::PhoneNumberMismatchException)
        );
        assert_eq!(err.next_step(), NextStep::FixRequest);
        let result = s.finish().await;
        assert_eq!(result.is_ok(), *confirmed, "session {i}: {result:?}");
    }
    assert_conformant(&spec(), &sb.exchanges());
}

#[tokio::test]
async fn the_sandbox_answers_invalid_input_with_validate_error() {
    let sb = sandbox(config()).await;
    let http = reqwest::Client::new();
    let url = sb.base_url();
    let auth = format!("Bearer {DEFAULT_TOKEN}");
    let c = client(&sb);
    let s = c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    let id = s.request_id();
    let cases = [
        ("send", http.post(format!("{url}/")).body("not json")),
        (
            "send",
            http.post(format!("{url}/"))
                .json(&serde_json::json!({"widgetId": CODE_WIDGET, "recipient": ""})),
        ),
        (
            "send",
            http.post(format!("{url}/"))
                .json(&serde_json::json!({"recipient": RECIPIENT})),
        ),
        ("getStatus", http.get(format!("{url}/{id}/status"))),
        (
            "getStatus",
            http.get(format!("{url}/{id}/status?recipient=")),
        ),
        (
            "getStatusLongPolling",
            http.get(format!("{url}/longPolling/{id}/status")),
        ),
        (
            "checkStatusAndComplete",
            http.post(format!("{url}/{id}/checkStatusAndComplete")),
        ),
        (
            "checkCode",
            http.post(format!("{url}/{id}/checkCode")).body("{"),
        ),
        (
            "checkCode",
            http.post(format!("{url}/{id}/checkCode"))
                .json(&serde_json::json!({"code": ""})),
        ),
    ];
    for (op, request) in cases {
        let response = request.header("authorization", &auth).send().await.unwrap();
        assert_eq!(response.status(), 400, "{op}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["type"], "ValidateError", "{op}: {body}");
        assert_eq!(body["httpStatus"], 400);
    }
    assert_conformant(&spec(), &sb.exchanges());
}
