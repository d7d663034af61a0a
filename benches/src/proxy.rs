//! The two proxies the widget back end is measured between: the back end itself, and the
//! bare reverse proxy a team would write by hand with axum and reqwest (the token added,
//! status, content type and body passed back, nothing else); each in axum and in actix-web
//! (the back end through its actix mount, the bare proxy written for actix).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// A browser's GET through either proxy (what the widget's script does when it polls a
/// status), or the same GET straight to the service with the token (`authorization`).
pub async fn browser_get(
    client: &reqwest::Client,
    url: &str,
    authorization: Option<&str>,
    cookie: Option<&str>,
) -> bool {
    let mut request = client.get(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(value) = cookie {
        request = request.header("cookie", value);
    }
    let response = request.send().await.unwrap();
    let ok = response.status() == StatusCode::OK;
    ok && response.bytes().await.unwrap().starts_with(b"{")
}

/// The benchmarks' widget back ends' session secret.
const SESSION_SECRET: &str = "the benchmarks' own session secret, 32+ bytes";

/// The `Cookie` a browser of session `id` sends to the benchmarks' widget back ends (the
/// sessions are started by the benchmark, not through the back end).
pub fn widget_cookie(id: &str) -> String {
    let client = otp_client::Client::builder("unused")
        .base_url("http://127.0.0.1:9/api/n/otp-handler")
        .build()
        .unwrap();
    // As the benchmarks' back ends set it: plain http, so not `Secure` (a secure back end
    // reads only the `__Host-` cookie).
    let backend = otp_widget::WidgetBackend::builder(client, [uuid::Uuid::nil()])
        .session_secret(SESSION_SECRET)
        .secure_cookie(false)
        .build()
        .unwrap();
    let id: otp_client::RequestId = id.parse().unwrap();
    let cookie = backend.session_cookie(&id);
    cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// The widget back end over the service at `upstream` (its base URL), for `widgets`, with the settings a
/// deployment keeps: with `per_ip_limit`, the per-IP request limit counted in the default
/// store (only raised so that one benchmarking address is never refused); without it, no
/// per-IP limit (to see what counting costs). With `upstream_h2`, it speaks HTTP/2 to the
/// service (as over TLS to the real one), all calls on one connection.
pub fn widget(
    upstream: &str,
    token: &str,
    widgets: &[uuid::Uuid],
    upstream_h2: bool,
    per_ip_limit: bool,
) -> Router {
    widget_backend(upstream, token, widgets, upstream_h2, per_ip_limit).router()
}

/// The back end that [`widget`] routes.
pub fn widget_backend(
    upstream: &str,
    token: &str,
    widgets: &[uuid::Uuid],
    upstream_h2: bool,
    per_ip_limit: bool,
) -> otp_widget::WidgetBackend {
    let mut client = otp_client::Client::builder(token)
        .base_url(upstream)
        .long_poll_timeout(Duration::from_secs(600));
    if upstream_h2 {
        client = client.http2_prior_knowledge();
    }
    let client = client.build().unwrap();
    otp_widget::WidgetBackend::builder(client, widgets.iter().copied())
        .session_secret(SESSION_SECRET)
        .secure_cookie(false)
        .per_ip_request_limit(
            per_ip_limit.then_some(otp_widget::Limit::new(u32::MAX, Duration::from_secs(60))),
        )
        // Every benchmark browser has one address: the caps on held long-polls are raised
        // past what the long-poll bench holds.
        .max_long_polls(otp_widget::LongPollCaps {
            per_client: usize::MAX,
            per_session: usize::MAX,
            total: usize::MAX,
        })
        .build()
        .unwrap()
}

struct Bare {
    client: reqwest::Client,
    upstream: String,
    authorization: String,
}

impl Bare {
    /// What both bare proxies hold: a client to `upstream` (over HTTP/2 with `upstream_h2`)
    /// and the token's header.
    fn new(upstream: &str, token: &str, upstream_h2: bool) -> Self {
        let builder = reqwest::Client::builder().timeout(Duration::from_secs(600));
        let builder = if upstream_h2 {
            builder.http2_prior_knowledge()
        } else {
            builder
        };
        Self {
            client: builder.build().unwrap(),
            upstream: upstream.trim_end_matches('/').to_string(),
            authorization: format!("Bearer {token}"),
        }
    }
}

/// The bare reverse proxy, by hand: every GET and POST forwarded to the same path under
/// `upstream`, with the token; over HTTP/2 with `upstream_h2`, as [`widget`].
pub fn bare(upstream: &str, token: &str, upstream_h2: bool) -> Router {
    let state = Arc::new(Bare::new(upstream, token, upstream_h2));
    Router::new()
        .route("/{*path}", get(forward).post(forward))
        .with_state(state)
}

async fn forward(
    State(bare): State<Arc<Bare>>,
    method: axum::http::Method,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let sent = bare
        .client
        .request(method, format!("{}{path}", bare.upstream))
        .header("authorization", &bare.authorization)
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    let Ok(response) = sent else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    match response.bytes().await {
        Ok(body) => {
            let mut reply = (status, body).into_response();
            if let Some(ct) = content_type {
                reply.headers_mut().insert(CONTENT_TYPE, ct);
            }
            reply
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[cfg(feature = "actix")]
/// The bare reverse proxy of [`bare`], written for actix-web: every request forwarded to the
/// same path under `upstream`, with the token, over HTTP/1.1.
pub fn bare_actix(
    upstream: &str,
    token: &str,
) -> impl Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static {
    let bare = actix_web::web::Data::new(Bare::new(upstream, token, false));
    move |config| {
        config
            .app_data(bare.clone())
            .default_service(actix_web::web::to(forward_actix));
    }
}

#[cfg(feature = "actix")]
async fn forward_actix(
    bare: actix_web::web::Data<Bare>,
    request: actix_web::HttpRequest,
    body: actix_web::web::Bytes,
) -> actix_web::HttpResponse {
    use actix_web::HttpResponse;
    let path = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let Ok(method) = reqwest::Method::from_bytes(request.method().as_str().as_bytes()) else {
        return HttpResponse::MethodNotAllowed().finish();
    };
    let sent = bare
        .client
        .request(method, format!("{}{path}", bare.upstream))
        .header("authorization", &bare.authorization)
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    let Ok(response) = sent else {
        return HttpResponse::BadGateway().finish();
    };
    let status = actix_web::http::StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    match response.bytes().await {
        Ok(body) => {
            let mut reply = HttpResponse::build(status);
            if let Some(ct) = content_type {
                reply.insert_header(("content-type", ct.as_bytes()));
            }
            reply.body(body)
        }
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}

#[cfg(feature = "actix")]
/// Serves the actix-web application `configure` makes (one worker, as the axum servers'
/// one runtime) on a loopback port, on a thread of its own (actix runs its own runtime).
pub fn serve_actix(
    configure: impl Fn(&mut actix_web::web::ServiceConfig) + Clone + Send + 'static,
) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || actix_web::App::new().configure(configure.clone()))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
                .await
                .unwrap();
        });
    });
    addr
}

/// Serves `router` with the peer address each request came from (which the widget back end
/// reads), on a loopback port, in the background.
pub fn serve_with_peers(router: Router) -> SocketAddr {
    crate::in_background(|| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap()
        });
        addr
    })
}
