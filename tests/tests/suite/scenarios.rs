//! The sandbox as a product for users' tests: each scenario number of its README's table run
//! through the client, the test API (code, confirm, expire, switch, close, injected faults),
//! the blocking use without a runtime, and memory that stays bounded.

use crate::common;

use std::time::Duration;

use common::*;
use otp_client::types::{ChannelType, ExceptionType};
use otp_client::{ErrorKind, NextStep};
use otp_sandbox::{Behaviour, CODE_WIDGET, Fault, SCENARIOS, Sandbox, SandboxConfig};

const WAIT: Duration = Duration::from_secs(20);

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        codeless_confirm_delay: Some(Duration::from_millis(100)),
        channel_lifetime: Duration::from_secs(60),
        ..SandboxConfig::fast()
    })
    .await
    .unwrap()
}

fn client(sandbox: &Sandbox) -> otp_client::Client {
    async_client_as(&sandbox.base_url(), sandbox.token())
}

#[test]
fn the_readme_table_is_the_sandboxs_list() {
    let readme = include_str!("../../../otp-sandbox/README.md");
    for scenario in SCENARIOS {
        let row = format!("| `{}` | {} |", scenario.phone, scenario.summary);
        assert!(readme.contains(&row), "the README lacks the row `{row}`");
    }
    let rows = readme.lines().filter(|l| l.starts_with("| `+7")).count();
    assert_eq!(rows, SCENARIOS.len(), "a README row without a scenario");
}

