//! The actix-web mount: each request under the mount's prefix is answered by the widget's
//! routes, which read actix's request in place ([`RequestHead`]: no header is copied from
//! actix-web's `http` 0.2 to the routes' `http` 1), and the answer handed back. The body is
//! read here, within the back end's body limit and deadline (actix's payload cannot cross
//! threads); the routes then apply them as for any other host.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures::{FutureExt, StreamExt};

use crate::answer::Answer;
use crate::guard::body::{BodyRules, Incoming, Unread};
use crate::state::AppState;
use crate::{RequestHead, WidgetBackend};

impl WidgetBackend {
    /// The routes for an actix-web application, under `prefix` (`/otp`: `send` is then
    /// `POST /otp/`; `""` or `/` for the root), as a `configure` function for an `App` or a
    /// scope: every request the routes do not know, or under no prefix of their own, is
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
        let state = self.state.clone();
        let prefix: Arc<str> = mount_prefix(prefix).into();
        move |config: &mut web::ServiceConfig| {
            let (state, prefix) = (state.clone(), prefix.clone());
            config.default_service(web::to(
                move |request: HttpRequest, payload: web::Payload| {
                    let (state, prefix) = (state.clone(), prefix.clone());
                    async move { forward(&state, &prefix, &request, payload).await }
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

/// The part of `path` under `prefix` (the mount's root `/` for the prefix itself), or
/// `None` for a path not under it.
fn under_prefix<'p>(prefix: &str, path: &'p str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("/")
    } else {
        rest.starts_with('/').then_some(rest)
    }
}

/// An actix request as the routes read it, its path relative to the mount.
struct ActixHead<'r> {
    request: &'r HttpRequest,
    path: &'r str,
}

impl crate::head::sealed::Sealed for ActixHead<'_> {
    fn named(&self, name: &http::HeaderName) -> Option<&[u8]> {
        self.header(name.as_str())
    }

    fn each_named<'h>(&'h self, name: &http::HeaderName, each: &mut dyn FnMut(&'h [u8])) {
        self.each_header(name.as_str(), each);
    }
}

impl RequestHead for ActixHead<'_> {
    fn method(&self) -> &str {
        self.request.method().as_str()
    }

    fn path(&self) -> &str {
        self.path
    }

    fn query(&self) -> Option<&str> {
        self.request.uri().query()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.request.headers().get(name).map(|v| v.as_bytes())
    }

    fn each_header<'h>(&'h self, name: &str, each: &mut dyn FnMut(&'h [u8])) {
        for value in self.request.headers().get_all(name) {
            each(value.as_bytes());
        }
    }

    fn peer(&self) -> Option<SocketAddr> {
        self.request.peer_addr()
    }
}

/// Answers one actix request with the widget's routes.
async fn forward(
    state: &AppState,
    prefix: &str,
    request: &HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse<Bytes> {
    let Some(path) = under_prefix(prefix, request.uri().path()) else {
        return answer(crate::routes::unknown_route().answer());
    };
    // A request without a body (the widget's GETs) is handed on as one at once; a body is
    // read within the back end's limit and deadline: one byte past the limit is enough for
    // the routes to answer 413, and a body not sent by the deadline is answered 408.
    let body = match payload.next().now_or_never() {
        Some(None) => Ok(Bytes::new()),
        Some(first) => read_body(first, payload, state.body).await,
        None => read_body(None, payload, state.body).await,
    };
    let head = ActixHead { request, path };
    let body = Incoming::<http_body_util::Empty<Bytes>>::Read(body);
    answer(crate::routes::respond(state, &head, body).await)
}

/// A request's body, within the back end's limit (one byte past it is kept, for the routes
/// to refuse) and deadline: its `first` chunk when one was read already, then the rest.
async fn read_body(
    first: Option<Result<Bytes, actix_web::error::PayloadError>>,
    mut payload: web::Payload,
    rules: BodyRules,
) -> Result<Bytes, Unread> {
    let (limit, deadline) = rules.limits();
    let mut bytes = BytesMut::new();
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
        Ok(true) => Ok(bytes.freeze()),
        Ok(false) => Err(Unread::Failed),
        Err(_) => Err(Unread::Late),
    }
}

/// The routes' answer as actix-web's.
fn answer(answer: Answer) -> HttpResponse<Bytes> {
    use actix_web::http::header::{HeaderName, HeaderValue};
    let status = actix_web::http::StatusCode::from_u16(answer.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut reply = HttpResponse::with_body(status, answer.body);
    let headers = reply.headers_mut();
    headers.reserve(answer.headers.len());
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    reply
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
    fn only_paths_under_the_prefix_reach_the_routes_relative_to_it() {
        for (prefix, path, rest) in [
            ("/otp", "/otp", Some("/")),
            ("/otp", "/otp/", Some("/")),
            ("/otp", "/otp/widget/x", Some("/widget/x")),
            ("/otp", "/otpx/widget/x", None),
            ("/otp", "/other/otp/widget", None),
            ("/otp", "/", None),
            ("", "/widget/x", Some("/widget/x")),
            ("", "/", Some("/")),
        ] {
            assert_eq!(under_prefix(prefix, path), rest, "{prefix:?} {path:?}");
        }
    }

    /// What reaches the service through a mount, served by actix-web's own test server.
    fn status_of(prefix: &str, path: &str) -> (u16, String) {
        let widget = crate::WidgetBackend::for_tests([uuid::Uuid::nil()]);
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
