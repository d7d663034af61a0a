//! Building a [`Client`]: the token, where to send requests, timeouts, TLS.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::generated::raw;
use crate::{Client, ClientState, Error, RetryPolicy};

/// Which otp-handler deployment to talk to. The URLs come from the spec's `servers`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// The production service (the default).
    #[default]
    Production,
    /// The vendor's staging service.
    Stage,
    /// Any other base URL, such as a local sandbox (`http://127.0.0.1:8080/api/n/otp-handler`).
    Custom(String),
}

impl Environment {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => server("production"),
            Environment::Stage => server("stage"),
            Environment::Custom(url) => url,
        }
    }
}

/// The spec's server whose description is `name`.
fn server(name: &str) -> &'static str {
    crate::generated::SERVERS
        .iter()
        .find(|(description, _)| *description == name)
        .map_or("", |(_, url)| url)
}

/// Builds a [`Client`]. Every setting has a default; only the token is required.
///
/// | setting | default |
/// |---|---|
/// | [`environment`](Self::environment) / [`base_url`](Self::base_url) | production |
/// | [`timeout`](Self::timeout) | 30 s |
/// | [`long_poll_timeout`](Self::long_poll_timeout) | 120 s |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s |
/// | [`user_agent`](Self::user_agent) | `otp-client/<version>` |
/// | [`retry`](Self::retry) | [`RetryPolicy::default`] |
/// | [`max_response_body`](Self::max_response_body) | 1 MiB |
///
/// ```
/// use std::time::Duration;
/// use otp_client::{Client, Environment};
///
/// let client = Client::builder("my-api-token")
///     .environment(Environment::Stage)
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert!(client.base_url().starts_with("https://stage-online.sigmasms.ru"));
/// # Ok::<(), otp_client::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    token: String,
    environment: Environment,
    timeout: Duration,
    long_poll_timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    allow_insecure_http: bool,
    reqwest_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    max_response_body: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &"<redacted>")
            .field("environment", &self.environment)
            .field("timeout", &self.timeout)
            .field("long_poll_timeout", &self.long_poll_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("reqwest_client", &self.reqwest_client.is_some())
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with every default and `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            environment: Environment::Production,
            timeout: Duration::from_secs(30),
            long_poll_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_string(),
            allow_insecure_http: false,
            reqwest_client: None,
            retry: RetryPolicy::default(),
            max_response_body: 1024 * 1024,
        }
    }

    /// The deployment to talk to.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// A base URL of your own, such as a sandbox's. Same as
    /// `environment(Environment::Custom(url))`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.environment(Environment::Custom(url.into()))
    }

    /// The timeout of one ordinary request, from sending to the end of the body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout of one long-polling request. Keep it well above the server's hold time.
    pub fn long_poll_timeout(mut self, timeout: Duration) -> Self {
        self.long_poll_timeout = timeout;
        self
    }

    /// The timeout for opening a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Allows a plain `http://` base URL to a host that is not loopback. Off by default:
    /// the token would travel in clear.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// How failures on the way are retried ([`RetryPolicy::default`]: 3 attempts); pass
    /// [`RetryPolicy::none`] to never retry.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest response body read (1 MiB by default); a larger one is an
    /// [`Error::BodyTooLarge`], and is not read past the cap.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Sends requests through your own `reqwest::Client`. Its own settings (timeouts,
    /// user agent, proxies, TLS) then apply instead of this builder's; the token and the
    /// long-poll timeout are still set on each request.
    pub fn reqwest_client(mut self, client: reqwest::Client) -> Self {
        self.reqwest_client = Some(client);
        self
    }

    /// Builds the client. Fails, without panicking, on an empty or malformed token, a
    /// base URL that does not parse, plain http to a host that is not loopback (unless
    /// allowed), or a TLS backend that cannot start.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.checked_base_url()?;
        if self.token.trim().is_empty() {
            return Err(Error::Config("the API token is empty".into()));
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", self.token)).map_err(|_| {
                Error::Config("the API token has characters a header cannot carry".into())
            })?;
        authorization.set_sensitive(true);
        let http = match self.reqwest_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .user_agent(self.user_agent)
                .build()
                .map_err(|e| Error::Config(format!("the HTTP client cannot start: {e}")))?,
        };
        let state = ClientState {
            authorization,
            long_poll_timeout: self.long_poll_timeout,
            retry: self.retry,
            max_response_body: self.max_response_body,
        };
        Ok(Client {
            raw: raw::Client::new_with_client(&base_url, http, state),
        })
    }

    fn checked_base_url(&self) -> Result<String, Error> {
        let text = self.environment.base_url().trim_end_matches('/');
        let url = reqwest::Url::parse(text)
            .map_err(|e| Error::Config(format!("base URL `{text}`: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(Error::Config(format!(
                    "base URL `{text}` is plain http to a host that is not loopback: the token would travel in clear (use https, or allow_insecure_http(true))"
                )));
            }
            other => {
                return Err(Error::Config(format!(
                    "base URL `{text}`: scheme `{other}` is not http(s)"
                )));
            }
        }
        if url.host().is_none() {
            return Err(Error::Config(format!("base URL `{text}` has no host")));
        }
        Ok(text.to_string())
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
