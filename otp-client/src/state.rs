//! The state every request of a [`Client`](crate::Client) reads: where requests may go, the
//! token, the timeouts, the retry policy, the connection pool. The builder makes it, the
//! client shares it, each call reads it: it imports none of them.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::retry::RetryPolicy;

/// What every request of a [`Client`](crate::Client) reads. Only
/// [`ClientBuilder`](crate::ClientBuilder) makes one; its `Debug` output never shows the
/// token.
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
