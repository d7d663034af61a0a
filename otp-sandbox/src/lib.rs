#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod api;
mod config;
mod errors;
mod fault;
mod record;
mod scenario;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodFilter, get, on, post};
use tokio::sync::oneshot;

pub use config::*;
pub use fault::Fault;
pub use record::Exchange;
pub use scenario::{Behaviour, SCENARIOS, Scenario};

/// The spec the sandbox serves: the one otp-client is generated from in the same build (the
/// bundled spec, or the file `OTP_HANDLER_SPEC` names, with the bundled overlay and any of
/// `OTP_HANDLER_OVERLAY` applied), written by the build script: what contract tools test the
/// sandbox against (`otp-sandbox --print-spec`).
pub const SPEC: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.yaml"));

/// The spec's operations, parsed once. The build script has parsed and checked the same text.
pub(crate) fn operations() -> &'static [otp_spec::Operation] {
    static OPERATIONS: std::sync::LazyLock<Vec<otp_spec::Operation>> =
        std::sync::LazyLock::new(|| match otp_spec::Spec::parse("openapi.yaml", SPEC) {
            Ok(spec) => spec.operations(),
            Err(e) => {
                tracing::error!("the spec the sandbox was built with does not load: {e}");
                Vec::new()
            }
        });
    &OPERATIONS
}

/// The path prefix the API is served under.
pub const API_PREFIX: &str = "/api/n/otp-handler";

/// The sandbox-only endpoints, outside the API's prefix and without a token: (method, path,
/// what it does and answers). The same as the [`Sandbox`] methods, for tests in other
/// processes and other languages.
pub const HELPER_ENDPOINTS: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/sandbox/{requestId}/code",
        r#"the code the session sent: 200 {"code": "1234", "codeless": false}, or 404"#,
    ),
    (
        "POST",
        "/sandbox/{requestId}/confirm",
        "the user confirms a codeless channel: 204, or 404",
    ),
    (
        "POST",
        "/sandbox/{requestId}/expire",
        "the channel expires now (ResendChannelException): 204, or 404",
    ),
    (
        "POST",
        "/sandbox/{requestId}/switch",
        "the next channel of the cascade (ChannelChangedException): 204, or 404",
    ),
    (
        "POST",
        "/sandbox/{requestId}/close",
        "the session is closed (SessionClosedException): 204, or 404",
    ),
    (
        "POST",
        "/sandbox/faults",
        r#"{"operation": "getChannel", "status": 503 | "delayMs": 2000 | "reset": true}: the operation's next call gets that fault: 204"#,
    ),
    (
        "GET",
        "/sandbox/sessions",
        r#"the live sessions: 200 [{"requestId": "…", "recipient": "…"}]"#,
    ),
    (
        "GET",
        "/sandbox/stats",
        r#"200 {"started": N, "live": N, "heldLongPolls": N}"#,
    ),
    (
        "POST",
        "/sandbox/notify",
        r#"every session changes now, so every held long-poll answers: 200 {"notified": N} (N: the sessions changed)"#,
    ),
];

/// The router serving the API and the sandbox-only endpoints over `state`: one route per
/// operation of the spec, at its path and method, answered by the operation's simulation
/// ([`api::simulated`]) or, for an operation the sandbox does not simulate, by a 501 that
/// names it. Each simulated route runs the fault queued for its operation's next call, if
/// any.
fn router(app: api::App, recorder: record::Recorder) -> Router {
    let random = app.state.config.random_faults;
    let state = app.state.clone();
    let mut router = Router::new();
    for op in operations() {
        let Some(filter) = axum::http::Method::from_bytes(op.http_method.as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok())
        else {
            tracing::error!(
                operation = op.id,
                method = op.http_method,
                "a method axum cannot route"
            );
            continue;
        };
        let route = match api::simulated(&op.id, filter) {
            Some((id, route)) => route.layer(axum::middleware::from_fn_with_state(
                (state.clone(), id),
                fault::injected,
            )),
            None => {
                let message = format!(
                    "the sandbox does not simulate operation `{}` ({} {}): it is in the spec, \
                     and this otp-sandbox has no simulation of it",
                    op.id, op.http_method, op.path
                );
                on(filter, move || async move { api::not_simulated(&message) })
            }
        };
        router = router.route(&format!("{API_PREFIX}{}", op.path), route);
    }
    router
        .route("/sandbox/{request_id}/code", get(api::sandbox_code))
        .route("/sandbox/{request_id}/confirm", post(api::sandbox_confirm))
        .route("/sandbox/{request_id}/expire", post(api::sandbox_expire))
        .route("/sandbox/{request_id}/switch", post(api::sandbox_switch))
        .route("/sandbox/{request_id}/close", post(api::sandbox_close))
        .route("/sandbox/faults", post(api::sandbox_fault))
        .route("/sandbox/sessions", get(api::sandbox_sessions))
        .route("/sandbox/stats", get(api::sandbox_stats))
        .route("/sandbox/notify", post(api::sandbox_notify))
        .layer(axum::middleware::from_fn_with_state(random, fault::random))
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
    /// The runtime of a sandbox started with [`Sandbox::spawn`].
    runtime: Option<tokio::runtime::Runtime>,
}

