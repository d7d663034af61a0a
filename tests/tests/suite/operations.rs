//! Every operation of the spec, on both clients, against a mock server: the request
//! (method, path, query, body, Authorization) and the decoded success body.

use crate::common;

use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{any, header};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn expected_body(op_id: &str) -> Option<Value> {
    match op_id {
        "send" => Some(json!({"widgetId": WIDGET_ID, "recipient": RECIPIENT})),
        "checkCode" => Some(json!({"code": CODE})),
        _ => None,
    }
}

#[tokio::test]
async fn every_operation_sends_the_documented_request_and_decodes_its_success() {
    let ops = operations();
    assert!(!ops.is_empty(), "the spec's operations did not load");
    for which in BOTH {
        for op in &ops {
            let server = MockServer::start().await;
            let (status, schema) = op.success.clone().expect("a success response");
            let body = success_body(&schema);
            Mock::given(any())
                .respond_with(ResponseTemplate::new(status).set_body_json(&body))
                .expect(1)
                .mount(&server)
                .await;

            let value = call(which, &base_url(&server), &op.id, &Args::default())
                .await
                .unwrap_or_else(|e| panic!("{which:?} {}: {e}", op.id));
            assert_eq!(
                value, body,
                "{which:?} {}: the success body decodes intact",
                op.id
            );

            let requests = server.received_requests().await.expect("recording is on");
            let request = &requests[0];
            let ctx = format!("{which:?} {}", op.id);
            assert_eq!(request.method.as_str(), op.http_method, "{ctx}: method");
            assert_path(op, &Args::default(), request.url.path());
            let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
            let expected_query: Vec<(String, String)> = op
                .parameters
                .iter()
                .filter(|(_, location)| location == "query")
                .map(|(name, _)| {
                    assert_eq!(
                        name, "recipient",
                        "{ctx}: a query parameter this test knows"
                    );
                    (name.clone(), RECIPIENT.to_string())
                })
                .collect();
            assert_eq!(query, expected_query, "{ctx}: query");
            assert_eq!(
                request
                    .headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok()),
                Some(format!("Bearer {TOKEN}").as_str()),
                "{ctx}: bearer token"
            );
            // Only the headers the vendor's API defines, and HTTP's own: progenitor's
            // `api-version` (the spec's version, which the service never reads) is not sent.
            let mut names: Vec<&str> = request.headers.keys().map(|k| k.as_str()).collect();
            names.sort_unstable();
            for name in &names {
                assert!(
                    matches!(
                        *name,
                        "accept"
                            | "authorization"
                            | "content-type"
                            | "content-length"
                            | "host"
                            | "user-agent"
                    ),
                    "{ctx}: a header the API does not define: {name} (all: {names:?})"
                );
            }
            match expected_body(&op.id) {
                Some(expected) => {
                    let sent: Value = serde_json::from_slice(&request.body).expect("a JSON body");
                    assert_eq!(sent, expected, "{ctx}: body");
                    assert_eq!(
                        request
                            .headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok()),
                        Some("application/json"),
                        "{ctx}: content type"
                    );
                }
                None => assert!(request.body.is_empty(), "{ctx}: no body"),
            }
        }
    }
}

#[tokio::test]
async fn the_token_is_sent_only_as_a_bearer_header() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(2)
        .mount(&server)
        .await;
    for which in BOTH {
        call(which, &base_url(&server), "getStatus", &Args::default())
            .await
            .expect("the mock matched the header");
    }
    for request in server.received_requests().await.unwrap() {
        assert!(
            !request.url.as_str().contains(TOKEN),
            "the token is not in the URL"
        );
    }
}

#[tokio::test]
async fn response_fields_the_docs_do_not_require_may_be_absent() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    for which in BOTH {
        for op in ["getWidget", "getChannel"] {
            call(which, &base_url(&server), op, &Args::default())
                .await
                .unwrap_or_else(|e| panic!("{which:?} {op}: an empty object decodes: {e}"));
        }
        // `success` and `requestId` are marked required: their absence is an error.
        let err = call(which, &base_url(&server), "getStatus", &Args::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), otp_client::ErrorKind::Decode { .. }),
            "{which:?}: {err}"
        );
    }
}
