//! Bad input, broken servers and the blocking client's threading rules: a clear error,
//! never a panic.

use crate::common;

use std::time::Duration;

use common::*;
use otp_client::types::{ChannelStatus, ChannelType, CodeType};
use otp_client::{Error, ErrorKind, NextStep, TransportFailure};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn serve(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn an_unknown_channel_type_status_and_code_type_still_decode() {
    let body =
        json!({"type": "max_messenger", "status": "queued", "codeType": "qr", "label": "MAX"});
    let server = serve(ResponseTemplate::new(200).set_body_json(&body)).await;
    let client = async_client(&base_url(&server));
    let channel = client.get_channel(&id()).await.expect("decodes");
    assert_eq!(
        channel.type_,
        Some(ChannelType::Unknown("max_messenger".into()))
    );
    assert_eq!(
        channel.status,
        Some(ChannelStatus::Unknown("queued".into()))
    );
    assert_eq!(channel.code_type, Some(CodeType::Unknown("qr".into())));
    // It goes back out as it came in.
    assert_eq!(
        serde_json::to_value(&channel).unwrap()["type"],
        "max_messenger"
    );

    let blocking = blocking_client(&base_url(&server));
    let channel = tokio::task::spawn_blocking(move || blocking.get_channel(&id()))
        .await
        .unwrap()
        .expect("decodes");
    assert_eq!(
        channel.type_,
        Some(ChannelType::Unknown("max_messenger".into()))
    );
    assert_eq!(
        ChannelType::from("sms"),
        ChannelType::Sms,
        "known values stay known"
    );
}

#[tokio::test]
async fn an_html_500_from_a_proxy_is_an_unexpected_response() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = serve(ResponseTemplate::new(500).set_body_raw(html, "text/html")).await;
    for which in BOTH {
        for op in operations() {
            let err = call(which, &base_url(&server), &op.id, &Args::default())
                .await
                .unwrap_err();
            let ctx = format!("{which:?} {}", op.id);
            let (status, content_type, body) = unexpected(&err, &ctx);
            assert_eq!(status, 500, "{ctx}");
            assert_eq!(content_type, Some("text/html"), "{ctx}");
            assert!(body.contains("Bad Gateway"), "{ctx}: {body}");
            assert!(err.to_string().contains("500"), "{err}");
        }
    }
}

#[tokio::test]
async fn a_malformed_json_body_is_a_decode_error_with_its_status() {
    for (status, body) in [(200, "{\"success\": tru"), (400, "not json at all")] {
        let server =
            serve(ResponseTemplate::new(status).set_body_raw(body, "application/json")).await;
        for which in BOTH {
            let err = call(which, &base_url(&server), "getStatus", &Args::default())
                .await
                .unwrap_err();
            match err.kind() {
                ErrorKind::Decode {
                    status: seen,
                    body: kept,
                } => {
                    assert_eq!(seen.as_u16(), status);
                    assert_eq!(kept, body);
                }
                other => panic!("{which:?} {status}: {other:?}"),
            }
            assert!(
                std::error::Error::source(&err).is_some(),
                "the cause is kept"
            );
        }
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/api/n/otp-handler");
    for which in BOTH {
        for op in operations() {
            let err = call(which, &url, &op.id, &Args::default())
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::Transport {
                        failure: TransportFailure::ConnectionRefused,
                        maybe_sent: false
                    }
                ),
                "{which:?} {}: {err:?}",
                op.id
            );
            assert_eq!(err.next_step(), NextStep::RetryLater { retry_after: None });
            // It says what happened in its own words, without repeating its source's.
            let shown = err.to_string();
            assert!(
                shown.contains("refused") && shown.contains("did not reach the service"),
                "{shown}"
            );
            let source = std::error::Error::source(&err)
                .map(|s| s.to_string())
                .unwrap_or_default();
            assert!(!shown.contains(&source), "`{shown}` repeats `{source}`");
        }
    }
}

#[tokio::test]
async fn a_slow_server_times_out_but_long_polls_get_their_own_timeout() {
    let server = serve(
        ResponseTemplate::new(200)
            .set_body_json(json!({"success": true}))
            .set_delay(Duration::from_millis(600)),
    )
    .await;
    let client = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .timeout(Duration::from_millis(150))
        .long_poll_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = client.get_status(&id(), RECIPIENT).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    let status = client
        .get_status_long_polling(&id(), RECIPIENT)
        .await
        .expect("held, then answered");
    assert!(status.success);
}

