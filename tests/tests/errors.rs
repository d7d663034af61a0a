//! Every documented error of every operation, on both clients: the spec's own example
//! body decodes to the error's kind, message and status.

mod common;

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
        checked,
        2 * 57,
        "57 documented (operation, exception) pairs, on two clients"
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
