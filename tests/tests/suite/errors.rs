//! Every documented error of every operation, on both clients: the spec's own example
//! body decodes to the error's kind, message and status.

use crate::common;

use common::*;
use otp_client::types::ExceptionType;
use otp_client::{ErrorKind, NextStep};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn every_documented_error_of_every_operation_maps_to_its_kind() {
    let spec = spec();
    let mut checked = 0;
    for which in BOTH {
        for op in spec.operations() {
            assert!(!op.exceptions.is_empty() || op.id == "complete" || op.id == "getWidget");
            for (status, exception) in &op.exceptions {
                let body = spec.error_example(exception).expect("the example exists");
                let server = MockServer::start().await;
                Mock::given(any())
                    .respond_with(ResponseTemplate::new(*status).set_body_json(&body))
                    .mount(&server)
                    .await;
                let err = call(which, &base_url(&server), &op.id, &Args::default())
                    .await
                    .expect_err("an error status is an error");
                let ctx = format!("{which:?} {} {status} {exception}", op.id);
                match err.kind() {
                    ErrorKind::Api(api) => {
                        assert_eq!(api.kind, ExceptionType::from(exception.as_str()), "{ctx}");
                        assert!(api.kind.is_known(), "{ctx}: a type the client knows");
                        assert_eq!(api.message, body["message"].as_str().unwrap(), "{ctx}");
                        assert_eq!(api.status.as_u16(), *status, "{ctx}");
                    }
                    other => panic!("{ctx}: expected ErrorKind::Api, got {other:?}"),
                }
                assert_eq!(err.status().map(|s| s.as_u16()), Some(*status), "{ctx}");
                assert_eq!(
                    err.operation(),
                    Some(op.id.as_str()),
                    "{ctx}: names its operation"
                );
                // Display: the operation, the type, its English text and the vendor's words.
                let shown = err.to_string();
                let english = api_summary(&err);
                for part in [
                    op.id.as_str(),
                    exception.as_str(),
                    english,
                    body["message"].as_str().unwrap(),
                ] {
                    assert!(
                        shown.contains(part),
                        "{ctx}: `{part}` missing from `{shown}`"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(
        documented_pairs(),
        DOCUMENTED_PAIRS,
        "the spec's documented (operation, exception) pairs"
    );
    assert_eq!(
        checked,
        2 * documented_pairs(),
        "every documented (operation, exception) pair, on two clients"
    );
}

#[tokio::test]
async fn every_operation_maps_401_to_unauthorized_with_or_without_a_body() {
    for which in BOTH {
        for op in operations() {
            assert!(op.statuses.contains(&401), "{}: 401 is documented", op.id);
            for body in [
                None,
                Some(serde_json::json!({"message": "Unauthorized", "statusCode": 401})),
            ] {
                let server = MockServer::start().await;
                let mut response = ResponseTemplate::new(401);
                if let Some(body) = &body {
                    response = response.set_body_json(body);
                }
                Mock::given(any())
                    .respond_with(response)
                    .mount(&server)
                    .await;
                let err = call(which, &base_url(&server), &op.id, &Args::default())
                    .await
                    .unwrap_err();
                let ctx = format!("{which:?} {} body={body:?}", op.id);
                match err.kind() {
                    ErrorKind::Unauthorized { message } => {
                        assert_eq!(message.is_some(), body.is_some(), "{ctx}")
                    }
                    other => panic!("{ctx}: expected Unauthorized, got {other:?}"),
                }
                assert_eq!(err.next_step(), NextStep::FixConfiguration, "{ctx}");
            }
        }
    }
}

#[tokio::test]
async fn an_unknown_exception_type_keeps_its_text() {
    let body =
        serde_json::json!({"type": "BrandNewException", "message": "Новое", "httpStatus": 400});
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_json(&body))
        .mount(&server)
        .await;
    for which in BOTH {
        let err = call(which, &base_url(&server), "checkCode", &Args::default())
            .await
            .unwrap_err();
        match err.exception() {
            Some(ExceptionType::Unknown(kind)) => assert_eq!(kind, "BrandNewException"),
            other => panic!("{which:?}: expected Unknown, got {other:?}"),
        }
        assert!(err.to_string().contains("Новое"), "{which:?}: {err}");
        assert_eq!(
            err.next_step(),
            NextStep::StartOver,
            "an unknown error ends the session, as the vendor says"
        );
    }
}

fn api_summary(err: &otp_client::Error) -> &'static str {
    err.api()
        .and_then(|api| api.summary())
        .expect("every documented exception type has an English text")
}

/// The step the vendor's rules give each documented exception type, pinned here so that a
/// change to the table is a change to this test.
fn pinned_step(kind: &str) -> NextStep {
    match kind {
        "LongPollingTimeoutException" => NextStep::PollAgain,
        "ChannelChangedException" => NextStep::RefetchChannel,
        "ResendChannelException" => NextStep::Resend,
        "InvalidCodeException" => NextStep::AskCodeAgain {
            attempts_left: None,
        },
        "IsCodelessChannelException" => NextStep::AwaitConfirmation,
        "RestartCooldownActiveException" => NextStep::WaitCooldown { retry_after: None },
        "SessionAlreadyConfirmedException" => NextStep::Finish,
        "AttemptsExpiredException"
        | "NoAvailableChannelsException"
        | "SessionClosedException"
        | "SessionNotFoundException" => NextStep::StartOver,
        "ForbiddenException" | "WidgetNotFoundException" | "WidgetIsBlockedException" => {
            NextStep::FixConfiguration
        }
        "PhoneNumberMismatchException" | "ValidateError" => NextStep::FixRequest,
        "RateLimitException" => NextStep::RetryLater { retry_after: None },
        other => panic!("{other} has no pinned step: add it here and to the table"),
    }
}

#[tokio::test]
async fn every_documented_error_of_every_operation_has_its_next_step() {
    let spec = spec();
    let mut pinned = 0;
    for which in BOTH {
        for op in spec.operations() {
            for (status, exception) in &op.exceptions {
                let body = spec.error_example(exception).unwrap();
                let server = MockServer::start().await;
                Mock::given(any())
                    .respond_with(ResponseTemplate::new(*status).set_body_json(&body))
                    .mount(&server)
                    .await;
                let err = call(which, &base_url(&server), &op.id, &Args::default())
                    .await
                    .unwrap_err();
                assert_eq!(
                    err.next_step(),
                    pinned_step(exception),
                    "{which:?} {} {exception}",
                    op.id
                );
                pinned += 1;
            }
        }
    }
    assert_eq!(pinned, 2 * DOCUMENTED_PAIRS);
}

#[tokio::test]
async fn rate_limits_server_errors_and_unknown_types_have_their_next_step_too() {
    use serde_json::json;
    let cases = [
        // A rate limit: wait as long as the service says, never start over (another SMS).
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(json!({"type": "RateLimitException", "httpStatus": 429})),
            NextStep::RetryLater {
                retry_after: Some(std::time::Duration::from_secs(7)),
            },
        ),
        (
            ResponseTemplate::new(429)
                .set_body_json(json!({"type": "Throttled", "httpStatus": 429})),
            NextStep::RetryLater { retry_after: None },
        ),
        (
            ResponseTemplate::new(500)
                .set_body_json(json!({"type": "InternalServerErrorException", "httpStatus": 500})),
            NextStep::RetryLater { retry_after: None },
        ),
        (
            ResponseTemplate::new(503)
                .set_body_json(json!({"type": "Overloaded", "httpStatus": 503})),
            NextStep::RetryLater { retry_after: None },
        ),
        (ResponseTemplate::new(401), NextStep::FixConfiguration),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"type": "ValidateError", "message": "bad", "httpStatus": 400}),
            ),
            NextStep::FixRequest,
        ),
        (
            ResponseTemplate::new(409)
                .set_body_json(json!({"type": "SomethingNew", "httpStatus": 409})),
            NextStep::StartOver,
        ),
        // A 404 without an error body: the base URL is wrong, not the session.
        (ResponseTemplate::new(404), NextStep::FixConfiguration),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(response)
            .mount(&server)
            .await;
        for which in BOTH {
            let client_settings = otp_client::Client::builder(TOKEN)
                .base_url(base_url(&server))
                .retry(otp_client::RetryPolicy::none());
            let err = match which {
                Which::Async => {
                    call_async(
                        &client_settings.build().unwrap(),
                        "getStatus",
                        &Args::default(),
                    )
                    .await
                }
                Which::Blocking => tokio::task::spawn_blocking(move || {
                    let client = otp_client_blocking::ClientBuilder::from(client_settings);
                    call_blocking(&client.build().unwrap(), "getStatus", &Args::default())
                })
                .await
                .unwrap(),
            }
            .unwrap_err();
            assert_eq!(err.next_step(), expected, "{which:?}: {err}");
            // How long to wait is in the error's text when the service said it.
            let says_wait = err.to_string().contains("asked to wait 7 s (Retry-After)");
            assert_eq!(says_wait, err.retry_after().is_some(), "{which:?}: {err}");
        }
    }
}

