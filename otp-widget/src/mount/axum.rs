//! The axum mount: the routes as an axum `Router`, to `nest` anywhere. Each served path is
//! a route of the router (so that an application's own catch-all route does not hide them,
//! and its `route_layer`s and `MatchedPath` see them), and the router's fallback answers the
//! rest; one handler serves them all with the widget's routes ([`respond`]), and axum boxes
//! its future once, as for any handler.

use axum::Router;
use axum::extract::Request;
use axum::routing::any;

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
        let handler = move |request: Request| {
            let state = state.clone();
            async move {
                let (head, body) = request.into_parts();
                respond(&state, &head, Incoming::Body(body))
                    .await
                    .into_http()
            }
        };
        let mut router = Router::new();
        for path in self.state.paths.axum_paths() {
            router = router.route(&path, any(handler.clone()));
        }
        router.fallback(handler)
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// An application with a catch-all route of its own (a single-page app's) still reaches
    /// the widget's routes under their prefix.
    #[tokio::test]
    async fn an_application_s_catch_all_route_does_not_hide_the_widget() {
        let widget = crate::WidgetBackend::for_tests([uuid::Uuid::nil()]);
        let app: axum::Router = axum::Router::new()
            .nest("/otp/", widget.router())
            .route("/{*path}", get(|| async { "the application's page" }));
        let peer = axum::extract::ConnectInfo(std::net::SocketAddr::from(([203, 0, 113, 1], 1)));
        for (method, path) in [
            ("GET", "/otp/widget/00000000-0000-0000-0000-000000000001"),
            ("POST", "/otp/"),
            ("GET", "/otp/d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6/status"),
        ] {
            let mut request = axum::http::Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            request.extensions_mut().insert(peer);
            let answer = app.clone().oneshot(request).await.unwrap();
            let status = answer.status();
            let body = axum::body::to_bytes(answer.into_body(), 10_000)
                .await
                .unwrap();
            let body = String::from_utf8_lossy(&body);
            // The widget's own answer, in the service's error shape (no client address was
            // refused, no widget of the back end's, no JSON body): not the application's page.
            assert!(
                body.contains("\"httpStatus\""),
                "{method} {path}: {status} {body}"
            );
        }
    }
}
