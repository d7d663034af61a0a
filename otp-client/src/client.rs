//! The client and the state every request reads.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::RetryPolicy;
use crate::builder::ClientBuilder;
use crate::call::Call;
use crate::generated::raw;
use crate::operation::Operation;

/// The otp-handler client: one async method per operation of the spec.
///
/// Build it with [`Client::builder`]. It is cheap to clone (clones share one connection
/// pool) and `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> Result<(), otp_client::Error> {
/// let client = otp_client::Client::builder("my-api-token").build()?;
/// let widget_id = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().expect("a UUID");
/// let widget = client.get_widget(&widget_id).await?;
/// println!("{:?} active: {:?}", widget.name, widget.is_active);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) state: Arc<ClientState>,
}

/// What every request of a [`Client`] reads: where requests may go, the token, the
/// timeouts, the connection pool. Only [`ClientBuilder`] makes one; its `Debug` output never
/// shows the token.
pub(crate) struct ClientState {
    /// The base URL, parsed: every request's URL is checked against it.
    pub(crate) base_url: Url,
    /// The base URL as requests are built on it (no trailing `/`).
    pub(crate) base: String,
    /// The connection pool.
    pub(crate) http: reqwest::Client,
    /// `Bearer <token>`, marked sensitive.
    pub(crate) authorization: HeaderValue,
    pub(crate) long_poll_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_body: usize,
    /// How many redirects a `GET` follows below the base URL (a `POST` none).
    pub(crate) redirects: usize,
}

impl ClientState {
    /// The token, for scrubbing it from text that came from the other side.
    pub(crate) fn token(&self) -> &str {
        let value = self.authorization.as_bytes();
        std::str::from_utf8(value.get(BEARER.len()..).unwrap_or_default()).unwrap_or_default()
    }
}

/// What the `Authorization` header's value starts with.
pub(crate) const BEARER: &str = "Bearer ";

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("base_url", &self.base_url.as_str())
            .field("authorization", &"Bearer <redacted>")
            .field("long_poll_timeout", &self.long_poll_timeout)
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
            .field("redirects", &self.redirects)
            .finish()
    }
}

impl Client {
    /// Starts building a client that authenticates with `token`.
    pub fn builder(token: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(token)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.state.base
    }

    pub(crate) fn state(&self) -> &ClientState {
        &self.state
    }

    /// progenitor's client for one call of `operation`: its hooks read and record that
    /// call's [`CallContext`](crate::call::CallContext) and nothing else.
    pub(crate) fn raw(&self, operation: &'static Operation) -> raw::Client {
        raw::Client::new_with_client(
            &self.state.base,
            self.state.http.clone(),
            Call::new(self.state.clone(), operation),
        )
    }
}
