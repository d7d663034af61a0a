//! The actix-web mount: each request under the mount's prefix is handed to the widget's
//! service as an `http` request (with its peer address, as `ConnectInfo`), and the answer
//! handed back. The body is read here, within the back end's body limit and deadline (actix's
//! payload cannot cross threads); the service then applies them as for any other host.

use std::net::SocketAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use axum::extract::ConnectInfo;
use futures::StreamExt;
use tower::ServiceExt;

use crate::WidgetBackend;

impl WidgetBackend {
    /// The routes for an actix-web application, under `prefix` (`/otp`: `send` is then
    /// `POST /otp/`), as a `configure` function for an `App` or a scope: every request the
    /// service does not know is answered by the widget's own 404.
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
        let router = axum::Router::new().nest(
            &format!("{}/", prefix.trim_end_matches('/')),
            self.router::<()>(),
        );
        let body = self.state.body;
        move |config: &mut web::ServiceConfig| {
            let router = router.clone();
            config.default_service(web::to(
                move |request: HttpRequest, payload: web::Payload| {
                    let router = router.clone();
                    async move { forward(router, body, request, payload).await }
                },
            ));
        }
    }
}

/// Hands one actix request to the widget's service, and its answer back.
async fn forward(
    router: axum::Router,
    body: crate::guard::body::BodyRules,
    request: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let mut builder = axum::http::Request::builder()
        .method(request.method().as_str())
        .uri(request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    // The body, read within the back end's limit and deadline: one byte past the limit is
    // enough for the service to answer 413, and a body not sent by the deadline is handed
    // on as one that never ends, which the service answers 408.
    let (limit, deadline) = body.limits();
    let mut bytes = web::BytesMut::new();
    let read = tokio::time::timeout(deadline, async {
        while let Some(chunk) = payload.next().await {
            let Ok(chunk) = chunk else { return false };
            bytes.extend_from_slice(&chunk);
            if bytes.len() > limit {
                break;
            }
        }
        true
    })
    .await;
    let body = match read {
        Ok(true) => axum::body::Body::from(bytes.freeze()),
        Ok(false) => axum::body::Body::from_stream(futures::stream::once(async {
            Err::<axum::body::Bytes, _>(std::io::Error::other("the request body failed"))
        })),
        Err(_) => axum::body::Body::from_stream(futures::stream::pending::<
            Result<axum::body::Bytes, std::io::Error>,
        >()),
    };
    let Ok(mut http) = builder.body(body) else {
        return HttpResponse::BadRequest().finish();
    };
    if let Some(peer) = request.peer_addr() {
        http.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(peer));
    }
    let response = match router.oneshot(http).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        answer.append_header((name.as_str(), value.as_bytes()));
    }
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => answer.body(bytes.to_vec()),
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}
