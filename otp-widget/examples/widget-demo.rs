//! `cargo run -p otp-widget --example widget-demo`: a page that walks a verification through
//! the widget back end the way the vendor's widget does (phone, then the code or "confirm
//! on your phone", resend with its cooldown, then the application's server-side finish),
//! against an embedded sandbox. It prints the URL to open.
//!
//! Options: `--listen ADDR` (default 127.0.0.1:3000; port 0 picks a free one), `--codeless`
//! (the sandbox's codeless widget), `--fast` (short sandbox timings, for tests). Open the
//! page with `?auto` to let it enter everything itself, and `?auto&wrong` to enter a wrong
//! code first. `GET /metrics` gives the widget's counters (sends, refusals by reason,
//! captcha checks) in Prometheus's text format.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use otp_sandbox::{CODE_WIDGET, CODELESS_WIDGET, DEFAULT_TOKEN, Sandbox, SandboxConfig};
use otp_widget::WidgetBackend;
use serde_json::{Value, json};

const PAGE: &str = include_str!("widget-demo/index.html");

#[derive(Clone)]
struct Demo {
    client: otp_client::Client,
    widget: WidgetBackend,
    sandbox: std::sync::Arc<Sandbox>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Finish {
    request_id: String,
    phone: String,
}

/// The application's own route: finish server-side, and grant access on the proof only.
async fn finish(
    State(demo): State<Demo>,
    headers: HeaderMap,
    Json(f): Json<Finish>,
) -> (StatusCode, Json<Value>) {
    let Ok(id) = f.request_id.parse() else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"verified": false, "error": "not a session id"})),
        );
    };
    // Only the browser that started the session finishes it: its cookie proves it.
    if !demo.widget.holds_session(&headers, &id) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"verified": false, "error": "not this browser's session"})),
        );
    }
    match demo.client.finish(&id, &f.phone).await {
        Ok(verified) => (
            StatusCode::OK,
            Json(json!({"verified": true, "phone": otp_client::mask_phone(verified.recipient())})),
        ),
        Err(e) => (
            StatusCode::FORBIDDEN,
            Json(json!({"verified": false, "error": e.to_string()})),
        ),
    }
}

/// The sandbox's code of a session: what the user reads in the SMS (the demo's automatic
/// mode only).
async fn sandbox_code(State(demo): State<Demo>, Path(id): Path<String>) -> Json<Value> {
    Json(json!({"code": demo.sandbox.code(id)}))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let listen: SocketAddr = args
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| args.get(i + 1))
        .map_or("127.0.0.1:3000", String::as_str)
        .parse()?;
    let mut config = if flag("--fast") {
        SandboxConfig {
            hold: Duration::from_secs(2),
            sent_delay: Duration::from_millis(300),
            codeless_confirm_delay: Some(Duration::from_secs(1)),
            resend_cooldown: Duration::from_secs(5),
            ..SandboxConfig::default()
        }
    } else {
        SandboxConfig::default()
    };
    config.channel_lifetime = Duration::from_secs(600);
    let sandbox = Sandbox::start(config).await?;
    let client = otp_client::Client::builder(DEFAULT_TOKEN)
        .base_url(sandbox.base_url())
        .build()?;
    let widget_id = if flag("--codeless") {
        CODELESS_WIDGET
    } else {
        CODE_WIDGET
    };
    let page = PAGE.replace("__WIDGET_ID__", &widget_id.to_string());
    let widget = WidgetBackend::builder(client.clone(), [widget_id])
        .secure_cookie(false) // served over plain http
        // Five messages a minute to one number, where the default is three: the demo's
        // browser test verifies the sandbox's one number three times in a row, the last one
        // with a resend (each resend is a message, charged as a send).
        .per_phone_limit(Some(otp_widget::Limit::per_minute(5)))
        .build()?;
    let demo = Demo {
        client,
        widget: widget.clone(),
        sandbox: std::sync::Arc::new(sandbox),
    };
    // The widget counts through the `metrics` facade; this recorder keeps the counts for
    // Prometheus to scrape.
    let prometheus = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    let app = Router::new()
        .route("/", get(move || async move { Html(page) }))
        .route(
            "/metrics",
            get(move || std::future::ready(prometheus.render())),
        )
        .route("/app/finish", post(finish))
        .route("/app/sandbox-code/{id}", get(sandbox_code))
        .with_state(demo)
        .nest("/otp/", widget.router())
        // Each request's span: its method and path, never the query (the phone number).
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(otp_widget::RequestSpan),
        );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("open http://{}/", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
