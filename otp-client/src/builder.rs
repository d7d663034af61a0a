//! Building a [`Client`]: the token, where to send requests, timeouts, TLS.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::client::{BEARER, ClientState};
use crate::redact::display_url;
use crate::{Client, Error, RetryPolicy};

/// Which otp-handler deployment to talk to. The URLs come from the spec's `servers`.
#[derive(Clone, PartialEq, Eq, Default)]
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

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("Production"),
            Environment::Stage => f.write_str("Stage"),
            Environment::Custom(url) => f.debug_tuple("Custom").field(&display_url(url)).finish(),
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
/// | [`follow_same_origin_redirects`](Self::follow_same_origin_redirects) | 0: none followed |
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
    pub(crate) network: crate::network::Network,
    retry: RetryPolicy,
    max_response_body: usize,
    redirects: usize,
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
            .field("network", &self.network)
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
            .field("redirects", &self.redirects)
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
            network: crate::network::Network::default(),
            retry: RetryPolicy::default(),
            max_response_body: 1024 * 1024,
            redirects: 0,
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

    /// The timeout for opening a connection (TCP and TLS). A connection not opened in time is
    /// known not to have carried the request. At or above [`timeout`](Self::timeout), three
    /// quarters of it is used, so that a stalled handshake is never taken for a request that
    /// may have been sent.
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
    /// [`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge), and is not read past the cap.
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Follows up to `max` redirects, and only to URLs below the base URL (its scheme, host,
    /// port and path, and no credentials: never from https to http). The service never
    /// redirects, so none is followed by default: a redirect is an
    /// [`ErrorKind::Redirect`](crate::ErrorKind::Redirect). A redirect elsewhere is never
    /// followed, whatever `max` is; no `Referer` is ever sent.
    pub fn follow_same_origin_redirects(mut self, max: usize) -> Self {
        self.redirects = max;
        self
    }

    /// Builds the client. Fails, without panicking, with an [`ErrorKind::Config`] error on a
    /// token that is empty or not visible ASCII; a base URL that does not parse, has
    /// credentials, a query or a fragment, or is plain http to a host that is not loopback
    /// (unless allowed); or a TLS backend that cannot start.
    ///
    /// [`ErrorKind::Config`]: crate::ErrorKind::Config
    pub fn build(self) -> Result<Client, Error> {
        let base_url = self.checked_base_url()?;
        if self.token.trim().is_empty() {
            return Err(Error::config("the API token is empty"));
        }
        if let Some(position) = self.token.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(Error::config(format!(
                "the API token has a character that is not visible ASCII at byte {position} (a space, a line break, a non-ASCII letter?)"
            )));
        }
        let mut authorization = HeaderValue::from_str(&format!("{BEARER}{}", self.token))
            .map_err(|_| Error::config("the API token cannot travel in a header"))?;
        authorization.set_sensitive(true);
        // The connection (TCP and TLS) must time out as a connection that never opened, so
        // that nothing is taken as maybe sent: within the request's own timeout.
        let connect_timeout = if self.connect_timeout >= self.timeout {
            self.timeout.mul_f64(0.75)
        } else {
            self.connect_timeout
        };
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(connect_timeout)
            .user_agent(self.user_agent);
        // The caller's network settings first; then what confines requests and keeps secrets
        // out of logs, which nothing before can undo: redirects are followed by the SDK
        // itself (`hooks::exec`), retries are the SDK's, no `Referer`, no connection logging.
        let http = self
            .network
            .apply(http)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .referer(false)
            .connection_verbose(false)
            .build()
            .map_err(|e| Error::config("the HTTP client cannot start").with_source(e))?;
        let base = base_url.as_str().trim_end_matches('/').to_owned();
        let state = ClientState {
            base_url,
            base,
            http,
            authorization,
            long_poll_timeout: self.long_poll_timeout,
            retry: self.retry,
            max_response_body: self.max_response_body,
            redirects: self.redirects,
        };
        Ok(Client {
            state: std::sync::Arc::new(state),
        })
    }

    /// The base URL, parsed and checked; its serialization is what requests are built on, so
    /// that each request's URL can be checked against it.
    fn checked_base_url(&self) -> Result<reqwest::Url, Error> {
        let text = self.environment.base_url();
        let shown = display_url(text);
        let url = reqwest::Url::parse(text)
            .map_err(|e| Error::config(format!("base URL `{shown}`: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(format!(
                "base URL `{shown}` has credentials: the API authenticates with the token alone"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "base URL `{shown}` has a query or a fragment: it must be the API's root, such as https://online.sigmasms.ru/api/n/otp-handler"
            )));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(Error::config(format!(
                    "base URL `{shown}` is plain http to a host that is not loopback: the token would travel in clear; use https"
                )));
            }
            other => {
                return Err(Error::config(format!(
                    "base URL `{shown}`: scheme `{other}` is not http(s)"
                )));
            }
        }
        if url.host().is_none() {
            return Err(Error::config(format!("base URL `{shown}` has no host")));
        }
        // A base URL the parser changed (`/api/%2e%2e/x` resolved to `/x`, a line break or
        // tab dropped, a host lower-cased) is not the one the caller meant: say what it became.
        let written = text.trim_end_matches('/');
        let parsed = url.as_str().trim_end_matches('/');
        if written != parsed {
            return Err(Error::config(format!(
                "base URL `{shown}` does not read back as written: it would be `{}`; write it that way if that is the one",
                display_url(parsed)
            )));
        }
        let mut url = url;
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(url)
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
