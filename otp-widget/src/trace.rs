//! The request span for tracing the router's requests, for the application to layer: the
//! router adds no tracing layer of its own (a router-wide layer boxes every route again:
//! with tower-http's `TraceLayer`, about 2,850 instructions per request; BENCHMARKS.md).

use http::Request;
use tower_http::trace::MakeSpan;

/// A [`MakeSpan`] for tower-http's `TraceLayer` that records a request's method and path,
/// never its query: the widget's status queries carry the phone number
/// (`?recipient=+7…`), which tower-http's default span would record with the URI.
///
/// Layer it on the widget's router, or on the application that nests it (the router's
/// events, such as a refused captcha, are then logged inside the request's span):
///
/// ```
/// use tower_http::trace::TraceLayer;
///
/// # fn doc(widget: otp_widget::WidgetBackend) {
/// let app: axum::Router = axum::Router::new()
///     .nest("/otp/", widget.router())
///     .layer(TraceLayer::new_for_http().make_span_with(otp_widget::RequestSpan));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> tracing::Span {
        tracing::info_span!(
            "otp_widget.request",
            method = %request.method(),
            path = %request.uri().path(),
        )
    }
}
