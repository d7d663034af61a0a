//! # otp-widget
//!
//! The back end of the Sigma SMS otp-handler browser widget, as an `axum::Router` (feature
//! `axum`, on by default), an actix-web mount (feature `actix`) or a `tower::Service`: the
//! routes the widget calls, each forwarded to the service with the server's token, so the
//! token never reaches the browser. The service's answers pass through with their status and
//! their JSON as the spec gives it (decoded into the spec's types and written again; fields
//! the spec keeps as `extra` stay); the router's own refusals, such as a service that cannot
//! be reached (502 `NoConnectionException`), use the service's error shape,
//! `{type, message, httpStatus}`.
//!
//! Relative to wherever it is mounted, it serves the spec's paths (mount it with a
//! trailing slash, `nest("/otp/", …)`, so that `send`'s `POST /` is `POST /otp/` as the
//! widget calls it):
//! `GET /widget/{widgetId}`, `POST /` (`{widgetId, recipient, captchaToken?}`),
//! `GET /{requestId}/channel`, `GET /longPolling/{requestId}/channel`,
//! `GET /{requestId}/status?recipient=`, `GET /longPolling/{requestId}/status?recipient=`,
//! `POST /{requestId}/checkCode` (`{code}`), `POST /{requestId}/complete` (unless turned
//! off) and `POST /{requestId}/resend`. `checkStatusAndComplete` is never served: the
//! application's own handler finishes the session server-side, with
//! [`otp_client::Client::finish`].
//!
//! **Serve it with the peer address**: [`serve()`] (as below, with a header read timeout), or
//! `axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())`. The quotas count by
//! client address, and without it (or a [`client_ip`](WidgetBackendBuilder::client_ip)
//! resolver of your own) the router knows none and refuses every request with 500
//! `InternalServerErrorException`, logging why at `ERROR`.
//!
//! Your application depends on `otp-client` (the client the router forwards through),
//! `axum` and `tokio` itself.
//!
//! **Tracing**: the router adds no tracing layer. Layer tower-http's `TraceLayer` with
//! [`RequestSpan`] (method and path, never the query, which carries the phone number) on
//! it or on your application.
//!
//! Beyond the vendor's Node SDK:
//! - **the client's address** is the socket peer, and the one forwarding header your
//!   [`TrustedProxies`] write, only when they sent the request (the right-most hop that is
//!   not one of them);
//! - **a captcha** ([`Captcha`]: Google reCAPTCHA v2/v3, Yandex SmartCaptcha, Cloudflare
//!   Turnstile) after N free sends per IP per window, checked with the provider (failing
//!   closed), each token accepted once, the client IP passed on; `getWidget`'s answer says
//!   `captchaIsRequired` and `captchaProvider`, as the SDK's does;
//! - **a per-phone limit** (3 sends per minute by default) answered as `RateLimitException`
//!   with `Retry-After` before the service is called;
//! - **a per-IP request limit** on every route (300 per minute by default), answered the
//!   same way;
//! - **shared quotas**: the counts live in a [`QuotaStore`], in memory by default
//!   ([`MemoryStore`], bounded and expiring) or in Redis (`RedisStore`, feature `redis`)
//!   so that replicas share them; the per-IP request limit counts in a store of its own
//!   (`request_limit_store`: per replica unless given one in Redis too);
//! - body size limits, CORS for the origins you allow, and a request span without phone
//!   numbers ([`RequestSpan`]) for the application's `TraceLayer`.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::time::Duration;
//! use axum::{Json, Router, extract::State, http::{HeaderMap, StatusCode}, routing::post};
//! use otp_widget::{Captcha, WidgetBackend};
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Finish { request_id: String, phone: String }
//!
//! /// The application's own route: finish server-side, and grant access on the proof only.
//! async fn finish(
//!     State((client, widget)): State<(otp_client::Client, WidgetBackend)>,
//!     headers: HeaderMap,
//!     Json(f): Json<Finish>,
//! ) -> StatusCode {
//!     let Ok(id) = f.request_id.parse() else { return StatusCode::BAD_REQUEST };
//!     // Only the browser that started the session finishes it: its cookie proves it.
//!     if !widget.holds_session(&headers, &id) {
//!         return StatusCode::FORBIDDEN;
//!     }
//!     match client.finish(&id, &f.phone).await {
//!         Ok(verified) => {
//!             let _phone = verified.recipient(); // sign the user in with this number
//!             StatusCode::NO_CONTENT
//!         }
//!         Err(_) => StatusCode::FORBIDDEN,
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = otp_client::Client::builder(std::env::var("OTP_TOKEN")?).build()?;
//! let my_widget = std::env::var("OTP_WIDGET_ID")?.parse()?; // the widget your page uses
//! let widget = WidgetBackend::builder(client.clone(), [my_widget])
//!     .captcha(Captcha::yandex(std::env::var("CAPTCHA_SECRET")?).free_sends(3, Duration::from_secs(3600)))
//!     .build()?;
//! let app = Router::new()
//!     .nest("/otp/", widget.router())
//!     .route("/signup/finish", post(finish))
//!     .with_state((client, widget));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! otp_widget::serve(listener, app, otp_widget::ServeTimeouts::default()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
mod backend;
mod captcha;
mod cors;
mod forward;
mod guard;
mod handlers;
mod head;
mod keys;
mod metrics;
mod mount;
mod numbers;
#[cfg(feature = "aide")]
mod openapi;
mod operations;
mod paths;
mod quota;
mod refusal;
mod routes;
#[cfg(feature = "axum")]
mod serve;
mod service;
mod settings;
mod state;
mod trace;

pub use backend::{BuildError, WidgetBackend, WidgetBackendBuilder};
pub use captcha::{Captcha, CaptchaProvider};
pub use guard::client_ip::{ClientIpResolver, ProxyHeader, TrustedProxies, UNKNOWN_CLIENT};
pub use head::RequestHead;
#[cfg(feature = "aide")]
pub use openapi::DocumentError;
pub use quota::{Hit, MemoryStore, QuotaError, QuotaStore};
#[cfg(feature = "redis")]
pub use quota::{REDIS_TIMEOUT, RedisStore};
#[cfg(feature = "axum")]
pub use serve::{ServeTimeouts, serve};
pub use service::WidgetService;
pub use settings::{DEFAULTS, Defaults, Ipv6Aggregates, Limit, LongPollCaps, RangeLimit};
pub use trace::RequestSpan;

/// The README's example, compiled as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