#[tokio::test]
async fn a_404_without_an_error_body_hints_at_the_base_url() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_raw("Cannot GET /x", "text/plain"))
        .mount(&server)
        .await;
    // The base URL without the API's path, as a user might write it.
    let wrong = server.uri();
    for which in BOTH {
        let err = call(which, &wrong, "getChannel", &Args::default())
            .await
            .unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.contains("base URL") && shown.contains("/api/n/otp-handler"),
            "{which:?}: {shown}"
        );
        assert_eq!(err.next_step(), NextStep::FixConfiguration);
    }
}

#[tokio::test]
async fn a_post_answered_with_a_5xx_other_than_503_has_an_unknown_outcome() {
    use serde_json::json;
    let cases = [
        (
            500,
            json!({"type": "InternalServerErrorException", "httpStatus": 500}),
            NextStep::OutcomeUnknown,
        ),
        (
            502,
            json!({"type": "BadGateway", "httpStatus": 502}),
            NextStep::OutcomeUnknown,
        ),
        (504, json!({}), NextStep::OutcomeUnknown),
        (
            503,
            json!({"type": "Overloaded", "httpStatus": 503}),
            NextStep::RetryLater { retry_after: None },
        ),
        (
            429,
            json!({"type": "RateLimitException", "httpStatus": 429}),
            NextStep::RetryLater { retry_after: None },
        ),
    ];
    for (status, body, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_json(&body))
            .mount(&server)
            .await;
        for which in BOTH {
            // A second `send` would be a second SMS; a second finish would answer `false`.
            for op in ["send", "checkStatusAndComplete"] {
                let err = call(which, &base_url(&server), op, &Args::default())
                    .await
                    .unwrap_err();
                assert_eq!(err.next_step(), expected, "{which:?} {op} {status}: {err}");
            }
        }
    }
}
