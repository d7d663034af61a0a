//! The client and the state every request reads.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::RetryPolicy;
use crate::builder::ClientBuilder;
use crate::generated::raw;

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
    pub(crate) raw: raw::Client,
}

/// What every request of a [`Client`] reads: the token and the timeouts.
///
/// Only [`ClientBuilder`] makes one. Its `Debug` output never shows the token.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) authorization: HeaderValue,
    pub(crate) long_poll_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_body: usize,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("authorization", &"Bearer <redacted>")
            .field("long_poll_timeout", &self.long_poll_timeout)
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
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
        progenitor_client::ClientInfo::baseurl(&self.raw)
    }

    /// progenitor's client underneath, for calls that need exactly what it generated.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }
}
