//! A user's crate built against a newer vendor spec (`OTP_HANDLER_SPEC`, see `.ci/newer-spec`):
//! the operation it adds is a method of both clients, with the SDK's checks and error mapping;
//! the fields it adds are read, in the Rust types their formats give; the enum value and the
//! exception type it adds decode as themselves. The widget back end does not expose an
//! operation the spec leaves unmarked, and the sandbox answers it with a 501 that names it.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use otp_client::types::{ChannelType, ExceptionType, Level};
use otp_client::{ErrorKind, NextStep, RequestId};
use serde_json::json;

const CANCELLABLE: &str = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6";
const CANCELLED: &str = "0e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const PHONE: &str = "+79991234563";

/// A server that answers the newer spec's `cancel`, `getStatus` and `getChannel`.
async fn newer_service() -> String {
    let api = Router::new()
        .route(
            "/{id}/cancel",
            post(|Path(id): Path<String>| async move {
                if id != CANCELLABLE {
                    let body = json!({"type": "CancelledException", "message": "Сессия отменена", "httpStatus": 400});
                    return (StatusCode::BAD_REQUEST, Json(body));
                }
                (
                    StatusCode::OK,
                    Json(json!({
                        "cancelledAt": "2026-11-26T12:00:00Z",
                        "day": "2026-11-26",
                        "id": CANCELLABLE,
                        "link": "https://example.com/x",
                        "ip4": "192.0.2.1",
                        "ip6": "2001:db8::1",
                        "blob": "aGk=",
                        "raw": "bytes",
                        "small": -5,
                        "big": 9_000_000_000_i64,
                        "tiny": 255,
                        "ratio": 0.5,
                        "exact": 0.25,
                        "note": null,
                        "ticket": "T-42",
                        "short": "abc",
                        "choice": 7,
                        "either": {"b": 3},
                        "counts": {"sms": 2},
                        "anything": {"k": [1, 2]},
                        "level": "high",
                        "priority": 2
                    })),
                )
            }),
        )
        .route(
            "/{id}/status",
            get(|| async { Json(json!({"success": true, "updatedAt": "2026-11-26T12:30:00Z"})) }),
        )
        .route(
            "/{id}/channel",
            get(|| async {
                Json(json!({"type": "max", "status": "sent", "codeType": "code", "region": "ru-msk"}))
            }),
        );
    let app = Router::new().nest("/api/n/otp-handler", api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api/n/otp-handler")
}

fn id(text: &str) -> RequestId {
    text.parse().unwrap()
}

#[tokio::test]
async fn the_async_client_calls_the_new_operation_and_reads_the_new_fields() {
    let base = newer_service().await;
    let client = otp_client::Client::builder("token-1")
        .base_url(&base)
        .build()
        .unwrap();

    let cancelled = client.cancel(&id(CANCELLABLE)).await.unwrap();
    assert_eq!(
        cancelled.cancelled_at.to_rfc3339(),
        "2026-11-26T12:00:00+00:00"
    );
    assert_eq!(
        cancelled.day.map(|d| d.to_string()).as_deref(),
        Some("2026-11-26")
    );
    assert_eq!(cancelled.id.to_string(), CANCELLABLE);
    assert_eq!(cancelled.ip4, Some(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!(
        cancelled.ip6.map(|ip| ip.to_string()).as_deref(),
        Some("2001:db8::1")
    );
    assert_eq!(cancelled.big, Some(9_000_000_000));
    assert_eq!(cancelled.tiny, Some(255_u8));
    assert_eq!(cancelled.note, None);
    assert_eq!(
        cancelled.ticket.as_ref().map(|t| t.to_string()).as_deref(),
        Some("T-42")
    );
    assert_eq!(cancelled.level, Some(Level::High));
    assert_eq!(cancelled.counts.as_ref().and_then(|c| c.get("sms")), Some(&2));

    let status = client.get_status(&id(CANCELLABLE), PHONE).await.unwrap();
    assert!(status.success);
    assert_eq!(
        status.updated_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-26T12:30:00+00:00")
    );
    let channel = client.get_channel(&id(CANCELLABLE)).await.unwrap();
    assert_eq!(channel.type_, Some(ChannelType::Max));
    assert_eq!(channel.region.as_deref(), Some("ru-msk"));

    // The added exception type decodes as itself; its status decides the next step.
    let err = client.cancel(&id(CANCELLED)).await.unwrap_err();
    match err.kind() {
        ErrorKind::Api(api) => {
            assert_eq!(api.kind, ExceptionType::CancelledException, "{err}");
            assert_eq!(api.message, "Сессия отменена");
        }
        other => panic!("not an API error: {other:?}"),
    }
    assert_eq!(err.next_step(), NextStep::StartOver, "{err}");
}

#[test]
fn the_blocking_client_calls_the_new_operation_and_reads_the_new_fields() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = runtime.block_on(newer_service());
    let client = otp_client_blocking::Client::builder("token-1")
        .base_url(&base)
        .build()
        .unwrap();
    let cancelled = client.cancel(&id(CANCELLABLE)).unwrap();
    assert_eq!(
        cancelled.cancelled_at.to_rfc3339(),
        "2026-11-26T12:00:00+00:00"
    );
    let status = client.get_status(&id(CANCELLABLE), PHONE).unwrap();
    assert!(status.updated_at.is_some(), "{status:?}");
    let err = client.cancel(&id(CANCELLED)).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Api(api) if api.kind == ExceptionType::CancelledException),
        "{err}"
    );
}

#[tokio::test]
async fn the_widget_does_not_expose_an_operation_the_spec_leaves_unmarked() {
    let base = newer_service().await;
    let client = otp_client::Client::builder("token-1")
        .base_url(&base)
        .build()
        .unwrap();
    let widget = otp_widget::WidgetBackend::builder(client, [otp_sandbox::CODE_WIDGET])
        .build()
        .unwrap();
    // The session's cookie, as a server hands it to the browser of a session it started:
    // with it, getChannel answers, so a 404 below is the route's, not the session's.
    let cookie = widget.session_cookie(&id(CANCELLABLE));
    let cookie = cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let app: Router = Router::new().nest("/otp/", widget.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    // `resend`, which the widget has a handler for, is closed once the spec leaves it unmarked
    // (.ci/newer-spec removes its `x-widget`); `cancel` has no handler at all.
    let answer = raw_post(addr, &format!("/otp/{CANCELLABLE}/resend"), &cookie).await;
    assert!(
        answer.starts_with("HTTP/1.1 404"),
        "resend through the widget: {answer}"
    );
    let answer = raw_post(addr, &format!("/otp/{CANCELLABLE}/cancel"), &cookie).await;
    assert!(
        answer.starts_with("HTTP/1.1 404"),
        "cancel through the widget: {answer}"
    );
    let answer = raw_get(addr, &format!("/otp/{CANCELLABLE}/channel"), &cookie).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "getChannel through the widget: {answer}"
    );
}

#[tokio::test]
async fn the_sandbox_answers_the_new_operation_with_a_501_naming_it() {
    let sandbox = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig::fast())
        .await
        .unwrap();
    let client = otp_client::Client::builder(sandbox.token())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = client.cancel(&id(CANCELLABLE)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(501), "{err}");
    assert!(err.to_string().contains("operation `cancel`"), "{err}");
}

async fn raw_get(addr: SocketAddr, path: &str, cookie: &str) -> String {
    raw(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"),
    )
    .await
}

async fn raw_post(addr: SocketAddr, path: &str, cookie: &str) -> String {
    raw(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        ),
    )
    .await
}

async fn raw(addr: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}