#[tokio::test]
async fn blank_arguments_and_body_fields_are_refused_before_sending() {
    let server = MockServer::start().await;
    for which in BOTH {
        let args = Args {
            recipient: " ".into(),
            ..Args::default()
        };
        let err = call(which, &base_url(&server), "getStatus", &args)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::InvalidArgument {
                    name: "recipient",
                    ..
                }
            ),
            "{which:?}: {err:?}"
        );
        assert!(!err.may_have_been_sent());
        // Required strings of a body are checked like arguments.
        for op in ["send", "checkCode"] {
            let args = Args {
                recipient: String::new(),
                code: " ".into(),
                ..Args::default()
            };
            let err = call(which, &base_url(&server), op, &args)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::InvalidArgument {
                        name: "recipient" | "code",
                        ..
                    }
                ),
                "{op}: {err:?}"
            );
            assert_eq!(err.next_step(), NextStep::FixRequest, "{op}");
        }
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[test]
fn the_blocking_client_is_send_sync_clone_and_works_from_plain_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<otp_client_blocking::Client>();
    assert_send_sync_clone::<otp_client::Client>();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(serve(
        ResponseTemplate::new(201).set_body_json(json!({"success": true})),
    ));
    let client = blocking_client(&base_url(&server));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.complete(&id()).map(|r| r.success))
        })
        .collect();
    for t in threads {
        assert!(t.join().expect("no panic").expect("completed"));
    }
    assert_eq!(
        runtime.block_on(server.received_requests()).unwrap().len(),
        4
    );
}

#[test]
fn the_blocking_client_works_and_drops_inside_a_tokio_runtime() {
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(serve(
        ResponseTemplate::new(201).set_body_json(json!({"success": true})),
    ));
    let url = base_url(&server);
    for flavor in ["current_thread", "multi_thread"] {
        let runtime = match flavor {
            "current_thread" => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
            _ => tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build(),
        }
        .unwrap();
        let outcome = runtime.block_on(async {
            // Built, called and dropped inside async code: no "cannot block/drop a runtime" panic.
            let client = blocking_client(&url);
            let result = client.resend(&id()).map(|r| r.success);
            drop(client);
            result
        });
        assert!(
            outcome.expect("the call works inside a runtime"),
            "{flavor}"
        );
    }
    // And a client built outside, dropped inside.
    let client = blocking_client(&url);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move { drop(client) });
}

#[test]
fn a_base_url_in_plain_http_to_a_remote_host_is_refused() {
    let err = otp_client::Client::builder(TOKEN)
        .base_url("http://online.sigmasms.ru/api/n/otp-handler")
        .build()
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config(_)), "{err:?}");
    assert!(err.to_string().contains("in clear"), "{err}");
    assert!(
        otp_client_blocking::Client::builder(TOKEN)
            .base_url("http://10.1.2.3/api")
            .build()
            .is_err()
    );
    for ok in [
        "http://127.0.0.1:1/x",
        "http://localhost:8080",
        "http://[::1]:9/x",
        "https://example.com/api",
    ] {
        otp_client::Client::builder(TOKEN)
            .base_url(ok)
            .build()
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    otp_client::Client::builder(TOKEN)
        .base_url("http://online.sigmasms.ru/api")
        .allow_insecure_http(true)
        .build()
        .expect("explicitly allowed");
    for bad in ["not a url", "ftp://example.com", ""] {
        assert!(
            otp_client::Client::builder(TOKEN)
                .base_url(bad)
                .build()
                .is_err(),
            "{bad}"
        );
    }
    assert!(
        otp_client::Client::builder("").build().is_err(),
        "an empty token"
    );
    assert!(
        otp_client::Client::builder("bad\ntoken").build().is_err(),
        "a token a header cannot carry"
    );
}

#[test]
fn the_default_environment_is_production_over_https() {
    let client = otp_client::Client::builder(TOKEN).build().unwrap();
    assert_eq!(
        client.base_url(),
        "https://online.sigmasms.ru/api/n/otp-handler"
    );
    let stage = otp_client_blocking::Client::builder(TOKEN)
        .environment(otp_client::Environment::Stage)
        .build()
        .unwrap();
    assert_eq!(
        stage.base_url(),
        "https://stage-online.sigmasms.ru/api/n/otp-handler"
    );
}

