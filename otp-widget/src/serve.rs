//! Serving the router with the timeouts and caps a public endpoint needs: `axum::serve` has
//! none, so a client that sends its headers a byte at a time holds a connection as long as it
//! likes, and one client may open as many as it likes.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use crate::keys::client_of;

/// What [`serve`] lets a client hold: how long it may take to send a request's headers
/// (10 s by default; the body's own deadline is the router's,
/// [`body_timeout`](crate::WidgetBackendBuilder::body_timeout)), and how many connections
/// it may have open at once (64 per client, an IPv6 client by its /64: a browser opens six
/// per host, and a network behind one address a few browsers' worth), and all clients
/// together (10,000). A connection past a cap is closed as it is accepted, before anything is
/// read from it.
///
/// ```
/// use std::time::Duration;
/// let settings = otp_widget::ServeTimeouts::default()
///     .header_read(Duration::from_secs(5))
///     .connections(16, 2_000);
/// assert_eq!(settings.max_connections_per_client, 16);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServeTimeouts {
    /// From the connection's start, or the previous response, to the end of the headers.
    pub header_read: Duration,
    /// Connections one client may have open.
    pub max_connections_per_client: usize,
    /// Connections open in all.
    pub max_connections: usize,
}

impl Default for ServeTimeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            max_connections_per_client: 64,
            max_connections: 10_000,
        }
    }
}

impl ServeTimeouts {
    /// How long a client may take to send a request's headers.
    pub fn header_read(mut self, timeout: Duration) -> Self {
        self.header_read = timeout;
        self
    }

    /// How many connections one client, and all together, may have open.
    pub fn connections(mut self, per_client: usize, total: usize) -> Self {
        self.max_connections_per_client = per_client;
        self.max_connections = total;
        self
    }
}

/// The connections open now, per client and in all.
struct Open {
    per_client: usize,
    total: usize,
    counts: Mutex<(HashMap<IpAddr, usize>, usize)>,
}

/// One connection counted as open until it is dropped.
struct Counted {
    open: Arc<Open>,
    client: IpAddr,
}

impl Open {
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Counted> {
        let client = client_of(peer);
        let mut guard = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let (per_client, total) = &mut *guard;
        let mine = per_client.entry(client).or_insert(0);
        if *mine >= self.per_client || *total >= self.total {
            if *mine == 0 {
                per_client.remove(&client);
            }
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(Counted {
            open: self.clone(),
            client,
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut guard = self.open.counts.lock().unwrap_or_else(|p| p.into_inner());
        let (per_client, total) = &mut *guard;
        *total = total.saturating_sub(1);
        if let Some(n) = per_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                per_client.remove(&self.client);
            }
        }
    }
}

/// Serves `app` on `listener` over HTTP/1.1 (a browser-facing back end sits behind a proxy
/// that speaks HTTP/2 to browsers, if any), each request carrying its peer's address (as
/// `into_make_service_with_connect_info::<SocketAddr>()` does), and cutting a client that
/// sends nothing, or has not sent its headers, within `timeouts.header_read`.
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
/// otp_widget::serve(listener, app, otp_widget::ServeTimeouts::default()).await
/// # }
/// ```
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    timeouts: ServeTimeouts,
) -> std::io::Result<()> {
    let open = Arc::new(Open {
        per_client: timeouts.max_connections_per_client,
        total: timeouts.max_connections,
        counts: Mutex::default(),
    });
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // A connection that failed before it was accepted (reset, out of descriptors
            // for a moment): the next one may do.
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(counted) = open.admit(peer.ip()) else {
            tracing::info!(peer = %peer.ip(), "a connection past the caps: closed");
            drop(stream);
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _counted = counted;
            // A connection that says nothing is cut too (hyper's own timer starts with a
            // request's first byte).
            let mut first = [0u8; 1];
            match tokio::time::timeout(timeouts.header_read, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let service =
                tower::service_fn(move |request: axum::http::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request
                        .extensions_mut()
                        .insert(ConnectInfo::<SocketAddr>(peer));
                    let app = app.clone();
                    async move {
                        let response = match app.oneshot(request).await {
                            Ok(response) => response,
                            Err(never) => match never {},
                        };
                        Ok::<_, Infallible>(response)
                    }
                });
            let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(timeouts.header_read);
            let connection = builder.serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service),
            );
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
}
