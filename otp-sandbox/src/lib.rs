//! `otp-sandbox`: a stateful, in-memory simulator of the otp-handler API.
//!
//! It serves the ten operations under `/api/n/otp-handler/` with the bodies, statuses and
//! messages the spec documents (the messages are read from the spec's own examples), over
//! sessions held in memory: channels go `wait` → `sent` after a delay, codes are
//! predictable, long-polls are held until something changes, and every documented error
//! is reached through the flow itself. See [`SandboxConfig`] for the defaults.
//!
//! Two sandbox-only endpoints, outside the API's prefix, let tests and demos finish a flow:
//! `GET /sandbox/{requestId}/code` reveals the code, and `POST /sandbox/{requestId}/confirm`
//! confirms a codeless channel as the user would.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let sandbox = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig::default()).await?;
//! println!("serving {}", sandbox.base_url());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod api;
mod config;
mod errors;
mod fault;
mod record;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::oneshot;

pub use config::*;
pub use record::Exchange;

/// The path prefix the API is served under.
pub const API_PREFIX: &str = "/api/n/otp-handler";

/// The router serving the API and the sandbox-only endpoints over `state`.
fn router(app: api::App, recorder: record::Recorder) -> Router {
    let faults = app.state.config.faults;
    let api = Router::new()
        .route("/widget/{widget_id}", get(api::get_widget))
        .route("/{request_id}/channel", get(api::get_channel))
        .route(
            "/longPolling/{request_id}/channel",
            get(api::get_channel_long_polling),
        )
        .route("/{request_id}/status", get(api::get_status))
        .route(
            "/longPolling/{request_id}/status",
            get(api::get_status_long_polling),
        )
        .route("/{request_id}/checkCode", post(api::check_code))
        .route(
            "/{request_id}/checkStatusAndComplete",
            post(api::check_status_and_complete),
        )
        .route("/{request_id}/complete", post(api::complete))
        .route("/{request_id}/resend", post(api::resend));
    Router::new()
        .nest(API_PREFIX, api)
        // `send` is `POST /` under the prefix: the trailing slash is the path.
        .route(&format!("{API_PREFIX}/"), post(api::send))
        .route("/sandbox/{request_id}/code", get(api::sandbox_code))
        .route("/sandbox/{request_id}/confirm", post(api::sandbox_confirm))
        .route("/sandbox/sessions", get(api::sandbox_sessions))
        .route("/sandbox/notify", post(api::sandbox_notify))
        .layer(axum::middleware::from_fn_with_state(faults, fault::inject))
        .layer(axum::middleware::from_fn_with_state(
            recorder,
            record::log_and_record,
        ))
        .with_state(app)
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<state::State>,
    recorder: record::Recorder,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Starts a sandbox on a free loopback port, in the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        Self::bind("127.0.0.1:0".parse()?, config).await
    }

    /// Starts a sandbox on `addr`.
    pub async fn bind(addr: SocketAddr, config: SandboxConfig) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = state::State::new(config);
        let app = api::App {
            state: state.clone(),
            errors: Arc::new(errors::Errors::from_spec()?),
        };
        let recorder = record::Recorder::default();
        let router = router(app, recorder.clone());
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("sandbox server stopped: {e}");
            }
        });
        Ok(Self {
            addr,
            state,
            recorder,
            shutdown: Some(shutdown),
            task,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/api/n/otp-handler`.
    pub fn base_url(&self) -> String {
        format!("http://{}{API_PREFIX}", self.addr)
    }

    /// The code session `request_id` sent (what `GET /sandbox/{requestId}/code` reveals).
    pub fn code(&self, request_id: impl std::fmt::Display) -> Option<String> {
        self.state
            .session(&request_id.to_string())
            .map(|cell| cell.lock().widget.code.clone())
    }

    /// Confirms a session as its user would on a codeless channel.
    pub fn confirm(&self, request_id: impl std::fmt::Display) -> bool {
        self.state.confirm(&request_id.to_string())
    }

    /// Every session: (request id, recipient).
    pub fn sessions(&self) -> Vec<(String, String)> {
        self.state.sessions()
    }

    /// How many long-polls the sandbox is holding right now (a client that goes away ends
    /// its own).
    pub fn held_long_polls(&self) -> usize {
        self.state.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many sessions were started.
    pub fn session_count(&self) -> usize {
        self.state.session_count()
    }

    /// Every API exchange so far (operation, status, body), when recording is on; see
    /// [`Sandbox::record`].
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.recorder.exchanges()
    }

    /// Starts keeping every API exchange, for conformance checks.
    pub fn record(&self) {
        self.recorder.enable();
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Long-polls would hold a graceful shutdown open; a dropped sandbox stops now.
        self.task.abort();
    }
}
