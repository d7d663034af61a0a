//! The routes as one `tower::Service` over `http` types: what any tower host serves (axum,
//! hyper, tonic's server), and what [`WidgetBackend::router`](crate::WidgetBackend::router)
//! mounts in axum.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;

use crate::guard::body::Incoming;
use crate::handlers::ReadBody;
use crate::routes::respond;
use crate::state::AppState;

/// The widget's routes as a `tower::Service`, relative to the root: made by
/// [`WidgetBackend::service`](crate::WidgetBackend::service). It reads the client's address
/// from the request's `ConnectInfo<SocketAddr>` extension (axum's, with the `axum` feature:
/// `serve` and `into_make_service_with_connect_info` set it), else from a `SocketAddr`
/// extension (what a host without axum inserts), unless the back end has a
/// [`client_ip`](crate::WidgetBackendBuilder::client_ip) resolver of its own.
///
/// ```
/// # async fn doc() {
/// use tower::ServiceExt;
/// # let client = otp_client::Client::builder("token").build().unwrap();
/// let widget = otp_widget::WidgetBackend::builder(client, [uuid::Uuid::nil()]).build().unwrap();
/// let request = http::Request::get("/nowhere").body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
/// let answer = widget.service().oneshot(request).await.unwrap();
/// assert_eq!(answer.status(), 404);
/// # }
/// ```
#[derive(Clone)]
pub struct WidgetService {
    pub(crate) state: AppState,
}

impl std::fmt::Debug for WidgetService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetService").finish_non_exhaustive()
    }
}

impl<B> tower::Service<http::Request<B>> for WidgetService
where
    B: ReadBody + Send + 'static,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move {
            let (head, body) = request.into_parts();
            Ok(respond(&state, &head, Incoming::Body(body))
                .await
                .into_http())
        })
    }
}
