//! The blocking client: the async client, driven by a small runtime of its own.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::{Environment, Error, RetryPolicy};

/// The blocking otp-handler client: one method per operation of the spec, with the same
/// names and arguments as [`otp_client::Client`], returning when the call is done.
///
/// It is `Send + Sync` and cheap to clone (clones share one connection pool and one
/// runtime). Calls may be made from any thread, including from inside a tokio runtime
/// (where they block that thread, as any blocking call does); dropping the client
/// anywhere is fine.
///
/// ```no_run
/// # fn run() -> Result<(), otp_client_blocking::Error> {
/// let client = otp_client_blocking::Client::builder("my-api-token").build()?;
/// let widget_id = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().expect("a UUID");
/// let widget = client.get_widget(&widget_id)?;
/// println!("{:?}", widget.name);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: otp_client::Client,
    runtime: Arc<Runtime>,
}

/// The runtime the requests run on: one worker thread that drives the connections.
#[derive(Debug)]
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio forbids inside another runtime; shutting
        // it down in the background works everywhere.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Client {
    /// Starts building a client that authenticates with `token`.
    pub fn builder(token: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            inner: otp_client::Client::builder(token),
        }
    }

    /// Calls an operation this client's spec does not list, with every guarantee of the
    /// generated ones: see [`otp_client::Client::call_unlisted`].
    ///
    /// ```no_run
    /// # fn run(client: otp_client_blocking::Client, id: otp_client_blocking::RequestId) -> Result<(), otp_client_blocking::Error> {
    /// use otp_client_blocking::UnlistedRequest;
    /// let answer = client.call_unlisted(&UnlistedRequest::post().request_id(id).segment("cancel"))?;
    /// # Ok(()) }
    /// ```
    pub fn call_unlisted(
        &self,
        request: &otp_client::UnlistedRequest,
    ) -> Result<serde_json::Value, otp_client::Error> {
        self.block_on(self.inner.call_unlisted(request))
    }

    /// The async client underneath, sharing this one's connection pool.
    pub fn async_client(&self) -> &otp_client::Client {
        &self.inner
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// Runs `future` to completion on this thread, with the client's runtime driving
    /// its I/O and timers.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        match &self.runtime.0 {
            Some(runtime) => {
                let _context = runtime.enter();
                futures::executor::block_on(future)
            }
            None => unreachable!("the runtime lives until the client is dropped"),
        }
    }
}

/// Builds a blocking [`Client`]: the same settings as [`otp_client::ClientBuilder`].
///
/// ```
/// use std::time::Duration;
/// let client = otp_client_blocking::Client::builder("my-api-token")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # Ok::<(), otp_client_blocking::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientBuilder {
    inner: otp_client::ClientBuilder,
}

/// A blocking builder with the settings of an async one, so that both clients of an
/// application can share one configuration.
///
/// ```
/// let settings = otp_client::Client::builder("my-api-token").timeout(std::time::Duration::from_secs(10));
/// let blocking = otp_client_blocking::ClientBuilder::from(settings.clone()).build()?;
/// let async_client = settings.build()?;
/// assert_eq!(blocking.base_url(), async_client.base_url());
/// # Ok::<(), otp_client_blocking::Error>(())
/// ```
impl From<otp_client::ClientBuilder> for ClientBuilder {
    fn from(inner: otp_client::ClientBuilder) -> Self {
        Self { inner }
    }
}

/// The blocking builder's settings, each the async builder's of the same name.
macro_rules! settings {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, $($arg: $ty),*) -> Self {
                Self { inner: self.inner.$name($($arg),*) }
            }
        )*
    };
}

impl ClientBuilder {
    settings! {
        /// The deployment to talk to (production by default).
        environment(environment: Environment);
        /// A base URL of your own, such as a sandbox's.
        base_url(url: impl Into<String>);
        /// The timeout of one ordinary request (30 s by default).
        timeout(timeout: Duration);
        /// The timeout of one long-polling request (120 s by default).
        long_poll_timeout(timeout: Duration);
        /// The timeout for opening a connection (10 s by default).
        connect_timeout(timeout: Duration);
        /// The `User-Agent` header.
        user_agent(user_agent: impl Into<String>);
        /// Allows a plain `http://` base URL to a host that is not loopback.
        allow_insecure_http(allow: bool);
        /// How failures on the way are retried (see [`otp_client::RetryPolicy`]).
        retry(policy: RetryPolicy);
        /// The largest response body read (1 MiB by default).
        max_response_body(bytes: usize);
        /// Follows up to `max` redirects of a `GET`, only to URLs below the base URL (none by
        /// default); see [`otp_client::ClientBuilder::follow_same_origin_redirects`].
        follow_same_origin_redirects(max: usize);
        /// Sends requests through `proxy` (repeatable).
        proxy(proxy: reqwest::Proxy);
        /// Ignores the system's proxy settings.
        no_proxy();
        /// Trusts `certificate` as a root, besides the platform's (repeatable). With a TLS
        /// feature (`rustls`, the default, or `native-tls`).
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        add_root_certificate(certificate: reqwest::Certificate);
        /// Trusts only the roots added, not the platform's.
        only_added_root_certificates(only: bool);
        /// Connects from `address`.
        local_address(address: std::net::IpAddr);
        /// Keeps at most `max` idle connections per host.
        pool_max_idle_per_host(max: usize);
        /// Closes idle connections after `timeout` (`None`: never).
        pool_idle_timeout(timeout: Option<Duration>);
        /// Speaks HTTP/2 from the first byte, without negotiating it.
        http2_prior_knowledge();
        /// TCP keep-alive probes after `interval` of silence (`None`: off).
        tcp_keepalive(interval: Option<Duration>);
        /// `TCP_NODELAY` on the connections.
        tcp_nodelay(nodelay: bool);
    }

    /// Builds the client and starts its runtime.
    pub fn build(self) -> Result<Client, Error> {
        let inner = self.inner.build()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otp-client-blocking")
            .enable_all()
            .build()
            .map_err(otp_client::__blocking::runtime_error)?;
        Ok(Client {
            inner,
            runtime: Arc::new(Runtime(Some(runtime))),
        })
    }
}
