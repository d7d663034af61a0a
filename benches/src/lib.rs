//! What the benchmarks share: a minimal local responder, and clients with the same settings
//! on both sides of each comparison.

pub mod held;
pub mod load;
pub mod proxy;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};

pub const TOKEN: &str = "bench-token";
pub const REQUEST_ID: &str = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6";
/// [`REQUEST_ID`], as the SDK takes it.
pub static ID: std::sync::LazyLock<otp_client::RequestId> =
    std::sync::LazyLock::new(|| REQUEST_ID.parse().expect("a session id"));
pub const RECIPIENT: &str = "+79991234563";
pub const STATUS_BODY: &str = r#"{"success":true}"#;
pub const CHANNEL_BODY: &str = r#"{"type":"sms","status":"sent","label":"SMS","codeType":"code","payload":{},"settings":{"lifetime":300,"numberOfTries":3,"numberOfRestart":2,"code":{"length":4,"beautify":false}},"remainingCodeAttempts":3}"#;
pub const ERROR_BODY: &str = r#"{"type":"InvalidCodeException","message":"Код, введенный пользователем, неправильный","httpStatus":400}"#;

/// The same settings for the SDK's client and the raw one.
pub const TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const USER_AGENT: &str = "bench";

/// A responder that answers getStatus and checkCode with canned bodies, as fast as axum can.
pub fn responder() -> Router {
    Router::new()
        .route(
            "/api/n/otp-handler/{request_id}/status",
            get(|| async { ([(CONTENT_TYPE, "application/json")], STATUS_BODY) }),
        )
        .route(
            "/api/n/otp-handler/{request_id}/checkCode",
            post(|| async {
                (
                    axum::http::StatusCode::CREATED,
                    [(CONTENT_TYPE, "application/json")],
                    STATUS_BODY,
                )
            }),
        )
}

/// Runs `setup` on a runtime of its own (2 threads, on a thread of its own) that lives as
/// long as the process, with everything `setup` spawned on it; returns what `setup` returns.
/// Servers run there, so that the client side's runtime measures only the client.
pub fn in_background<T, F>(setup: impl FnOnce() -> F + Send + 'static) -> T
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    in_background_on(2, setup)
}

/// [`in_background`] on a runtime of `threads` worker threads.
pub fn in_background_on<T, F>(threads: usize, setup: impl FnOnce() -> F + Send + 'static) -> T
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            tx.send(setup().await).unwrap();
            std::future::pending::<()>().await
        })
    });
    rx.recv().unwrap()
}

/// Serves `router` on a loopback port, in the background.
pub fn serve_in_background(router: Router) -> SocketAddr {
    serve_in_background_on(2, router)
}

/// [`serve_in_background`] on a runtime of `threads` worker threads.
pub fn serve_in_background_on(threads: usize, router: Router) -> SocketAddr {
    in_background_on(threads, || async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        addr
    })
}

pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}/api/n/otp-handler")
}

/// The SDK's settings, the same as [`raw_client`]'s.
fn sdk_builder(addr: SocketAddr) -> otp_client::ClientBuilder {
    otp_client::Client::builder(TOKEN)
        .base_url(base_url(addr))
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
}

pub fn sdk_client(addr: SocketAddr) -> otp_client::Client {
    sdk_builder(addr).build().unwrap()
}

pub fn sdk_blocking_client(addr: SocketAddr) -> otp_client_blocking::Client {
    otp_client_blocking::ClientBuilder::from(sdk_builder(addr))
        .build()
        .unwrap()
}

pub fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
        .build()
        .unwrap()
}

pub fn raw_blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
        .build()
        .unwrap()
}

/// What a hand-written client decodes into.
#[derive(serde::Deserialize)]
pub struct Status {
    pub success: bool,
}

/// getStatus, by hand: the request the SDK sends, decoded the same way.
pub async fn raw_get_status(client: &reqwest::Client, base: &str) -> Status {
    let response = client
        .get(format!("{base}/{REQUEST_ID}/status"))
        .query(&[("recipient", RECIPIENT)])
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// checkCode, by hand.
pub async fn raw_check_code(client: &reqwest::Client, base: &str) -> Status {
    let response = client
        .post(format!("{base}/{REQUEST_ID}/checkCode"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .json(&serde_json::json!({"code": "1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

pub fn raw_blocking_get_status(client: &reqwest::blocking::Client, base: &str) -> Status {
    let response = client
        .get(format!("{base}/{REQUEST_ID}/status"))
        .query(&[("recipient", RECIPIENT)])
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

pub fn raw_blocking_check_code(client: &reqwest::blocking::Client, base: &str) -> Status {
    let response = client
        .post(format!("{base}/{REQUEST_ID}/checkCode"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .json(&serde_json::json!({"code": "1234"}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().unwrap()
}