/// A 2xx that is not the operation's documented success keeps what the error needs: the
/// error body it carries, or its content type and body.
#[tokio::test]
async fn an_undocumented_success_status_keeps_its_body_for_the_error() {
    let limited = json!({"type": "RateLimitException", "message": "Слишком много запросов"});
    let rate_limited = serve(ResponseTemplate::new(202).set_body_json(&limited)).await;
    let created = json!({"requestId": REQUEST_ID});
    let created = serve(ResponseTemplate::new(200).set_body_json(&created)).await;
    for which in BOTH {
        let err = call(
            which,
            &base_url(&rate_limited),
            "getStatus",
            &Args::default(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err.next_step(), NextStep::RetryLater { .. }),
            "{which:?}: a 202 with a rate-limit body: {err:?}"
        );

        let err = call(which, &base_url(&created), "send", &Args::default())
            .await
            .unwrap_err();
        let ctx = format!("{which:?}: send answered 200 instead of 201");
        let (status, content_type, body) = unexpected(&err, &ctx);
        assert_eq!(status, 200, "{ctx}");
        assert_eq!(content_type, Some("application/json"), "{ctx}");
        assert!(body.contains("requestId"), "{ctx}: {body}");
    }
}

/// The documented success status with an error body and `Retry-After`: the wait it asks for
/// reaches the caller.
#[tokio::test]
async fn a_success_status_with_an_error_body_keeps_its_retry_after() {
    let limited = json!({"type": "RateLimitException", "message": "Слишком много запросов", "httpStatus": 429});
    let server = serve(
        ResponseTemplate::new(200)
            .set_body_json(&limited)
            .insert_header("retry-after", "30"),
    )
    .await;
    for which in BOTH {
        let err = call(which, &base_url(&server), "getStatus", &Args::default())
            .await
            .unwrap_err();
        assert_eq!(
            err.retry_after(),
            Some(Duration::from_secs(30)),
            "{which:?}: {err:?}"
        );
    }
}

/// The status, content type and body of an `UnexpectedResponse`; a panic naming what `err`
/// is otherwise.
fn unexpected<'e>(err: &'e Error, ctx: &str) -> (u16, Option<&'e str>, &'e str) {
    match err.kind() {
        ErrorKind::UnexpectedResponse {
            status,
            content_type,
            body,
        } => (status.as_u16(), content_type.as_deref(), body.as_str()),
        other => panic!("{ctx}: expected an unexpected response, got {other:?}"),
    }
}

#[tokio::test]
async fn an_argument_too_long_for_any_url_is_refused_by_its_name_before_sending() {
    let server = MockServer::start().await;
    let huge = format!("+7{}", "9".repeat(100_000));
    // Every operation that takes the recipient, as a parameter or in its body.
    let takers: Vec<String> = operations()
        .into_iter()
        .filter(|op| {
            op.parameters.iter().any(|(name, _)| name == "recipient")
                || op.body_properties.iter().any(|p| p.name == "recipient")
        })
        .map(|op| op.id)
        .collect();
    assert!(!takers.is_empty(), "no operation takes a recipient");
    for which in BOTH {
        for op in takers.iter().map(String::as_str) {
            let args = Args {
                recipient: huge.clone(),
                ..Args::default()
            };
            let err = call(which, &base_url(&server), op, &args)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::InvalidArgument {
                        name: "recipient",
                        ..
                    }
                ),
                "{which:?} {op}: {err:?}"
            );
            assert!(!err.may_have_been_sent(), "{which:?} {op}");
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_is_never_cut_short() {
    let server = serve(
        ResponseTemplate::new(503)
            .insert_header("retry-after", "30")
            .set_body_json(json!({"message": "busy", "httpStatus": 503})),
    )
    .await;
    let client = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .build()
        .unwrap();
    let err = client.get_channel(&id()).await.unwrap_err();
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a GET asked to wait 30 s is not sent again after the 2 s cap"
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)), "{err}");
    assert_eq!(
        err.next_step(),
        NextStep::RetryLater {
            retry_after: Some(Duration::from_secs(30))
        },
        "the caller learns the wait"
    );
}