/// One test per row of the table: what the row says, through the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_number_behaves_as_its_row_says() {
    let sb = sandbox().await;
    let c = client(&sb);
    for scenario in SCENARIOS {
        let ctx = format!("{scenario}");
        match scenario.behaviour {
            Behaviour::Codeless => {
                let s = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap();
                let channel = s.wait_for_channel_selected(WAIT).await.unwrap();
                assert_eq!(channel.type_, Some(ChannelType::SimPush), "{ctx}");
                assert!(s.is_codeless(), "{ctx}");
                s.wait_for_success_status(WAIT)
                    .await
                    .expect("confirmed by the simulated user");
                assert_eq!(s.finish().await.unwrap().recipient(), scenario.phone);
            }
            Behaviour::NoChannel => {
                let err = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap_err();
                assert_eq!(
                    err.exception(),
                    Some(&ExceptionType::NoAvailableChannelsException),
                    "{ctx}"
                );
                assert_eq!(err.next_step(), NextStep::StartOver);
            }
            Behaviour::ExpiredCode => {
                let s = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap();
                let err = s.refresh_channel().await.unwrap_err();
                assert_eq!(err.next_step(), NextStep::Resend, "{ctx}: {err}");
                tokio::time::sleep(Duration::from_millis(250)).await; // the resend cooldown
                s.resend().await.unwrap();
                let channel = s.wait_for_channel_selected(WAIT).await.unwrap();
                assert_eq!(
                    channel.type_,
                    Some(ChannelType::Voice),
                    "{ctx}: the next channel"
                );
                s.check_code(&sb.code(s.request_id()).unwrap())
                    .await
                    .unwrap();
                assert_eq!(s.finish().await.unwrap().recipient(), scenario.phone);
            }
            Behaviour::OneAttempt => {
                let s = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap();
                s.wait_for_channel_selected(WAIT).await.unwrap();
                let err = s.check_code("0000").await.unwrap_err();
                assert_eq!(
                    err.exception(),
                    Some(&ExceptionType::AttemptsExpiredException),
                    "{ctx}"
                );
                assert_eq!(err.next_step(), NextStep::StartOver);
            }
            Behaviour::ChannelChange => {
                let s = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap();
                let first = s.wait_for_channel_selected(WAIT).await.unwrap();
                assert_eq!(first.type_, Some(ChannelType::Sms), "{ctx}");
                // The service moves on once the channel was seen as sent.
                let mut changed = None;
                for _ in 0..100 {
                    match c.get_status(&s.request_id(), scenario.phone).await {
                        Err(e) => {
                            changed = Some(e);
                            break;
                        }
                        Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
                let err = changed.expect("the channel changed");
                assert_eq!(err.next_step(), NextStep::RefetchChannel, "{ctx}: {err}");
                // The flow refetches and carries on with the new channel.
                let err = s.check_code("1234").await.unwrap_err();
                assert_eq!(err.next_step(), NextStep::RefetchChannel, "{ctx}: {err}");
                assert_eq!(
                    s.channel().and_then(|c| c.type_),
                    Some(ChannelType::Voice),
                    "{ctx}"
                );
                s.wait_for_channel_selected(WAIT).await.unwrap();
                s.check_code(&sb.code(s.request_id()).unwrap())
                    .await
                    .unwrap();
                assert_eq!(s.finish().await.unwrap().recipient(), scenario.phone);
            }
            Behaviour::RateLimited => {
                let err = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap_err();
                assert_eq!(
                    err.exception(),
                    Some(&ExceptionType::RateLimitException),
                    "{ctx}"
                );
                assert_eq!(
                    err.next_step(),
                    NextStep::RetryLater {
                        retry_after: Some(Duration::from_secs(60))
                    },
                    "{ctx}"
                );
            }
            Behaviour::Slow => {
                let impatient = otp_client::Client::builder(sb.token())
                    .base_url(sb.base_url())
                    .timeout(Duration::from_millis(200))
                    .retry(otp_client::RetryPolicy::none())
                    .build()
                    .unwrap();
                let err = impatient
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap_err();
                assert!(err.is_timeout(), "{ctx}: {err}");
                // A patient client gets there.
                let s = c
                    .start_verification(CODE_WIDGET, scenario.phone)
                    .await
                    .unwrap();
                s.wait_for_channel_selected(WAIT).await.unwrap();
            }
            other => panic!("{other:?} has no test: add one"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_can_force_what_it_needs() {
    let sb = sandbox().await;
    let c = client(&sb);
    let s = c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    s.wait_for_channel_selected(WAIT).await.unwrap();
    // Expire the channel.
    assert!(sb.expire_channel(s.request_id()));
    let err = s.refresh_channel().await.unwrap_err();
    assert_eq!(err.next_step(), NextStep::Resend);
    // Switch the channel.
    let s = c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    s.wait_for_channel_selected(WAIT).await.unwrap();
    assert!(sb.switch_channel(s.request_id()));
    let err = c.get_status(&s.request_id(), RECIPIENT).await.unwrap_err();
    assert_eq!(
        err.exception(),
        Some(&ExceptionType::ChannelChangedException)
    );
    // Close the session.
    assert!(sb.close(s.request_id()));
    let err = s.refresh_channel().await.unwrap_err();
    assert_eq!(
        err.exception(),
        Some(&ExceptionType::SessionClosedException)
    );
    // No such session.
    let unknown = uuid::Uuid::new_v4();
    assert!(!sb.expire_channel(unknown) && !sb.switch_channel(unknown) && !sb.close(unknown));
    // Faults, one call each, in order.
    let fresh = || {
        otp_client::Client::builder(sb.token())
            .base_url(sb.base_url())
            .retry(otp_client::RetryPolicy::none())
            .build()
            .unwrap()
    };
    sb.inject("send", Fault::Status(503));
    let err = fresh()
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    let s = fresh()
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .expect("the next call is fine");
    sb.inject("getChannel", Fault::Reset);
    let err = s.refresh_channel().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Transport { .. }), "{err:?}");
    let slow = otp_client::Client::builder(sb.token())
        .base_url(sb.base_url())
        .timeout(Duration::from_millis(300))
        .retry(otp_client::RetryPolicy::none())
        .build()
        .unwrap();
    sb.inject("getStatus", Fault::Delay(Duration::from_secs(2)));
    let err = slow
        .get_status(&s.request_id(), RECIPIENT)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn the_blocking_client_uses_the_same_api_without_a_runtime_of_its_own() {
    // No simulated user: only the test's `confirm` confirms the codeless session.
    let sb = Sandbox::spawn(SandboxConfig {
        codeless_confirm_delay: None,
        ..SandboxConfig::fast()
    })
    .unwrap();
    let c = otp_client_blocking::Client::builder(sb.token())
        .base_url(sb.base_url())
        .build()
        .unwrap();
    let s = c.start_verification(CODE_WIDGET, RECIPIENT).unwrap();
    s.wait_for_channel_selected(WAIT).unwrap();
    s.check_code(&sb.code(s.request_id()).unwrap()).unwrap();
    assert_eq!(s.finish().unwrap().recipient(), RECIPIENT);
    let s = c
        .start_verification(CODE_WIDGET, Behaviour::Codeless.phone())
        .unwrap();
    s.wait_for_channel_selected(WAIT).unwrap();
    assert!(sb.confirm(s.request_id()));
    s.wait_for_success_status(WAIT).unwrap();
}

#[tokio::test]
async fn a_sandbox_on_its_own_runtime_starts_and_drops_inside_a_runtime_too() {
    // A `#[tokio::test]` that reaches for `spawn`: no "runtime within a runtime" panic.
    let sb = Sandbox::spawn(SandboxConfig::fast()).expect("spawned inside a runtime");
    let c = client(&sb);
    let s = c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    s.wait_for_channel_selected(WAIT).await.unwrap();
    s.check_code(&sb.code(s.request_id()).unwrap())
        .await
        .unwrap();
    assert_eq!(s.finish().await.unwrap().recipient(), RECIPIENT);
    drop(sb);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_number_of_sessions_is_capped() {
    let sb = Sandbox::start(SandboxConfig {
        max_sessions: 20,
        ..SandboxConfig::fast()
    })
    .await
    .unwrap();
    let c = client(&sb);
    let mut first = None;
    for i in 0..50 {
        let s = c
            .start_verification(CODE_WIDGET, format!("+7999{i:07}"))
            .await
            .unwrap();
        first.get_or_insert(s);
    }
    assert_eq!(sb.started_sessions(), 50);
    assert_eq!(sb.session_count(), 20, "capped: the oldest are forgotten");
    let err = first.unwrap().refresh_channel().await.unwrap_err();
    assert_eq!(
        err.exception(),
        Some(&ExceptionType::SessionNotFoundException)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire() {
    let sb = Sandbox::start(SandboxConfig {
        session_ttl: Duration::from_millis(300),
        ..SandboxConfig::fast()
    })
    .await
    .unwrap();
    let c = client(&sb);
    let s = c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    let mut gone = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if sb.session_count() == 0 {
            gone = true;
            break;
        }
    }
    assert!(gone, "the session was forgotten after its lifetime");
    let err = s.refresh_channel().await.unwrap_err();
    assert_eq!(
        err.exception(),
        Some(&ExceptionType::SessionNotFoundException)
    );
}

#[test]
#[should_panic(expected = "no operation `getchannel`")]
fn a_fault_for_an_operation_that_does_not_exist_is_said_at_once() {
    Sandbox::spawn(SandboxConfig::fast())
        .unwrap()
        .inject("getchannel", Fault::Status(503));
}

#[tokio::test]
async fn the_default_send_limit_is_the_services() {
    let sb = Sandbox::start(SandboxConfig {
        send_limit: SandboxConfig::default().send_limit,
        ..SandboxConfig::fast()
    })
    .await
    .unwrap();
    assert_eq!(
        SandboxConfig::default().send_limit,
        Some((3, Duration::from_secs(60)))
    );
    let c = client(&sb);
    for _ in 0..3 {
        c.start_verification(CODE_WIDGET, RECIPIENT).await.unwrap();
    }
    let err = c
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap_err();
    assert_eq!(err.exception(), Some(&ExceptionType::RateLimitException));
    assert!(
        err.retry_after()
            .is_some_and(|d| d <= Duration::from_secs(60))
    );
    c.start_verification(CODE_WIDGET, "+79990000009")
        .await
        .expect("another number");
}

/// The expired-channel scenario, as an application meets it: the wait that resends gets the
/// next channel without the application handling `ResendChannelException` itself; the plain
/// wait stops at it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_with_resends_gets_past_an_expired_channel_on_both_clients() {
    let sb = sandbox().await;
    let c = client(&sb);
    let phone = Behaviour::ExpiredCode.phone();
    let s = c.start_verification(CODE_WIDGET, phone).await.unwrap();
    let err = s.wait_for_channel_selected(WAIT).await.unwrap_err();
    assert_eq!(
        err.next_step(),
        NextStep::Resend,
        "the plain wait stops: {err}"
    );
    let s = c.start_verification(CODE_WIDGET, phone).await.unwrap();
    let err = s.wait_for_channel_resending(WAIT, 0).await.unwrap_err();
    assert_eq!(
        err.next_step(),
        NextStep::Resend,
        "no resend allowed: {err}"
    );
    let channel = s.wait_for_channel_resending(WAIT, 1).await.unwrap();
    assert_eq!(channel.type_, Some(ChannelType::Voice), "the next channel");
    s.check_code(&sb.code(s.request_id()).unwrap())
        .await
        .unwrap();
    assert_eq!(s.finish().await.unwrap().recipient(), phone);

    let (base, token) = (sb.base_url(), sb.token().to_string());
    let code = move |id: otp_client::RequestId| sb.code(id);
    tokio::task::spawn_blocking(move || {
        let client = otp_client_blocking::Client::builder(token)
            .base_url(base)
            .build()
            .unwrap();
        let s = client.start_verification(CODE_WIDGET, phone).unwrap();
        let channel = s.wait_for_channel_resending(WAIT, 1).unwrap();
        assert_eq!(
            channel.type_,
            Some(ChannelType::Voice),
            "blocking: the next channel"
        );
        s.check_code(&code(s.request_id()).unwrap()).unwrap();
        assert_eq!(s.finish().unwrap().recipient(), phone);
    })
    .await
    .unwrap();
}