impl Sandbox {
    /// Starts a sandbox on a free loopback port, in the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        Self::bind("127.0.0.1:0".parse()?, config).await
    }

    /// Starts a sandbox on a free loopback port, on a runtime of its own: for tests without
    /// one (the blocking client's). It may be called, and dropped, inside a runtime too.
    ///
    /// ```
    /// let sandbox = otp_sandbox::Sandbox::spawn(otp_sandbox::SandboxConfig::fast())?;
    /// let client = otp_client_blocking::Client::builder(sandbox.token())
    ///     .base_url(sandbox.base_url())
    ///     .build()?;
    /// let session = client.start_verification(otp_sandbox::CODE_WIDGET, "+79991234563")?;
    /// session.wait_for_channel_selected(std::time::Duration::from_secs(10))?;
    /// session.check_code(&sandbox.code(session.request_id()).unwrap())?;
    /// assert_eq!(session.finish()?.recipient(), "+79991234563");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(config: SandboxConfig) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otp-sandbox")
            .enable_all()
            .build()?;
        // Started on its runtime and awaited from here with a plain channel: `block_on`
        // would panic when the caller is itself inside a runtime.
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(Self::start(config).await);
        });
        let mut sandbox = rx
            .recv()
            .map_err(|_| anyhow::anyhow!("the sandbox's runtime stopped before it started"))??;
        sandbox.runtime = Some(runtime);
        Ok(sandbox)
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
            runtime: None,
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

    /// The token that owns the default widgets ([`DEFAULT_TOKEN`]).
    pub fn token(&self) -> &'static str {
        DEFAULT_TOKEN
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

    /// Makes session `request_id`'s channel expire now: its next read answers
    /// `ResendChannelException`. `false` when there is no such session.
    pub fn expire_channel(&self, request_id: impl std::fmt::Display) -> bool {
        self.state.expire(&request_id.to_string())
    }

    /// Switches session `request_id` to the next channel of its cascade, as the service may:
    /// `getStatus` and `checkCode` answer `ChannelChangedException` until the channel is read
    /// again. `false` when there is no such session.
    pub fn switch_channel(&self, request_id: impl std::fmt::Display) -> bool {
        self.state.switch(&request_id.to_string())
    }

    /// Closes session `request_id`: its next reads answer `SessionClosedException`.
    /// `false` when there is no such session.
    pub fn close(&self, request_id: impl std::fmt::Display) -> bool {
        self.state.close_session(&request_id.to_string())
    }

    /// Injects `fault` into the next call of `operation` (its operationId, such as
    /// `getChannel`); several queue up, one per call. Panics on an operation the spec does
    /// not have, or a status that is not one (a test's mistake, said at once rather than a
    /// fault that never fires).
    ///
    /// ```no_run
    /// # fn run(sandbox: &otp_sandbox::Sandbox) {
    /// use otp_sandbox::Fault;
    /// sandbox.inject("send", Fault::Status(503));
    /// sandbox.inject("getChannel", Fault::Delay(std::time::Duration::from_secs(2)));
    /// sandbox.inject("checkCode", Fault::Reset);
    /// # }
    /// ```
    pub fn inject(&self, operation: &str, fault: Fault) {
        if let Err(e) = self.state.inject(operation, fault) {
            panic!("Sandbox::inject: {e}");
        }
    }

    /// Every live session: (request id, recipient).
    pub fn sessions(&self) -> Vec<(String, String)> {
        self.state.session_list()
    }

    /// How many sessions were started since the sandbox started (the live ones are
    /// [`session_count`](Self::session_count)).
    pub fn started_sessions(&self) -> u64 {
        self.state
            .started
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many long-polls the sandbox is holding right now (a client that goes away ends
    /// its own).
    pub fn held_long_polls(&self) -> usize {
        self.state.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many sessions are live (started, and neither expired nor evicted).
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
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sandbox_simulates_every_operation_of_the_spec() {
        let operations = super::operations();
        assert!(!operations.is_empty(), "the spec's operations did not load");
        let not_simulated: Vec<&str> = operations
            .iter()
            .filter(|op| {
                let method = axum::http::Method::from_bytes(op.http_method.as_bytes()).unwrap();
                let filter = axum::routing::MethodFilter::try_from(method).unwrap();
                super::api::simulated(&op.id, filter).is_none()
            })
            .map(|op| op.id.as_str())
            .collect();
        assert!(
            not_simulated.is_empty(),
            "operations of the spec the sandbox does not simulate (they answer 501): {not_simulated:?}"
        );
    }
}
