//! The actix-web mount: each request under the mount's prefix is handed to the widget's
//! service as an `http` request (with its peer address, as `ConnectInfo`), and the answer
//! handed back. The body is read here, within the back end's body limit and deadline (actix's
//! payload cannot cross threads); the service then applies them as for any other host.

use std::net::SocketAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use axum::extract::ConnectInfo;
use axum::http;
use axum::response::IntoResponse;
use futures::{FutureExt, StreamExt};
use tower::ServiceExt;

use crate::WidgetBackend;

impl WidgetBackend {
    /// The routes for an actix-web application, under `prefix` (`/otp`: `send` is then
    /// `POST /otp/`; `""` or `/` for the root), as a `configure` function for an `App` or a
    /// scope: every request the service does not know, or under no prefix of its own, is
    /// answered by the widget's own 404. The prefix is matched, as written, against the
    /// request's path as it arrived (not percent-decoded), the scope's included: in
    /// `web::scope("/otp")`, pass `/otp`. A scope with a dynamic segment (`/{tenant}`) is not
    /// a prefix this mount can match.
    ///
    /// ```no_run
    /// # async fn run(widget: otp_widget::WidgetBackend) -> std::io::Result<()> {
    /// use actix_web::{App, HttpServer, web};
    /// HttpServer::new(move || App::new().service(web::scope("/otp").configure(widget.actix("/otp"))))
    ///     .bind(("127.0.0.1", 3000))?
    ///     .run()
    ///     .await
    /// # }
    /// ```
    pub fn actix(&self, prefix: &str) -> impl Fn(&mut web::ServiceConfig) + Clone + use<> {
        let router = self.router::<()>();
        let prefix: std::sync::Arc<str> = mount_prefix(prefix).into();
        let body = self.state.body;
        move |config: &mut web::ServiceConfig| {
            let (router, prefix) = (router.clone(), prefix.clone());
            config.default_service(web::to(
                move |request: HttpRequest, payload: web::Payload| {
                    let (router, prefix) = (router.clone(), prefix.clone());
                    async move { forward(router, &prefix, body, request, payload).await }
                },
            ));
        }
    }
}

/// `prefix` as the start of the paths under it: `""` for the root, else `/` and its
/// segments without a trailing `/` (`otp/`, `/otp` and `/otp/` are all `/otp`).
fn mount_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// The path and query of `uri` relative to `prefix` (the mount's root `/` for the prefix
/// itself), or `None` for a path not under it.
fn under_prefix(prefix: &str, uri: &actix_web::http::Uri) -> Option<String> {
    let rest = uri.path().strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let path = if rest.is_empty() { "/" } else { rest };
    Some(match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_string(),
    })
}

/// Hands one actix request to the widget's service, and its answer back.
async fn forward(
    router: axum::Router,
    prefix: &str,
    body: crate::guard::body::BodyRules,
    request: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let Some(path) = under_prefix(prefix, request.uri()) else {
        return answer(crate::routes::unknown_route().into_response()).await;
    };
    let (Ok(method), Ok(uri)) = (
        http::Method::from_bytes(request.method().as_str().as_bytes()),
        http::Uri::try_from(path),
    ) else {
        return HttpResponse::BadRequest().finish();
    };
    let mut headers = http::HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            return HttpResponse::BadRequest().finish();
        };
        headers.append(name, value);
    }
    // A request without a body (the widget's GETs) is handed on as one at once; a body is
    // read within the back end's limit and deadline: one byte past the limit is enough for
    // the service to answer 413, and a body not sent by the deadline is handed on as one
    // that never ends, which the service answers 408.
    let body = match payload.next().now_or_never() {
        Some(None) => axum::body::Body::empty(),
        Some(first) => read_body(first, payload, body).await,
        None => read_body(None, payload, body).await,
    };
    let mut http = axum::http::Request::new(body);
    *http.method_mut() = method;
    *http.uri_mut() = uri;
    *http.headers_mut() = headers;
    if let Some(peer) = request.peer_addr() {
        http.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(peer));
    }
    match router.oneshot(http).await {
        Ok(response) => answer(response).await,
        Err(never) => match never {},
    }
}

