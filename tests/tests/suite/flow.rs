//! The verification flow cannot be misused, on both clients: access is granted only on a
//! proof, waits return at once when there is nothing to wait for, a session survives
//! between processes, a wrong code says how many attempts are left, and the events follow
//! the same rules as the errors.

use crate::common;

use std::time::Duration;

use common::recording::{Answer, Received, RecordingServer};
use common::*;
use futures::StreamExt;
use otp_client::{ErrorKind, NextStep, SavedVerification, VerificationEvent};
use otp_sandbox::{
    CODE_WIDGET, CODELESS_WIDGET, DEFAULT_CODE, DEFAULT_TOKEN, Sandbox, SandboxConfig,
};
use serde_json::json;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A sandbox whose long-polls are held far longer than any wait below: a wait that
/// long-polls when it did not need to runs into its deadline.
async fn patient_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        hold: Duration::from_secs(120),
        codeless_confirm_delay: None,
        ..SandboxConfig::fast()
    })
    .await
    .unwrap()
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finish_proves_a_confirmed_session_and_nothing_else() {
    let sb = patient_sandbox().await;
    let url = sb.base_url();
    let client = async_client_as(&url, DEFAULT_TOKEN);
    // Not confirmed yet: an error, not `Ok(success: false)`.
    let session = client
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap();
    session.wait_for_channel_selected(WAIT).await.unwrap();
    let flat = client
        .check_status_and_complete(&session.request_id(), RECIPIENT)
        .await
        .expect("the flat method answers as the service does");
    assert!(!flat.success, "the service's answer, as it is");
    let err = session.finish().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotVerified), "{err:?}");
    assert_eq!(err.next_step(), NextStep::StartOver);
    assert_eq!(err.operation(), Some("checkStatusAndComplete"));
    // Confirmed: the proof, for this session and phone.
    session.check_code(DEFAULT_CODE).await.unwrap();
    let verified = session.finish().await.unwrap();
    assert_eq!(verified.request_id(), session.request_id());
    assert_eq!(verified.recipient(), RECIPIENT);
    assert!(
        !format!("{verified:?}").contains(RECIPIENT),
        "masked: {verified:?}"
    );
    // Finished once: the service answers `false` to a second finish, as the vendor documents.
    let again = client
        .finish(&session.request_id(), RECIPIENT)
        .await
        .unwrap_err();
    assert!(matches!(again.kind(), ErrorKind::NotVerified), "{again:?}");
    // Another phone: not this session's.
    let other = client
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap();
    other.wait_for_channel_selected(WAIT).await.unwrap();
    other.check_code(DEFAULT_CODE).await.unwrap();
    let err = client
        .finish(&other.request_id(), "+70000000000")
        .await
        .unwrap_err();
    assert_eq!(err.next_step(), NextStep::FixRequest, "{err}");

    // The same with the blocking client, statelessly from (request id, phone).
    let id = tokio::task::spawn_blocking(move || {
        let client = blocking_client_as(&url, DEFAULT_TOKEN);
        let session = client.start_verification(CODE_WIDGET, RECIPIENT).unwrap();
        session.wait_for_channel_selected(WAIT).unwrap();
        let early = client.finish(&session.request_id(), RECIPIENT).unwrap_err();
        assert!(matches!(early.kind(), ErrorKind::NotVerified), "{early:?}");
        session.check_code(DEFAULT_CODE).unwrap();
        let verified = client.finish(&session.request_id(), RECIPIENT).unwrap();
        assert_eq!(verified.recipient(), RECIPIENT);
        let again = session.finish().unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::NotVerified), "{again:?}");
        session.request_id()
    })
    .await
    .unwrap();
    assert!(sb.code(id).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_whose_answer_was_lost_says_the_outcome_is_unknown_never_not_verified() {
    // The request arrives (the server reads it all), then the connection breaks.
    let server = RecordingServer::start(|_: &Received| Answer::Reset).await;
    for which in BOTH {
        server.clear();
        let url = server.base_url.clone();
        let err = match which {
            Which::Async => async_client(&url).finish(&id(), RECIPIENT).await,
            Which::Blocking => {
                tokio::task::spawn_blocking(move || blocking_client(&url).finish(&id(), RECIPIENT))
                    .await
                    .unwrap()
            }
        }
        .unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Transport {
                    maybe_sent: true,
                    ..
                }
            ),
            "{which:?}: {err:?}"
        );
        assert_eq!(err.next_step(), NextStep::OutcomeUnknown, "{which:?}");
        assert!(!matches!(err.kind(), ErrorKind::NotVerified));
        assert_eq!(
            server.received().len(),
            1,
            "{which:?}: a finish is never sent twice"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_return_at_once_when_the_state_already_holds() {
    let sb = patient_sandbox().await;
    let client = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
    let session = client
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap();
    session.wait_for_channel_selected(WAIT).await.unwrap();
    // Waiting twice (a page reload, a second tab).
    session
        .wait_for_channel_selected(WAIT)
        .await
        .expect("again, at once");
    // After a get_channel.
    client.get_channel(&session.request_id()).await.unwrap();
    client
        .wait_for_channel_selected(&session.request_id(), WAIT)
        .await
        .expect("after get_channel, at once");
    // On a resumed session, in another client.
    let other = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
    let resumed = other.resume_verification(session.request_id(), RECIPIENT);
    resumed
        .wait_for_channel_selected(WAIT)
        .await
        .expect("resumed, at once");
    // A codeless session already confirmed.
    let codeless = client
        .start_verification(CODELESS_WIDGET, RECIPIENT)
        .await
        .unwrap();
    codeless.wait_for_channel_selected(WAIT).await.unwrap();
    assert!(sb.confirm(codeless.request_id()));
    codeless
        .wait_for_success_status(WAIT)
        .await
        .expect("confirmed, at once");
    codeless
        .wait_for_success_status(WAIT)
        .await
        .expect("twice, at once");

    let url = sb.base_url();
    let (code_id, codeless_id) = (session.request_id(), codeless.request_id());
    tokio::task::spawn_blocking(move || {
        let client = blocking_client_as(&url, DEFAULT_TOKEN);
        client
            .wait_for_channel_selected(&code_id, WAIT)
            .expect("blocking, at once");
        client
            .wait_for_channel_selected(&code_id, WAIT)
            .expect("blocking, twice");
        let resumed = client.resume_verification(codeless_id, RECIPIENT);
        resumed
            .wait_for_success_status(WAIT)
            .expect("blocking, resumed, at once");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_session_resumes_elsewhere_with_its_channel() {
    let sb = patient_sandbox().await;
    let url = sb.base_url();
    let client = async_client_as(&url, DEFAULT_TOKEN);
    let session = client
        .start_verification(CODELESS_WIDGET, RECIPIENT)
        .await
        .unwrap();
    session.wait_for_channel_selected(WAIT).await.unwrap();
    let stored = serde_json::to_string(&session.save()).unwrap();
    assert!(
        stored.contains(&session.request_id().to_string()),
        "{stored}"
    );
    drop((session, client));

    // Another request of the web app, another client: the channel is intact.
    let client = async_client_as(&url, DEFAULT_TOKEN);
    let saved: SavedVerification = serde_json::from_str(&stored).unwrap();
    let session = client.restore_verification(saved.clone());
    assert!(
        session.is_codeless(),
        "the channel came back: {:?}",
        session.channel()
    );
    assert!(sb.confirm(session.request_id()));
    session.wait_for_success_status(WAIT).await.unwrap();
    let verified = session.finish().await.expect("finished after the restore");
    assert_eq!(verified.request_id(), session.request_id());

    // The blocking client restores the same saved form.
    let code = client
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap();
    code.wait_for_channel_selected(WAIT).await.unwrap();
    let stored = serde_json::to_string(&code.save()).unwrap();
    tokio::task::spawn_blocking(move || {
        let client = blocking_client_as(&url, DEFAULT_TOKEN);
        let session = client.restore_verification(serde_json::from_str(&stored).unwrap());
        assert!(!session.is_codeless());
        assert!(session.channel().is_some(), "the channel came back");
        session.check_code(DEFAULT_CODE).unwrap();
        assert_eq!(session.finish().unwrap().recipient(), RECIPIENT);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_says_how_many_attempts_are_left() {
    let sb = patient_sandbox().await;
    let url = sb.base_url();
    let client = async_client_as(&url, DEFAULT_TOKEN);
    let session = client
        .start_verification(CODE_WIDGET, RECIPIENT)
        .await
        .unwrap();
    session.wait_for_channel_selected(WAIT).await.unwrap();
    for left in [2, 1] {
        let err = session.check_code("0000").await.unwrap_err();
        assert_eq!(
            err.next_step(),
            NextStep::AskCodeAgain {
                attempts_left: Some(left)
            },
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!("{left} attempt")),
            "{err}"
        );
    }
    let err = session.check_code("0000").await.unwrap_err();
    assert_eq!(
        err.next_step(),
        NextStep::StartOver,
        "the last attempt: {err}"
    );

    tokio::task::spawn_blocking(move || {
        let client = blocking_client_as(&url, DEFAULT_TOKEN);
        let session = client.start_verification(CODE_WIDGET, RECIPIENT).unwrap();
        session.wait_for_channel_selected(WAIT).unwrap();
        let err = session.check_code("0000").unwrap_err();
        assert_eq!(
            err.next_step(),
            NextStep::AskCodeAgain {
                attempts_left: Some(2)
            }
        );
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn events_wait_through_a_rate_limit_instead_of_ending() {
    let server = MockServer::start().await;
    let limited = ResponseTemplate::new(429)
        .insert_header("retry-after", "1")
        .set_body_json(json!({"type": "RateLimitException", "httpStatus": 429}));
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(limited)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let sent = json!({"type": "sms", "status": "sent", "codeType": "code"});
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&sent))
        .with_priority(2)
        .mount(&server)
        .await;
    let confirmed = json!({"type": "sms", "status": "confirmed", "codeType": "code"});
    Mock::given(path_regex("^/api/n/otp-handler/longPolling/[^/]+/channel$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&confirmed))
        .mount(&server)
        .await;
    // No retries in the client: the stream itself must wait through the 429.
    let settings = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .retry(otp_client::RetryPolicy::none());
    let session = settings
        .clone()
        .build()
        .unwrap()
        .resume_verification(id(), RECIPIENT);
    let events: Vec<_> = session.events().collect().await;
    let names: Vec<_> = events
        .iter()
        .map(|e| match e {
            VerificationEvent::ChannelChanged(_) => "channel".to_string(),
            VerificationEvent::Confirmed => "confirmed".to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["channel", "confirmed"]);

    let blocking = otp_client_blocking::ClientBuilder::from(settings)
        .build()
        .unwrap();
    Mock::given(path_regex("^/api/n/otp-handler/[^/]+/channel$"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({"type": "RateLimitException", "httpStatus": 429})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let count = tokio::task::spawn_blocking(move || {
        blocking
            .resume_verification(id(), RECIPIENT)
            .events()
            .count()
    })
    .await
    .unwrap();
    assert_eq!(count, 2, "channel, then confirmed");
}
