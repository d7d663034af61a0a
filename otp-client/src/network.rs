//! The HTTP settings a caller may adjust (proxies, root certificates, the local address, the
//! connection pool, HTTP/2, TCP), as builder methods. The SDK builds the HTTP client itself,
//! so that nothing a caller sets can turn on what keeps requests confined and secrets
//! unlogged: retries, redirects, `Referer` and connection logging stay the SDK's.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::ClientBuilder;

/// The adjustments, applied to reqwest's builder before the SDK's own settings.
#[derive(Clone, Default)]
pub(crate) struct Network {
    proxies: Vec<reqwest::Proxy>,
    no_proxy: bool,
    root_certificates: Vec<reqwest::Certificate>,
    only_these_roots: bool,
    local_address: Option<IpAddr>,
    pool_max_idle_per_host: Option<usize>,
    pool_idle_timeout: Option<Option<Duration>>,
    http2_prior_knowledge: bool,
    tcp_keepalive: Option<Option<Duration>>,
    tcp_nodelay: Option<bool>,
}

impl Network {
    pub(crate) fn apply(&self, mut http: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        if self.no_proxy {
            http = http.no_proxy();
        }
        for proxy in &self.proxies {
            http = http.proxy(proxy.clone());
        }
        if !self.root_certificates.is_empty() {
            let certificates = self.root_certificates.iter().cloned();
            http = if self.only_these_roots {
                http.tls_certs_only(certificates)
            } else {
                http.tls_certs_merge(certificates)
            };
        }
        if let Some(address) = self.local_address {
            http = http.local_address(address);
        }
        if let Some(max) = self.pool_max_idle_per_host {
            http = http.pool_max_idle_per_host(max);
        }
        if let Some(timeout) = self.pool_idle_timeout {
            http = http.pool_idle_timeout(timeout);
        }
        if self.http2_prior_knowledge {
            http = http.http2_prior_knowledge();
        }
        if let Some(keepalive) = self.tcp_keepalive {
            http = http.tcp_keepalive(keepalive);
        }
        if let Some(nodelay) = self.tcp_nodelay {
            http = http.tcp_nodelay(nodelay);
        }
        http
    }
}

impl fmt::Debug for Network {
    /// Counts of proxies and certificates only: a proxy's URL may hold its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("proxies", &self.proxies.len())
            .field("no_proxy", &self.no_proxy)
            .field("root_certificates", &self.root_certificates.len())
            .field("only_these_roots", &self.only_these_roots)
            .field("local_address", &self.local_address)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("http2_prior_knowledge", &self.http2_prior_knowledge)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("tcp_nodelay", &self.tcp_nodelay)
            .finish()
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

    /// Trusts `certificate` as a root, besides the platform's (repeatable).
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
