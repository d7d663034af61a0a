//! The HTTP settings a caller may adjust (proxies, root certificates, the local address, the
//! connection pool, HTTP/2, TCP), which the builder's methods set. The SDK builds the HTTP
//! client itself, so that nothing a caller sets can turn on what keeps requests confined and
//! secrets unlogged: retries, redirects, `Referer` and connection logging stay the SDK's.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// The adjustments, applied to reqwest's builder before the SDK's own settings.
#[derive(Clone, Default)]
pub(crate) struct Network {
    pub(crate) proxies: Vec<reqwest::Proxy>,
    pub(crate) no_proxy: bool,
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub(crate) root_certificates: Vec<reqwest::Certificate>,
    pub(crate) only_these_roots: bool,
    pub(crate) local_address: Option<IpAddr>,
    pub(crate) pool_max_idle_per_host: Option<usize>,
    pub(crate) pool_idle_timeout: Option<Option<Duration>>,
    pub(crate) http2_prior_knowledge: bool,
    pub(crate) tcp_keepalive: Option<Option<Duration>>,
    pub(crate) tcp_nodelay: Option<bool>,
}

impl Network {
    pub(crate) fn apply(&self, mut http: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        if self.no_proxy {
            http = http.no_proxy();
        }
        for proxy in &self.proxies {
            http = http.proxy(proxy.clone());
        }
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
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
        let mut debug = f.debug_struct("Network");
        debug
            .field("proxies", &self.proxies.len())
            .field("no_proxy", &self.no_proxy);
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        debug.field("root_certificates", &self.root_certificates.len());
        debug
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