/// A request's body, as the service's: its `first` chunk when one was read already, then
/// the rest.
async fn read_body(
    first: Option<Result<web::Bytes, actix_web::error::PayloadError>>,
    mut payload: web::Payload,
    rules: crate::guard::body::BodyRules,
) -> axum::body::Body {
    let (limit, deadline) = rules.limits();
    let mut bytes = web::BytesMut::new();
    let read = tokio::time::timeout(deadline, async {
        let mut next = match first {
            Some(chunk) => Some(chunk),
            None => payload.next().await,
        };
        while let Some(chunk) = next {
            let Ok(chunk) = chunk else { return false };
            bytes.extend_from_slice(&chunk);
            if bytes.len() > limit {
                break;
            }
            next = payload.next().await;
        }
        true
    })
    .await;
    match read {
        Ok(true) => axum::body::Body::from(bytes.freeze()),
        Ok(false) => axum::body::Body::from_stream(futures::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::other("the request body failed"))
        })),
        Err(_) => axum::body::Body::from_stream(futures::stream::pending::<
            Result<axum::body::Bytes, std::io::Error>,
        >()),
    }
}

/// The service's answer as actix-web's.
async fn answer(response: axum::response::Response) -> HttpResponse {
    use actix_web::http::header::{HeaderName, HeaderValue};
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return HttpResponse::BadGateway().finish();
    };
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = HttpResponse::with_body(status, bytes);
    let headers = reply.headers_mut();
    headers.reserve(parts.headers.len());
    for (name, value) in &parts.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    reply.map_into_boxed_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_written_one_way_whatever_its_slashes() {
        for (given, prefix) in [
            ("", ""),
            ("/", ""),
            ("//", ""),
            ("otp", "/otp"),
            ("/otp", "/otp"),
            ("/otp/", "/otp"),
            ("/api/otp", "/api/otp"),
        ] {
            assert_eq!(mount_prefix(given), prefix, "{given:?}");
        }
    }

    #[test]
    fn only_paths_under_the_prefix_reach_the_service_relative_to_it() {
        let uri = |s: &str| s.parse::<actix_web::http::Uri>().unwrap();
        for (prefix, path, rest) in [
            ("/otp", "/otp", Some("/")),
            ("/otp", "/otp/", Some("/")),
            ("/otp", "/otp/widget/x?a=1", Some("/widget/x?a=1")),
            ("/otp", "/otpx/widget/x", None),
            ("/otp", "/other/otp/widget", None),
            ("/otp", "/", None),
            ("", "/widget/x", Some("/widget/x")),
            ("", "/", Some("/")),
        ] {
            assert_eq!(
                under_prefix(prefix, &uri(path)).as_deref(),
                rest,
                "{prefix:?} {path:?}"
            );
        }
    }

    /// What reaches the service through a mount, served by actix-web's own test server.
    fn status_of(prefix: &str, path: &str) -> (u16, String) {
        let client = otp_client::Client::builder("token")
            .base_url("http://127.0.0.1:9/api/n/otp-handler")
            .build()
            .unwrap();
        let widget = crate::WidgetBackend::builder(client, [uuid::Uuid::nil()])
            .build()
            .unwrap();
        actix_web::rt::System::new().block_on(async move {
            let app = actix_web::test::init_service(
                actix_web::App::new().configure(widget.actix(prefix)),
            )
            .await;
            let request = actix_web::test::TestRequest::get().uri(path).to_request();
            let response = actix_web::test::call_service(&app, request).await;
            let status = response.status().as_u16();
            let body = actix_web::test::read_body(response).await;
            (status, String::from_utf8_lossy(&body).into_owned())
        })
    }

    #[test]
    fn a_mount_at_the_root_or_under_a_prefix_serves_and_refuses_the_rest_with_its_404() {
        let unknown_widget = "/widget/00000000-0000-0000-0000-000000000001";
        // The route is served (the widget is not one of the back end's: refused as such,
        // not as an unknown route), at the root and under a prefix however written.
        for (prefix, path) in [
            ("", unknown_widget.to_string()),
            ("/", unknown_widget.to_string()),
            ("otp/", format!("/otp{unknown_widget}")),
        ] {
            let (status, body) = status_of(prefix, &path);
            assert_ne!(status, 404, "{prefix:?} {path}: {body}");
            assert!(body.contains("Exception"), "{prefix:?} {path}: {body}");
        }
        for (prefix, path) in [
            ("/otp", "/elsewhere"),
            ("/otp", "/otpwidget/x"),
            ("", "/nowhere"),
        ] {
            let (status, body) = status_of(prefix, path);
            assert_eq!(status, 404, "{prefix:?} {path}: {body}");
            assert!(
                body.contains("RequestNotFoundException"),
                "{prefix:?} {path}: {body}"
            );
        }
    }
}
