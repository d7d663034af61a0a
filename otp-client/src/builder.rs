//! Building a [`Client`] ([`ClientBuilder`], from [`Client::builder`]): the token, where to
//! send requests, timeouts, retries, and the HTTP settings a caller may adjust (proxies,
//! roots, the pool, TCP); `build` makes the [`ClientState`] the client shares.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::client::Client;
use crate::environment::{Environment, checked_base_url};
use crate::error::Error;
use crate::network::Network;
use crate::retry::RetryPolicy;
use crate::state::{BEARER, ClientState};

impl Client {
    /// Starts building a client that authenticates with `token`.
    pub fn builder(token: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(token)
    }
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
    network: Network,
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
            network: Network::default(),
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
    /// (unless allowed), or https in a build without a TLS feature (`rustls`, `native-tls`);
    /// or a TLS backend that cannot start.
    ///
    /// [`ErrorKind::Config`]: crate::ErrorKind::Config
    pub fn build(self) -> Result<Client, Error> {
        let base_url = checked_base_url(&self.environment, self.allow_insecure_http)?;
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
}

/// The HTTP settings. Each is reqwest's setting of the same name; none can change how the
/// SDK retries, redirects, refers or logs.
///
/// ```
/// let client = otp_client::Client::builder("my-api-token")
///     .proxy(reqwest::Proxy::https("http://proxy.internal:3128").expect("a proxy URL"))
///     .pool_max_idle_per_host(4)
///     .tcp_nodelay(true)
///     .build()?;
/// # Ok::<(), otp_client::Error>(())
/// ```
impl ClientBuilder {
    /// Sends requests through `proxy` (repeatable; the first that matches a request is used).
    /// Without one, the system's proxy settings (`HTTPS_PROXY`, …) apply.
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.network.proxies.push(proxy);
        self
    }

    /// Ignores the system's proxy settings.
    pub fn no_proxy(mut self) -> Self {
        self.network.no_proxy = true;
        self
    }

    /// Trusts `certificate` as a root, besides the platform's (repeatable). With a TLS
    /// feature (`rustls`, the default, or `native-tls`).
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub fn add_root_certificate(mut self, certificate: reqwest::Certificate) -> Self {
        self.network.root_certificates.push(certificate);
        self
    }

    /// Trusts only the roots given with [`add_root_certificate`](Self::add_root_certificate),
    /// not the platform's.
    pub fn only_added_root_certificates(mut self, only: bool) -> Self {
        self.network.only_these_roots = only;
        self
    }

    /// Connects from `address`.
    pub fn local_address(mut self, address: IpAddr) -> Self {
        self.network.local_address = Some(address);
        self
    }

    /// Keeps at most `max` idle connections per host.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.network.pool_max_idle_per_host = Some(max);
        self
    }

    /// Closes idle connections after `timeout` (`None`: never).
    pub fn pool_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.network.pool_idle_timeout = Some(timeout);
        self
    }

    /// Speaks HTTP/2 from the first byte, without negotiating it (for a plain-http sandbox or
    /// proxy that speaks only HTTP/2; over TLS, HTTP/2 is negotiated anyway).
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.network.http2_prior_knowledge = true;
        self
    }

    /// TCP keep-alive probes after `interval` of silence (`None`: off).
    pub fn tcp_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.network.tcp_keepalive = Some(interval);
        self
    }

    /// `TCP_NODELAY` on the connections.
    pub fn tcp_nodelay(mut self, nodelay: bool) -> Self {
        self.network.tcp_nodelay = Some(nodelay);
        self
    }
}
