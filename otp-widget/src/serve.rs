//! Serving the router with the timeouts a public endpoint needs: `axum::serve` has none, so a
//! client that sends its headers a byte at a time holds a connection as long as it likes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

/// How long a client may take to send a request's headers (10 s by default); the body's own
/// timeout is the router's ([`body_timeout`](crate::WidgetBackendBuilder::body_timeout)).
#[derive(Debug, Clone, Copy)]
pub struct ServeTimeouts {
    /// From the connection's start, or the previous response, to the end of the headers.
    pub header_read: Duration,
}

impl Default for ServeTimeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
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
        let app = app.clone();
        tokio::spawn(async move {
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