#[tokio::test]
async fn durations_at_their_maximum_do_not_panic() {
    // A Retry-After of u64::MAX seconds under a policy with no cap on the wait: the deadline
    // (saturating) refuses the retry.
    let server = serve(
        ResponseTemplate::new(503)
            .insert_header("retry-after", "18446744073709551615")
            .set_body_json(json!({"message": "busy", "httpStatus": 503})),
    )
    .await;
    let policy = otp_client::RetryPolicy {
        max_delay: Duration::MAX,
        ..otp_client::RetryPolicy::default()
    };
    let client = otp_client::Client::builder(TOKEN)
        .base_url(base_url(&server))
        .retry(policy)
        .build()
        .unwrap();
    let err = client.get_channel(&id()).await.unwrap_err();
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(u64::MAX)),
        "{err}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // The waits, with no deadline worth the name, against a sandbox that answers.
    let sandbox = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig::fast())
        .await
        .unwrap();
    let client = async_client_as(&sandbox.base_url(), sandbox.token());
    let session = client
        .start_verification(otp_sandbox::CODE_WIDGET, RECIPIENT)
        .await
        .unwrap();
    session
        .wait_for_channel_selected(Duration::MAX)
        .await
        .unwrap();
    let code = sandbox.code(session.request_id()).unwrap();
    session.check_code(&code).await.unwrap();
    session
        .wait_for_success_status(Duration::MAX)
        .await
        .unwrap();
    let (base, token) = (sandbox.base_url(), sandbox.token().to_string());
    tokio::task::spawn_blocking(move || {
        let client = blocking_client_as(&base, &token);
        let session = client
            .start_verification(otp_sandbox::CODE_WIDGET, RECIPIENT)
            .unwrap();
        session.wait_for_channel_selected(Duration::MAX).unwrap();
    })
    .await
    .expect("the blocking waits do not panic on Duration::MAX");
}

/// Every optional property of `schema` (by name under `components/schemas`), nested ones
/// included, as the JSON pointer of its place in a body.
fn optional_pointers(
    spec: &otp_client_codegen::Spec,
    schema: &str,
    at: &str,
    out: &mut Vec<String>,
) {
    use openapiv3::{ReferenceOr, SchemaKind, Type};
    let components = spec.openapi().components.as_ref().unwrap();
    let Some(ReferenceOr::Item(s)) = components.schemas.get(schema) else {
        return;
    };
    let SchemaKind::Type(Type::Object(object)) = &s.schema_kind else {
        return;
    };
    for (name, property) in &object.properties {
        let pointer = format!("{at}/{name}");
        if !object.required.contains(name) {
            out.push(pointer.clone());
        }
        if let ReferenceOr::Reference { reference } = property {
            let nested = reference.trim_start_matches("#/components/schemas/");
            optional_pointers(spec, nested, &pointer, out);
        }
    }
}

#[tokio::test]
async fn null_in_any_optional_field_decodes_as_absent() {
    let spec = spec();
    let mut tried = 0;
    for op in operations() {
        let (status, schema) = op.success.clone().expect("a success response");
        let mut pointers = Vec::new();
        optional_pointers(&spec, &schema, "", &mut pointers);
        for pointer in pointers {
            let mut body = success_body(&schema);
            // A field the sample body leaves out is put in, as null.
            let (parent, key) = pointer.rsplit_once('/').expect("a JSON pointer");
            let key = key.replace("~1", "/").replace("~0", "~");
            let Some(serde_json::Value::Object(parent)) = body.pointer_mut(parent) else {
                panic!(
                    "{} {pointer}: the sample body has no object at {parent}",
                    op.id
                );
            };
            parent.insert(key, serde_json::Value::Null);
            tried += 1;
            let server = serve(ResponseTemplate::new(status).set_body_json(&body)).await;
            for which in BOTH {
                call(which, &base_url(&server), &op.id, &Args::default())
                    .await
                    .unwrap_or_else(|e| panic!("{which:?} {} with {pointer} null: {e}", op.id));
            }
        }
    }
    assert!(tried > 0, "no optional field was tried");
}

#[tokio::test]
async fn a_tls_handshake_that_stalls_past_the_timeout_was_not_sent() {
    // A server that takes the connection and never answers the TLS handshake.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = otp_client::Client::builder(TOKEN)
        .base_url(format!("https://127.0.0.1:{port}/api/n/otp-handler"))
        .timeout(Duration::from_millis(800))
        .retry(otp_client::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.send(&Args::default().body()).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Transport {
                failure: TransportFailure::TimedOut,
                maybe_sent: false
            }
        ),
        "{err:?}"
    );
    assert!(!err.may_have_been_sent(), "{err}");
    assert_ne!(err.next_step(), NextStep::OutcomeUnknown, "{err}");
}
