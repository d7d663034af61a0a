//! The axum mount: the routes as an axum `Router`, to `nest` anywhere. Its one handler
//! answers every request with the widget's routes ([`respond`]): axum boxes the handler's
//! future once, as for any handler.

use axum::Router;
use axum::extract::Request;

use crate::WidgetBackend;
use crate::guard::body::Incoming;
use crate::routes::respond;

impl WidgetBackend {
    /// The routes, relative to wherever they are mounted (`Router::nest("/otp/", …)`: with
    /// the trailing slash, `send` is `POST /otp/`).
    /// It fits in a router of any state. Serve the application with
    /// `into_make_service_with_connect_info::<SocketAddr>()` (or give the builder a
    /// [`client_ip`](crate::WidgetBackendBuilder::client_ip) resolver): without a client address
    /// every request is refused (500). It has no tracing layer of its own: see
    /// [`RequestSpan`](crate::RequestSpan).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let state = self.state.clone();
        Router::new().fallback(move |request: Request| {
            let state = state.clone();
            async move {
                let (head, body) = request.into_parts();
                respond(&state, &head, Incoming::Body(body))
                    .await
                    .into_http()
            }
        })
    }
}
