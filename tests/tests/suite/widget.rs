//! The widget back end, as a browser sees it, over the in-process sandbox: every route
//! passes the service's answers through; the router's own refusals have the service's
//! shape; captchas, client addresses, quotas and the per-phone limit work as documented;
//! two replicas share a real Redis.

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use common::drive::*;
use common::*;
use otp_sandbox::{CODE_WIDGET, DEFAULT_TOKEN, Sandbox, SandboxConfig};
use otp_widget::{Captcha, TrustedProxies, WidgetBackend, WidgetBackendBuilder};
use serde_json::{Value, json};

/// A widget back end mounted at `/otp` of a server on loopback, over a sandbox.
pub(crate) struct Stack {
    pub(crate) sandbox: Arc<Sandbox>,
    /// The router's base, as the browser calls it: `http://127.0.0.1:PORT/otp`.
    pub(crate) url: String,
    pub(crate) browser: reqwest::Client,
}

pub(crate) async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// Serves `widget` at `/otp` on loopback, in the framework `WIDGET_MOUNT` names: axum (the
/// default) or actix-web (`actix`). The same tests run against both mounts.
pub(crate) async fn mount(widget: &WidgetBackend) -> SocketAddr {
    match std::env::var("WIDGET_MOUNT").as_deref() {
        Ok("actix") => serve_actix(widget.clone()),
        Ok("axum") | Err(_) => serve(Router::new().nest("/otp/", widget.router())).await,
        Ok(other) => panic!("WIDGET_MOUNT={other}: the mounts are `axum` and `actix`"),
    }
}

/// `widget` under `/otp` of an actix-web server on loopback, on a thread of its own (actix
/// runs its own runtime).
fn serve_actix(widget: WidgetBackend) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || {
                actix_web::App::new().configure(widget.actix("/otp"))
            })
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

pub(crate) async fn stack_on(
    sandbox: Sandbox,
    configure: impl FnOnce(WidgetBackendBuilder) -> WidgetBackendBuilder,
) -> Stack {
    let client = async_client_as(&sandbox.base_url(), DEFAULT_TOKEN);
    // Over plain http on loopback: the session cookie cannot be `Secure`.
    let widget = configure(WidgetBackend::builder(client, [CODE_WIDGET]).secure_cookie(false))
        .build()
        .expect("the back end builds");
    let addr = mount(&widget).await;
    Stack {
        sandbox: Arc::new(sandbox),
        url: format!("http://{addr}/otp"),
        browser: browser(),
    }
}

pub(crate) async fn stack(
    configure: impl FnOnce(WidgetBackendBuilder) -> WidgetBackendBuilder,
) -> Stack {
    stack_on(sandbox(config()).await, configure).await
}

/// A browser: it keeps the cookies the back end sets, as a real one does.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A browser's call: the status and the JSON body.
pub(crate) async fn browse(
    stack: &Stack,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let url = format!("{}{path}", stack.url);
    let mut request = match method {
        "GET" => stack.browser.get(&url),
        _ => stack.browser.post(&url),
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.expect("the router answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(DEFAULT_TOKEN),
        "the token reached the browser: {text}"
    );
    let body =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {path}: {e}: {text}"));
    (status, body, headers)
}

/// The browser's `send` of `phone`, with a captcha token when one is given.
pub(crate) async fn send(
    stack: &Stack,
    phone: &str,
    captcha: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut body = json!({"widgetId": CODE_WIDGET.to_string(), "recipient": phone});
    if let Some(token) = captcha {
        body["captchaToken"] = json!(token);
    }
    browse(stack, "POST", "/", Some(body), headers).await
}

/// A session started through the router: its request id.
pub(crate) async fn start(stack: &Stack, phone: &str) -> String {
    let (status, body, _) = send(stack, phone, None, &[]).await;
    assert_eq!(status, 201, "send {phone}: {body}");
    body["requestId"].as_str().expect("a requestId").to_string()
}

/// The browser's call for operation `op` with `args`, as the vendor's widget makes it.
fn route(op: &otp_client_codegen::Operation, args: &Args) -> (String, String, Option<Value>) {
    let path = op
        .path
        .replace("{requestId}", &args.request_id)
        .replace("{widgetId}", &args.widget_id);
    let has_recipient = op
        .parameters
        .iter()
        .any(|(n, at)| n == "recipient" && at == "query");
    let query = if has_recipient {
        let phone: String =
            url::form_urlencoded::byte_serialize(args.recipient.as_bytes()).collect();
        format!("?recipient={phone}")
    } else {
        String::new()
    };
    let body = match op.id.as_str() {
        "send" => Some(json!({"widgetId": args.widget_id, "recipient": args.recipient})),
        "checkCode" => Some(json!({"code": args.code})),
        _ => None,
    };
    (op.http_method.clone(), format!("{path}{query}"), body)
}

fn error_shape(kind: &str, status: u16) -> impl Fn(&Value) -> bool {
    let kind = kind.to_string();
    move |body: &Value| body["type"] == kind.as_str() && body["httpStatus"] == status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_passes_the_services_success_and_documented_errors_through() {
    let spec = spec();
    let ops: Vec<_> = spec.operations();
    let mut checked = 0;
    for op in &ops {
        if op.id == "checkStatusAndComplete" {
            continue;
        }
        for (status, kind) in &op.exceptions {
            if NOT_REACHABLE.contains(&(op.id.as_str(), kind.as_str())) {
                continue;
            }
            // ForbiddenException needs another token: a back end configured with it.
            let sb = sandbox(config_for(kind)).await;
            let reached = drive(&sb, &op.id, kind).await;
            let client = async_client_as(&sb.base_url(), reached.token);
            // The widget the case names is allowed: the service's own answer passes through.
            let widget = WidgetBackend::builder(client, [reached.args.widget_id()])
                .test_numbers(otp_sandbox::SCENARIOS.iter().map(|s| s.phone))
                .per_phone_limit(None)
                .secure_cookie(false)
                .build()
                .unwrap();
            // The case's session was started by the test, not through this back end: the
            // cookie a server gives a browser for such a session.
            let cookie = widget.session_cookie(&reached.args.request_id());
            let cookie = cookie
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let addr = mount(&widget).await;
            let stack = Stack {
                sandbox: Arc::new(sb),
                url: format!("http://{addr}/otp"),
                browser: browser(),
            };
            let (method, path, body) = route(op, &reached.args);
            let (seen, answer, _) =
                browse(&stack, &method, &path, body, &[("cookie", &cookie)]).await;
            let example = spec.error_example(kind).unwrap();
            assert_eq!(seen, *status, "{} {kind}: {answer}", op.id);
            assert_eq!(
                answer, example,
                "{} {kind}: the service's body, unchanged",
                op.id
            );
            checked += 1;
        }
    }
    let expected = ops
        .iter()
        .filter(|o| o.id != "checkStatusAndComplete")
        .flat_map(|o| {
            o.exceptions
                .iter()
                .map(move |(_, k)| (o.id.as_str(), k.as_str()))
        })
        .filter(|pair| !NOT_REACHABLE.contains(pair))
        .count();
    assert_eq!(
        checked, expected,
        "every documented error but checkStatusAndComplete's"
    );

    // The successes, one flow through every route.
    let stack = stack(|b| b).await;
    let (status, widget, _) =
        browse(&stack, "GET", &format!("/widget/{CODE_WIDGET}"), None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(widget["name"], "Sandbox: code");
    assert_eq!(widget["captchaIsRequired"], false, "{widget}");
    let id = start(&stack, RECIPIENT).await;
    let (status, channel, _) = browse(
        &stack,
        "GET",
        &format!("/longPolling/{id}/channel"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200, "{channel}");
    let (status, again, _) = browse(&stack, "GET", &format!("/{id}/channel"), None, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(again["type"], "sms");
    let phone: String = url::form_urlencoded::byte_serialize(RECIPIENT.as_bytes()).collect();
    let (status, body, _) = browse(
        &stack,
        "GET",
        &format!("/{id}/status?recipient={phone}"),
        None,
        &[],
    )
    .await;
    assert_eq!((status, body), (200, json!({"success": false})));
    let code = stack.sandbox.code(&id).unwrap();
    let (status, body, _) = browse(
        &stack,
        "POST",
        &format!("/{id}/checkCode"),
        Some(json!({"code": code})),
        &[],
    )
    .await;
    assert_eq!((status, body), (201, json!({"success": true})));
    let (status, body, _) = browse(
        &stack,
        "GET",
        &format!("/longPolling/{id}/status?recipient={phone}"),
        None,
        &[],
    )
    .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    // The application finishes server-side; the browser cannot.
    let (status, body, _) = browse(
        &stack,
        "POST",
        &format!("/{id}/checkStatusAndComplete?recipient={phone}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        error_shape("RequestNotFoundException", 404)(&body),
        "{body}"
    );
    let verified = async_client_as(&stack.sandbox.base_url(), DEFAULT_TOKEN)
        .finish(&id.parse().unwrap(), RECIPIENT)
        .await
        .expect("the application's own finish");
    assert_eq!(verified.recipient(), RECIPIENT);
    let other = start(&stack, "+79990000002").await;
    let (status, body, _) = browse(&stack, "POST", &format!("/{other}/resend"), None, &[]).await;
    assert_eq!(status, 409, "the cooldown: {body}");
    let (status, body, _) = browse(&stack, "POST", &format!("/{other}/complete"), None, &[]).await;
    assert_eq!((status, body), (201, json!({"success": true})));
}

#[tokio::test]
async fn the_routers_own_refusals_have_the_services_shape() {
    let stack = stack(|b| b.body_limit(256).expose_complete(false)).await;
    // A session this browser started (its cookie is in the browser), so that each case's
    // own check is the one that answers.
    let id = start(&stack, RECIPIENT).await;
    let stranger = uuid::Uuid::new_v4();
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        // A session this browser did not start: no such session.
        (
            "GET",
            format!("/{stranger}/channel"),
            None,
            404,
            "SessionNotFoundException",
        ),
        // Not a session id: no such session.
        (
            "GET",
            "/..%5C..%5Cx/channel".into(),
            None,
            404,
            "SessionNotFoundException",
        ),
        (
            "GET",
            "/not-a-uuid/channel".into(),
            None,
            404,
            "SessionNotFoundException",
        ),
        (
            "GET",
            "/widget/not-a-uuid".into(),
            None,
            404,
            "WidgetNotFoundException",
        ),
        // No phone number, or a blank one.
        ("GET", format!("/{id}/status"), None, 400, "ValidateError"),
        (
            "GET",
            format!("/{id}/status?recipient=%20"),
            None,
            400,
            "ValidateError",
        ),
        (
            "POST",
            "/".into(),
            Some(json!({"widgetId": "x", "recipient": RECIPIENT})),
            400,
            "ValidateError",
        ),
        (
            "POST",
            "/".into(),
            Some(json!({"widgetId": CODE_WIDGET.to_string()})),
            400,
            "ValidateError",
        ),
        (
            "POST",
            format!("/{id}/checkCode"),
            Some(json!({"code": "1".repeat(1000)})),
            413,
            "ValidateError",
        ),
        (
            "POST",
            "/".into(),
            Some(json!({"widgetId": CODE_WIDGET.to_string(), "recipient": "1".repeat(1000)})),
            413,
            "ValidateError",
        ),
        // `complete` turned off; an unknown path.
        (
            "POST",
            format!("/{id}/complete"),
            None,
            404,
            "RequestNotFoundException",
        ),
        (
            "GET",
            "/no/such/route".into(),
            None,
            404,
            "RequestNotFoundException",
        ),
    ];
    for (method, path, body, status, kind) in cases {
        let (seen, answer, _) = browse(&stack, method, &path, body, &[]).await;
        assert_eq!(seen, status, "{method} {path}: {answer}");
        assert!(
            error_shape(kind, status)(&answer),
            "{method} {path}: {answer}"
        );
        assert!(answer["message"].is_string(), "{answer}");
    }
    // Each browser route whose operation has a request body in the spec has the limit: an
    // operation with a body added to the spec is tried too.
    let args = Args {
        widget_id: CODE_WIDGET.to_string(),
        request_id: id.clone(),
        ..Args::default()
    };
    let with_body: Vec<_> = spec()
        .operations()
        .into_iter()
        .filter(|op| {
            op.widget == Some(otp_client_codegen::WidgetExposure::Browser)
                && op.body_schema.is_some()
        })
        .collect();
    assert!(!with_body.is_empty(), "no browser operation with a body");
    for op in &with_body {
        let (method, path, _) = route(op, &args);
        let big = json!({"padding": "1".repeat(1000)});
        let (seen, answer, _) = browse(&stack, &method, &path, Some(big), &[]).await;
        assert_eq!(seen, 413, "{} {method} {path}: {answer}", op.id);
    }
    // Malformed JSON.
    let response = stack
        .browser
        .post(format!("{}/{id}/checkCode", stack.url))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "ValidateError");
    assert_eq!(body["message"], "Ошибка валидации", "the vendor's words");
}

#[tokio::test]
async fn the_per_phone_limit_answers_429_with_retry_after_before_the_service() {
    let stack =
        stack(|b| b.per_phone_limit(Some(otp_widget::Limit::new(2, Duration::from_millis(700)))))
            .await;
    let send_number = |phone: &'static str| send(&stack, phone, None, &[]);
    assert_eq!(send_number("+79990000001").await.0, 201);
    // The same number written another way is the same number.
    assert_eq!(send_number("+7 999 000-00-01").await.0, 201);
    let (status, body, headers) = send_number("+79990000001").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(
        body,
        json!({"type": "RateLimitException", "message": "Ошибка RateLimit", "httpStatus": 429})
    );
    assert_eq!(
        headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(
        stack.sandbox.session_count(),
        2,
        "the third never reached the service"
    );
    // Another number is not limited; the window ends.
    assert_eq!(send_number("+79990000002").await.0, 201);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(send_number("+79990000001").await.0, 201);
}

// --- Captchas --------------------------------------------------------------------------------

/// How the fake provider answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Provider {
    Yes,
    No,
    Score(f64),
    Down,
    Slow,
    Garbage,
    /// This answer, as it is.
    Json(&'static str),
}

/// A captcha provider on loopback that records each verify call's form.
pub(crate) async fn fake_provider(
    mode: Provider,
) -> (String, Arc<Mutex<Vec<Vec<(String, String)>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().route(
        "/verify",
        axum::routing::post(move |body: String| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(
                    url::form_urlencoded::parse(body.as_bytes())
                        .into_owned()
                        .collect(),
                );
                let ok = |yes: bool| {
                    json!({"success": yes, "status": if yes {"ok"} else {"failed"}}).to_string()
                };
                match mode {
                    Provider::Yes => (axum::http::StatusCode::OK, ok(true)),
                    Provider::No => (axum::http::StatusCode::OK, ok(false)),
                    Provider::Score(s) => (
                        axum::http::StatusCode::OK,
                        json!({"success": true, "score": s}).to_string(),
                    ),
                    Provider::Down => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down".into()),
                    Provider::Slow => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        (axum::http::StatusCode::OK, ok(true))
                    }
                    Provider::Garbage => (axum::http::StatusCode::OK, "<html>".into()),
                    Provider::Json(answer) => (axum::http::StatusCode::OK, answer.to_string()),
                }
            }
        }),
    );
    let addr = serve(app).await;
    (format!("http://{addr}/verify"), seen)
}

/// The browser's `send` of a number no other call of this file sends.
pub(crate) async fn send_with(
    stack: &Stack,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let phone = format!("+7999{:07}", rand_phone());
    let (status, body, _) = send(stack, &phone, token, headers).await;
    (status, body)
}

fn rand_phone() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn captcha_refused(status: u16, body: &Value) -> bool {
    status == 403
        && body["type"] == "CaptchaNotConfirmedException"
        && body["message"] == "Капча не подтверждена"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captcha_is_asked_after_the_free_sends_and_checked_with_the_provider() {
    type Make = fn(&str) -> Captcha;
    let providers: [(Make, &str); 3] = [
        (|s| Captcha::google(s), "google"),
        (|s| Captcha::yandex(s), "yandex"),
        (|s| Captcha::cloudflare(s), "cloudflare"),
    ];
    for (captcha, name) in providers {
        let (url, seen) = fake_provider(Provider::Yes).await;
        let stack = stack(|b| {
            b.captcha(
                captcha("s3cret")
                    .verify_url(&url)
                    .free_sends(2, Duration::from_secs(60)),
            )
        })
        .await;
        let widget_path = format!("/widget/{CODE_WIDGET}");
        let (_, widget, _) = browse(&stack, "GET", &widget_path, None, &[]).await;
        assert_eq!(
            (&widget["captchaIsRequired"], &widget["captchaProvider"]),
            (&json!(false), &json!(name))
        );
        // Two free sends, no token needed.
        for _ in 0..2 {
            assert_eq!(send_with(&stack, None, &[]).await.0, 201, "{name}");
        }
        let (_, widget, _) = browse(&stack, "GET", &widget_path, None, &[]).await;
        assert_eq!(widget["captchaIsRequired"], true, "{name}: {widget}");
        // Then none without a token…
        let (status, body) = send_with(&stack, None, &[]).await;
        assert!(captcha_refused(status, &body), "{name}: {status} {body}");
        // …one that the provider confirms goes through, once.
        assert_eq!(send_with(&stack, Some("tok-1"), &[]).await.0, 201, "{name}");
        let (status, body) = send_with(&stack, Some("tok-1"), &[]).await;
        assert!(
            captcha_refused(status, &body),
            "{name}: a token is accepted once: {body}"
        );
        // The provider got the secret, the token and the client's address.
        let calls = seen.lock().unwrap().clone();
        // The provider is asked first (so that junk tokens are never stored), and the reuse
        // is refused even though this fake provider says yes twice.
        assert_eq!(calls.len(), 2, "{name}");
        let form: std::collections::HashMap<_, _> = calls[0].iter().cloned().collect();
        let (token_field, ip_field) = if name == "yandex" {
            ("token", "ip")
        } else {
            ("response", "remoteip")
        };
        assert_eq!(
            form.get("secret").map(String::as_str),
            Some("s3cret"),
            "{name}: {form:?}"
        );
        assert_eq!(
            form.get(token_field).map(String::as_str),
            Some("tok-1"),
            "{name}: {form:?}"
        );
        assert_eq!(
            form.get(ip_field).map(String::as_str),
            Some("127.0.0.1"),
            "{name}: {form:?}"
        );
        assert_eq!(stack.sandbox.session_count(), 3, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captcha_fails_closed() {
    let cases = [
        (Provider::No, Captcha::google("s")),
        (Provider::Down, Captcha::cloudflare("s")),
        (
            Provider::Slow,
            Captcha::yandex("s").timeout(Duration::from_millis(300)),
        ),
        (Provider::Garbage, Captcha::google("s")),
        (Provider::Score(0.3), Captcha::google_v3("s", 0.5)),
        (Provider::Yes, Captcha::google_v3("s", 0.5)), // v3 without a score
    ];
    for (mode, captcha) in cases {
        let (url, _) = fake_provider(mode).await;
        let captcha = captcha
            .verify_url(&url)
            .free_sends(0, Duration::from_secs(60));
        let stack = stack(|b| b.captcha(captcha)).await;
        let (status, body) = send_with(&stack, Some(&format!("tok-{mode:?}")), &[]).await;
        assert!(captcha_refused(status, &body), "{mode:?}: {status} {body}");
        assert_eq!(stack.sandbox.session_count(), 0, "{mode:?}: nothing sent");
    }
    // A provider that is not there at all.
    let absent = stack(|b| {
        b.captcha(
            Captcha::google("s")
                .verify_url("http://127.0.0.1:9/verify")
                .free_sends(0, Duration::from_secs(60)),
        )
    })
    .await;
    let (status, body) = send_with(&absent, Some("tok"), &[]).await;
    assert!(captcha_refused(status, &body), "{status} {body}");
    // A high enough score passes.
    let (url, _) = fake_provider(Provider::Score(0.9)).await;
    let scored = stack(|b| {
        b.captcha(
            Captcha::google_v3("s", 0.5)
                .verify_url(&url)
                .free_sends(0, Duration::from_secs(60)),
        )
    })
    .await;
    assert_eq!(send_with(&scored, Some("tok"), &[]).await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    let (url, seen) = fake_provider(Provider::No).await;
    let captcha = || {
        Captcha::google("s")
            .verify_url(&url)
            .free_sends(1, Duration::from_secs(60))
    };
    // Untrusted: whatever X-Forwarded-For says, the quota is the peer's (127.0.0.1).
    let untrusted = stack(|b| b.captcha(captcha())).await;
    assert_eq!(
        send_with(&untrusted, None, &[("x-forwarded-for", "198.51.100.1")])
            .await
            .0,
        201
    );
    let (status, body) = send_with(&untrusted, None, &[("x-forwarded-for", "198.51.100.2")]).await;
    assert!(
        captcha_refused(status, &body),
        "a spoofed header bought nothing: {body}"
    );
    // Trusted (loopback is our proxy): each forwarded client has its own quota.
    let trusted = stack(|b| {
        b.captcha(captcha())
            .trusted_proxies(TrustedProxies::new(["127.0.0.0/8".parse().unwrap()]))
    })
    .await;
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let forwarded = format!("1.1.1.1, {client}");
        assert_eq!(
            send_with(&trusted, None, &[("x-forwarded-for", &forwarded)])
                .await
                .0,
            201,
            "{client}"
        );
    }
    let (status, body) = send_with(
        &trusted,
        None,
        &[("x-forwarded-for", "9.9.9.9, 198.51.100.1")],
    )
    .await;
    assert!(
        captcha_refused(status, &body),
        "the right-most untrusted hop counted: {body}"
    );
    // A resolver of the application's own.
    let custom = stack(|b| {
        b.captcha(captcha())
            .client_ip(|_| Some("203.0.113.50".parse().unwrap()))
    })
    .await;
    assert_eq!(send_with(&custom, None, &[]).await.0, 201);
    let (status, body) = send_with(&custom, Some("tok-custom"), &[]).await;
    assert!(captcha_refused(status, &body), "{status} {body}");
    // The provider was told the address the application's resolver gave.
    let asked = seen.lock().unwrap().last().cloned().unwrap_or_default();
    assert!(
        asked.contains(&("remoteip".to_string(), "203.0.113.50".to_string())),
        "the provider saw {asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_free_quota_starts_again_when_its_window_ends() {
    let (url, _) = fake_provider(Provider::No).await;
    let stack = stack(|b| {
        b.captcha(
            Captcha::yandex("s")
                .verify_url(&url)
                .free_sends(1, Duration::from_millis(500)),
        )
    })
    .await;
    assert_eq!(send_with(&stack, None, &[]).await.0, 201);
    assert_eq!(send_with(&stack, None, &[]).await.0, 403);
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_eq!(send_with(&stack, None, &[]).await.0, 201, "a new window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_redis_quota() {
    let redis = common::redis::RedisServer::start();
    let (url, seen) = fake_provider(Provider::Yes).await;
    let sb = Arc::new(sandbox(config()).await);
    let base = sb.base_url();
    // Two back ends, each with its own connection, over one service and one Redis.
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = otp_widget::RedisStore::connect(&redis.url())
            .await
            .expect("redis connects");
        let captcha = Captcha::google("s")
            .verify_url(&url)
            .free_sends(2, Duration::from_secs(60));
        let client = async_client_as(&base, DEFAULT_TOKEN);
        let widget = WidgetBackend::builder(client, [CODE_WIDGET])
            .captcha(captcha)
            .per_phone_limit(Some(otp_widget::Limit::new(3, Duration::from_secs(60))))
            .store(store)
            .build()
            .unwrap();
        let addr = mount(&widget).await;
        replicas.push(format!("http://{addr}/otp"));
    }
    let stack = |i: usize| Stack {
        sandbox: sb.clone(),
        url: replicas[i].clone(),
        browser: browser(),
    };
    let (a, b) = (stack(0), stack(1));
    // The free sends are counted once for both.
    assert_eq!(send_with(&a, None, &[]).await.0, 201);
    assert_eq!(send_with(&b, None, &[]).await.0, 201);
    let (status, body) = send_with(&a, None, &[]).await;
    assert!(
        captcha_refused(status, &body),
        "the third free send, on either replica: {body}"
    );
    let (_, widget, _) = browse(&b, "GET", &format!("/widget/{CODE_WIDGET}"), None, &[]).await;
    assert_eq!(widget["captchaIsRequired"], true, "{widget}");
    // A token spent on one replica is spent on the other.
    assert_eq!(send_with(&a, Some("shared-token"), &[]).await.0, 201);
    let (status, body) = send_with(&b, Some("shared-token"), &[]).await;
    assert!(captcha_refused(status, &body), "{body}");
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "asked twice, refused the second time"
    );
    // The per-phone limit too: 3 sends of one number, whichever replica takes them.
    let phone = "+79995551234";
    for (i, stack) in [&a, &b, &a].into_iter().enumerate() {
        let (status, answer, _) = send(stack, phone, Some(&format!("p{i}")), &[]).await;
        assert_eq!(status, 201, "send {i}: {answer}");
    }
    let (status, answer, headers) = send(&b, phone, Some("p3"), &[]).await;
    assert_eq!(status, 429, "{answer}");
    assert!(headers.contains_key("retry-after"));
    // Nothing in Redis holds the phone number.
    let mut connection = redis_client(&redis.url()).await;
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| !k.contains("9995551234") && k.starts_with("otp-widget:")),
        "{keys:?}"
    );
}

async fn redis_client(url: &str) -> ::redis::aio::MultiplexedConnection {
    ::redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_answer_refuses() {
    let redis = common::redis::RedisServer::start();
    let port = redis.port();
    let store = otp_widget::RedisStore::connect(&redis.url()).await.unwrap();
    drop(redis);
    let stack = stack(|b| b.store(store)).await;
    // Redis is gone: refused, and soon (a bound on the refusal, with the store's 500 ms
    // timeouts; it waited about 9.5 s before them).
    let asked = std::time::Instant::now();
    let (status, body) = send_with(&stack, None, &[]).await;
    let waited = asked.elapsed();
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["type"], "InternalServerErrorException");
    assert_eq!(stack.sandbox.session_count(), 0, "failed closed");
    assert!(waited < Duration::from_secs(3), "refused after {waited:?}");
    // Redis is back: the store recovers by itself.
    let _redis = common::redis::RedisServer::start_on(port);
    let mut recovered = false;
    for _ in 0..50 {
        if send_with(&stack, None, &[]).await.0 == 201 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the store did not recover after Redis came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_is_held_as_long_as_the_service_holds_it_and_dropped_with_the_browser() {
    // The service holds a long-poll for 1.5 s before its 408.
    let sb = Sandbox::start(SandboxConfig {
        hold: Duration::from_millis(1500),
        ..config()
    })
    .await
    .unwrap();
    let stack = stack_on(sb, |b| b).await;
    let (status, sent, headers) = send(&stack, RECIPIENT, None, &[]).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["requestId"].as_str().unwrap().to_string();
    // The session's cookie, for the raw request below (the browser keeps its own).
    let cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the send sets the session's cookie")
        .to_string();
    // Until the channel is sent, each long-poll answers a change.
    loop {
        let (status, channel, _) = browse(
            &stack,
            "GET",
            &format!("/longPolling/{id}/channel"),
            None,
            &[],
        )
        .await;
        assert_eq!(status, 200, "{channel}");
        if channel["status"] == "sent" {
            break;
        }
    }
    // Then nothing changes: held until the service's own 408.
    let (status, body, _) = browse(
        &stack,
        "GET",
        &format!("/longPolling/{id}/channel"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (status, &body["type"]),
        (408, &json!("LongPollingTimeoutException")),
        "held, then the service's 408: {body}"
    );

    // A browser that goes away: the upstream call goes with it.
    let held = stack.sandbox.held_long_polls();
    let mut stream = tokio::net::TcpStream::connect(
        stack
            .url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap(),
    )
    .await
    .unwrap();
    use tokio::io::AsyncWriteExt;
    let request = format!(
        "GET /otp/longPolling/{id}/channel HTTP/1.1\r\nhost: x\r\ncookie: {cookie}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    wait_for(
        || stack.sandbox.held_long_polls() == held + 1,
        "the long-poll reached the service",
    )
    .await;
    drop(stream);
    wait_for(
        || stack.sandbox.held_long_polls() == held,
        "the service's long-poll was dropped",
    )
    .await;
}

async fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not within 2 s");
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let stack = stack(|b| b.allowed_origins(["https://app.example"])).await;
    let preflight = |origin: &'static str| {
        stack
            .browser
            .request(reqwest::Method::OPTIONS, format!("{}/", stack.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example")
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_before_the_service_is_called() {
    let stack = stack(|b| b).await;
    // What a page of another origin can send without the browser asking first.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let response = stack
            .browser
            .post(format!("{}/", stack.url))
            .header("content-type", content_type)
            .body(format!(
                r#"{{"widgetId":"{CODE_WIDGET}","recipient":"{RECIPIENT}"}}"#
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "ValidateError", "{content_type}");
    }
    assert_eq!(stack.sandbox.session_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn every_route_has_a_per_ip_request_limit() {
    let stack =
        stack(|b| b.per_ip_request_limit(Some(otp_widget::Limit::new(3, Duration::from_secs(60)))))
            .await;
    let path = format!("/widget/{CODE_WIDGET}");
    for _ in 0..3 {
        assert_eq!(browse(&stack, "GET", &path, None, &[]).await.0, 200);
    }
    let (status, body, headers) = browse(&stack, "GET", &path, None, &[]).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["type"], "RateLimitException");
    assert!(headers.contains_key("retry-after"));
    // With no request allowed, every route refuses before the service is called.
    let closed = self::stack(|b| {
        b.per_ip_request_limit(Some(otp_widget::Limit::new(0, Duration::from_secs(60))))
    })
    .await;
    let args = Args {
        widget_id: CODE_WIDGET.to_string(),
        ..Args::default()
    };
    for op in spec().operations() {
        if op.id == "checkStatusAndComplete" {
            continue;
        }
        let (method, path, body) = route(&op, &args);
        let (status, answer, headers) = browse(&closed, &method, &path, body, &[]).await;
        assert_eq!(status, 429, "{}: {answer}", op.id);
        assert_eq!(answer["type"], "RateLimitException", "{}", op.id);
        assert!(headers.contains_key("retry-after"), "{}", op.id);
    }
    assert_eq!(closed.sandbox.session_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn resends_count_like_sends() {
    let sb = Sandbox::start(SandboxConfig {
        resend_cooldown: Duration::ZERO,
        ..config()
    })
    .await
    .unwrap();
    // Two messages per number per window: the send, then one resend.
    let stack = stack_on(sb, |b| {
        b.per_phone_limit(Some(otp_widget::Limit::new(2, Duration::from_secs(60))))
    })
    .await;
    let id = start(&stack, RECIPIENT).await;
    assert_eq!(
        browse(&stack, "POST", &format!("/{id}/resend"), None, &[])
            .await
            .0,
        201
    );
    let (status, body, _) = browse(&stack, "POST", &format!("/{id}/resend"), None, &[]).await;
    assert_eq!(
        status, 429,
        "the number's third message of the window: {body}"
    );
}

#[tokio::test]
async fn a_browser_that_completes_the_session_leaves_nothing_to_finish() {
    // Why `expose_complete(false)` is worth it: the service answers `false` after a completion.
    let stack = stack(|b| b).await;
    let id = start(&stack, RECIPIENT).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let code = stack.sandbox.code(&id).unwrap();
    browse(
        &stack,
        "POST",
        &format!("/{id}/checkCode"),
        Some(json!({"code": code})),
        &[],
    )
    .await;
    assert_eq!(
        browse(&stack, "POST", &format!("/{id}/complete"), None, &[])
            .await
            .0,
        201
    );
    let err = async_client_as(&stack.sandbox.base_url(), DEFAULT_TOKEN)
        .finish(&id.parse().unwrap(), RECIPIENT)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), otp_client::ErrorKind::NotVerified),
        "{err:?}"
    );
}

#[test]
fn an_allowed_origin_that_is_not_one_fails_the_build() {
    let client = otp_client::Client::builder(DEFAULT_TOKEN).build().unwrap();
    for bad in [
        "app.example",
        "https://app.example/path",
        "*",
        "javascript:alert(1)",
    ] {
        let err = WidgetBackend::builder(client.clone(), [CODE_WIDGET])
            .allowed_origins([bad])
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, otp_widget::BuildError::InvalidOrigin(o) if o == bad),
            "{bad}: {err:?}"
        );
        assert!(err.to_string().contains(bad), "{err}");
    }
    WidgetBackend::builder(client, [CODE_WIDGET])
        .allowed_origins(["https://app.example", "http://localhost:3000"])
        .build()
        .expect("origins");
}

// --- SMS pumping: numbers are parsed, widgets allowed, refusals count nowhere -------------------

/// Twenty spellings of one number, as a bot varies them to slip past a per-number limit: the
/// valid ones are one number and share its limit; the others are refused and count nowhere.
#[tokio::test]
async fn twenty_spellings_of_one_number_share_one_per_number_limit() {
    let stack =
        stack(|b| b.per_phone_limit(Some(otp_widget::Limit::new(3, Duration::from_secs(60)))))
            .await;
    let spellings = [
        "+79991234563",
        "+7 999 123-45-63",
        "+7 (999) 123 45 63",
        "8 999 123 45 63",
        "8(999)1234563",
        "89991234563",
        "810 7 999 123 45 63",
        "+7 999 123 45 63 ext. 1",
        "+7 999 123 45 63 ext. 2",
        "＋７９９９１２３４５６３",
        "+٧٩٩٩١٢٣٤٥٦٣",
        "+۷۹۹۹۱۲۳۴۵۶۳",
        "+7999123456３",
        "7 999 123 45 63",
        "+7-999-123-45-63",
        "+7.999.123.45.63",
        // Not the number, and not valid numbers either: refused.
        "+0079991234563",
        "00079991234563",
        "+7 0999 123 45 63",
        "+7999123456300",
    ];
    let mut answers = Vec::new();
    for phone in spellings {
        answers.push((phone, send(&stack, phone, None, &[]).await.0));
    }
    let sent = answers.iter().filter(|(_, s)| *s == 201).count();
    let limited = answers.iter().filter(|(_, s)| *s == 429).count();
    let refused = answers.iter().filter(|(_, s)| *s == 400).count();
    assert_eq!(sent, 3, "one number, three sends: {answers:?}");
    assert_eq!(stack.sandbox.session_count(), 3, "{answers:?}");
    assert_eq!(sent + limited + refused, spellings.len(), "{answers:?}");
    assert!(
        refused >= 3,
        "the invalid spellings are refused: {answers:?}"
    );
    // Every send reached the service as E.164.
    let sessions = stack.sandbox.sessions();
    assert!(
        sessions
            .iter()
            .all(|(_, recipient)| recipient == "+79991234563"),
        "{sessions:?}"
    );
}

/// A victim's number cannot be locked out by requests that send nothing: sends to widgets
/// this back end does not serve, and numbers that are not numbers, are refused before any
/// count; the victim's own send then goes through.
#[tokio::test]
async fn refused_sends_charge_no_per_number_quota() {
    let stack =
        stack(|b| b.per_phone_limit(Some(otp_widget::Limit::new(3, Duration::from_secs(60)))))
            .await;
    let victim = "+79991234563";
    for _ in 0..10 {
        let body = json!({"widgetId": uuid::Uuid::new_v4(), "recipient": victim});
        let (status, answer, _) = browse(&stack, "POST", "/", Some(body), &[]).await;
        assert_eq!(status, 404, "{answer}");
        assert_eq!(answer["type"], "WidgetNotFoundException", "{answer}");
    }
    let (status, answer, _) = send(&stack, victim, None, &[]).await;
    assert_eq!(status, 201, "the victim's own send: {answer}");
    assert_eq!(
        stack.sandbox.session_count(),
        1,
        "nothing else reached the service"
    );
    // getWidget of a widget that is not ours: refused without asking the service.
    let other = uuid::Uuid::new_v4();
    let (status, answer, _) = browse(&stack, "GET", &format!("/widget/{other}"), None, &[]).await;
    assert_eq!(
        (status, answer["type"].as_str()),
        (404, Some("WidgetNotFoundException"))
    );
}

#[test]
fn a_back_end_without_widgets_or_with_an_unknown_region_does_not_build() {
    let client = otp_client::Client::builder(DEFAULT_TOKEN)
        .base_url("http://127.0.0.1:9/api/n/otp-handler")
        .build()
        .unwrap();
    let err = WidgetBackend::builder(client.clone(), [])
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("no widget is allowed"), "{err}");
    let err = WidgetBackend::builder(client, [CODE_WIDGET])
        .region("Russia")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("not a region code"), "{err}");
}

/// A byte that is not ASCII in the browser's part of `X-Forwarded-For` (which a proxy such
/// as nginx passes on, appending the real client): before, the whole header was dropped and
/// the request counted against the proxy's own address, which every next client then shared.
/// Now each client counts as itself, and a header that names no client readably counts in one
/// shared bucket, never the proxy's.
#[tokio::test]
async fn an_unreadable_forwarding_header_never_makes_the_proxy_the_client() {
    let stack = stack(|b| {
        b.per_ip_request_limit(Some(otp_widget::Limit::new(2, Duration::from_secs(60))))
            .trusted_proxies(TrustedProxies::new(["127.0.0.0/8".parse().unwrap()]))
    })
    .await;
    let get = |xff: Vec<u8>| {
        let url = format!("{}/widget/{CODE_WIDGET}", stack.url);
        let request = stack.browser.get(url).header(
            "x-forwarded-for",
            reqwest::header::HeaderValue::from_bytes(&xff).unwrap(),
        );
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Five real clients behind the proxy, each with a forged, unreadable left part: each
    // gets its own two requests.
    for n in 1..=5 {
        for _ in 0..2 {
            let xff = [&b"6.6.6.\xff, "[..], format!("203.0.113.{n}").as_bytes()].concat();
            assert_eq!(get(xff).await, 200, "client {n}");
        }
    }
    // Headers that name no client readably: one shared bucket of two.
    let statuses = [
        get(b"203.0.113.\xff".to_vec()).await,
        get(b"\xc3\xa9".to_vec()).await,
        get(b"unknown".to_vec()).await,
    ];
    assert_eq!(statuses, [200, 200, 429], "one bucket for the unknown");
    // A client it forwards readably still gets its two. (What shows the proxy was never the
    // client is the loop above: under the old reading, the five clients' forged headers
    // were dropped whole, and all ten requests counted against the proxy's address.)
    assert_eq!(get(b"198.51.100.77".to_vec()).await, 200);
    assert_eq!(get(b"198.51.100.77".to_vec()).await, 200);
}

/// Browsers get the spec's words, not the upstream's: the service's free text (an internal
/// URL, a stack trace) is replaced by the message the spec documents for the type, and its
/// `Retry-After` is cut to the back end's setting.
#[tokio::test]
async fn browsers_get_the_documented_message_and_a_capped_retry_after() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let upstream = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "99999999")
                .set_body_json(json!({
                    "type": "RateLimitException",
                    "message": "upstream http://10.0.0.5:8080/internal failed at Handler.java:42",
                    "httpStatus": 429
                })),
        )
        .mount(&upstream)
        .await;
    let client = async_client_as(
        &format!("{}/api/n/otp-handler", upstream.uri()),
        DEFAULT_TOKEN,
    );
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .max_retry_after(Duration::from_secs(120))
        .build()
        .unwrap();
    let addr = mount(&widget).await;
    let response = reqwest::get(format!("http://{addr}/otp/widget/{CODE_WIDGET}"))
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("120"),
        "cut to the setting"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"type": "RateLimitException", "message": "Ошибка RateLimit", "httpStatus": 429}),
        "the spec's words, not the upstream's"
    );
}

/// A token solved on another site, or for another form, passes no provider once the site's
/// hostnames and action are set; tokens are compared after trimming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captcha_answers_for_another_site_or_action_are_refused() {
    type Make = fn(&str) -> Captcha;
    let google: Make = |s| Captcha::google(s);
    let cloudflare: Make = |s| Captcha::cloudflare(s);
    let yandex: Make = |s| Captcha::yandex(s);
    let cases: [(Make, &'static str, &'static str, bool); 10] = [
        (
            google,
            r#"{"success":true,"hostname":"app.example"}"#,
            "v2, our site",
            true,
        ),
        (
            google,
            r#"{"success":true,"hostname":"evil.example"}"#,
            "v2, another site",
            false,
        ),
        (google, r#"{"success":true}"#, "v2, no hostname", false),
        (
            cloudflare,
            r#"{"success":true,"hostname":"app.example","action":"send"}"#,
            "turnstile, ours",
            true,
        ),
        (
            cloudflare,
            r#"{"success":true,"hostname":"evil.example","action":"send"}"#,
            "turnstile, another site",
            false,
        ),
        (
            cloudflare,
            r#"{"success":true,"hostname":"app.example","action":"login"}"#,
            "turnstile, another action",
            false,
        ),
        (
            yandex,
            r#"{"status":"ok","host":"app.example"}"#,
            "yandex, ours",
            true,
        ),
        (
            yandex,
            r#"{"status":"ok","host":"evil.example"}"#,
            "yandex, another site",
            false,
        ),
        (
            |s| Captcha::google_v3(s, 0.5),
            r#"{"success":true,"score":0.9,"hostname":"app.example","action":"send"}"#,
            "v3, ours",
            true,
        ),
        (
            |s| Captcha::google_v3(s, 0.5),
            r#"{"success":true,"score":0.9,"hostname":"app.example","action":"login"}"#,
            "v3, another action",
            false,
        ),
    ];
    for (captcha, answer, case, passes) in cases {
        let (url, _) = fake_provider(Provider::Json(answer)).await;
        let configured = captcha("s")
            .verify_url(&url)
            .free_sends(0, Duration::from_secs(60))
            .hostnames(["app.example"])
            .action("send");
        let stack = stack(|b| b.captcha(configured)).await;
        let token = format!("tok-{case}");
        let (status, body) = send_with(&stack, Some(&token), &[]).await;
        if passes {
            assert_eq!(status, 201, "{case}: {body}");
            // The same token with spaces around it is the same token: spent.
            let (status, body) = send_with(&stack, Some(&format!("  {token} ")), &[]).await;
            assert!(
                captcha_refused(status, &body),
                "{case}: spent, trimmed: {body}"
            );
        } else {
            assert!(captcha_refused(status, &body), "{case}: {status} {body}");
            assert_eq!(stack.sandbox.session_count(), 0, "{case}");
        }
    }
}

/// Whoever holds a session's id (it travels to the browser, and on) is not its browser: from
/// a second client, every session route answers as if the session did not exist, and the
/// first client's correct code still verifies.
#[tokio::test]
async fn a_session_belongs_to_the_browser_that_started_it() {
    let stack = stack(|b| b).await;
    let id = start(&stack, RECIPIENT).await;
    let intruder = Stack {
        sandbox: stack.sandbox.clone(),
        url: stack.url.clone(),
        browser: browser(),
    };
    let tries: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/{id}/channel"), None),
        ("GET", format!("/longPolling/{id}/channel"), None),
        (
            "GET",
            format!("/{id}/status?recipient=%2B79990000000"),
            None,
        ),
        (
            "GET",
            format!("/{id}/status?recipient=%2B79991234563"),
            None,
        ),
        (
            "POST",
            format!("/{id}/checkCode"),
            Some(json!({"code": "0000"})),
        ),
        (
            "POST",
            format!("/{id}/checkCode"),
            Some(json!({"code": "0001"})),
        ),
        (
            "POST",
            format!("/{id}/checkCode"),
            Some(json!({"code": "0002"})),
        ),
        (
            "POST",
            format!("/{id}/checkCode"),
            Some(json!({"code": "0003"})),
        ),
        ("POST", format!("/{id}/resend"), None),
        ("POST", format!("/{id}/complete"), None),
    ];
    // And every session route the spec gives browsers, as the vendor's widget calls it: an
    // operation added to the spec is tried too.
    let args = Args {
        widget_id: CODE_WIDGET.to_string(),
        request_id: id.clone(),
        ..Args::default()
    };
    let session_routes: Vec<(String, String, Option<Value>)> = spec()
        .operations()
        .iter()
        .filter(|op| {
            op.widget == Some(otp_client_codegen::WidgetExposure::Browser)
                && op.path.contains("{requestId}")
        })
        .map(|op| route(op, &args))
        .collect();
    assert!(
        !session_routes.is_empty(),
        "the spec gives browsers no session route"
    );
    let tries = tries
        .into_iter()
        .map(|(method, path, body)| (method.to_string(), path, body))
        .chain(session_routes);
    for (method, path, body) in tries {
        let method = method.as_str();
        let (status, answer, _) = browse(&intruder, method, &path, body, &[]).await;
        assert_eq!(
            (status, answer["type"].as_str()),
            (404, Some("SessionNotFoundException")),
            "{method} {path}: {answer}"
        );
    }
    // A forged cookie for it does no better.
    // As long as a real tag (32 hex digits), so that the tag itself is compared.
    let forged = format!("otp_widget_session={id}.{}", "0".repeat(32));
    let (status, _, _) = browse(
        &intruder,
        "GET",
        &format!("/{id}/channel"),
        None,
        &[("cookie", &forged)],
    )
    .await;
    assert_eq!(status, 404, "a forged cookie");
    // The real browser: its attempts are intact, its code verifies.
    let code = stack.sandbox.code(&id).expect("the sandbox's code");
    let (status, answer, _) = browse(
        &stack,
        "POST",
        &format!("/{id}/checkCode"),
        Some(json!({"code": code})),
        &[],
    )
    .await;
    assert_eq!((status, &answer), (201, &json!({"success": true})));
}

/// The service refusing a send (here: a widget this back end allows and the service does not
/// know) charges no per-number quota: it sent nothing.
#[tokio::test]
async fn a_send_the_service_refuses_is_not_counted_against_the_number() {
    let unknown_upstream = uuid::Uuid::new_v4();
    let stack =
        stack(|b| b.per_phone_limit(Some(otp_widget::Limit::new(1, Duration::from_secs(60)))))
            .await;
    let client = async_client_as(&stack.sandbox.base_url(), DEFAULT_TOKEN);
    let widget = WidgetBackend::builder(client, [CODE_WIDGET, unknown_upstream])
        .per_phone_limit(Some(otp_widget::Limit::new(1, Duration::from_secs(60))))
        .secure_cookie(false)
        .build()
        .unwrap();
    let addr = mount(&widget).await;
    let stack = Stack {
        sandbox: stack.sandbox.clone(),
        url: format!("http://{addr}/otp"),
        browser: browser(),
    };
    for _ in 0..3 {
        let body = json!({"widgetId": unknown_upstream, "recipient": RECIPIENT});
        let (status, answer, _) = browse(&stack, "POST", "/", Some(body), &[]).await;
        assert_eq!(
            (status, answer["type"].as_str()),
            (404, Some("WidgetNotFoundException"))
        );
    }
    let (status, answer, _) = send(&stack, RECIPIENT, None, &[]).await;
    assert_eq!(
        status, 201,
        "the number's one send is still there: {answer}"
    );
    let (status, _, _) = send(&stack, RECIPIENT, None, &[]).await;
    assert_eq!(status, 429, "and it counted");
}

#[tokio::test]
async fn the_redis_store_takes_a_count_back_and_never_below_zero() {
    use otp_widget::QuotaStore;
    let redis = common::redis::RedisServer::start();
    let store = otp_widget::RedisStore::connect(&redis.url()).await.unwrap();
    let window = Duration::from_secs(60);
    let first = store.hit("k", window).await.unwrap();
    let second = store.hit("k", window).await.unwrap();
    // One window: its name is when it ends, in the server's milliseconds, which two hits
    // may work out a millisecond apart (the release script allows for it).
    assert!(
        first.window.abs_diff(second.window) <= 2,
        "one window: {} and {}",
        first.window,
        second.window
    );
    store.release("k", first.window).await.unwrap();
    assert_eq!(store.count("k").await.unwrap(), 1);
    for _ in 0..3 {
        store.release("k", first.window).await.unwrap();
    }
    assert_eq!(store.count("k").await.unwrap(), 0);
    store.release("nothing", first.window).await.unwrap();
    assert_eq!(store.count("nothing").await.unwrap(), 0);
}

/// A refund never crosses a window boundary: a count taken back after its window ended
/// leaves the next window's count as it is, in both stores.
#[tokio::test]
async fn a_refund_never_lands_in_a_later_window() {
    use otp_widget::QuotaStore;
    let redis = common::redis::RedisServer::start();
    let stores: [(&str, Box<dyn QuotaStore>); 2] = [
        ("memory", Box::new(otp_widget::MemoryStore::new(10))),
        (
            "redis",
            Box::new(otp_widget::RedisStore::connect(&redis.url()).await.unwrap()),
        ),
    ];
    let window = Duration::from_millis(300);
    for (name, store) in stores {
        let old = store.hit("w", window).await.unwrap();
        tokio::time::sleep(Duration::from_millis(450)).await;
        let new = store.hit("w", window).await.unwrap();
        assert_eq!(new.count, 1, "{name}: a new window");
        assert_ne!(old.window, new.window, "{name}");
        store.release("w", old.window).await.unwrap();
        assert_eq!(
            store.count("w").await.unwrap(),
            1,
            "{name}: the new count stays"
        );
        store.release("w", new.window).await.unwrap();
        assert_eq!(
            store.count("w").await.unwrap(),
            0,
            "{name}: its own window's refund"
        );
    }
}

// --- Geo permissions and the spend cap ----------------------------------------------------------

/// The countries a back end sends to are an allow-list (RU by default): a number elsewhere is
/// refused before anything is counted.
#[tokio::test]
async fn numbers_of_other_countries_are_refused_unless_allowed() {
    let kazakh = "+77012345678";
    let stack = stack(|b| b).await;
    let (status, body, _) = send(&stack, kazakh, None, &[]).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some("ValidateError")),
        "{body}"
    );
    assert_eq!(stack.sandbox.session_count(), 0);
    let stack = stack_on(sandbox(config()).await, |b| b.countries(["RU", "KZ"])).await;
    assert_eq!(send(&stack, kazakh, None, &[]).await.0, 201);
}

/// SMS pumping: many numbers of one range, each under its per-number limit. The range limit
/// stops it; numbers of another range still go through.
#[tokio::test]
async fn a_range_of_numbers_has_its_own_limit() {
    let stack = stack(|b| {
        b.per_range_limit(Some(otp_widget::RangeLimit {
            digits: 8,
            limit: otp_widget::Limit::new(3, Duration::from_secs(60)),
        }))
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.push(send(&stack, &format!("+7999123450{n}"), None, &[]).await.0);
    }
    assert_eq!(
        statuses,
        [201, 201, 201, 429, 429, 429],
        "one 8-digit range: +79991234"
    );
    assert_eq!(
        send(&stack, "+79997654321", None, &[]).await.0,
        201,
        "another range"
    );
    assert_eq!(stack.sandbox.session_count(), 4);
}

/// Refused sends cost nothing anywhere: a number over its own limit, sent again and again,
/// does not use up its range's or the global count.
#[tokio::test]
async fn sends_refused_by_one_limit_are_taken_back_from_the_others() {
    let stack = stack(|b| {
        b.per_phone_limit(Some(otp_widget::Limit::new(1, Duration::from_secs(60))))
            .per_range_limit(Some(otp_widget::RangeLimit {
                digits: 8,
                limit: otp_widget::Limit::new(3, Duration::from_secs(60)),
            }))
            .global_send_cap(Some(otp_widget::Limit::new(3, Duration::from_secs(60))))
    })
    .await;
    assert_eq!(send(&stack, "+79991234500", None, &[]).await.0, 201);
    for _ in 0..10 {
        assert_eq!(send(&stack, "+79991234500", None, &[]).await.0, 429);
    }
    // Two more sends in the range, and in all: both limits had one use, not eleven.
    assert_eq!(send(&stack, "+79991234501", None, &[]).await.0, 201);
    assert_eq!(send(&stack, "+79991234502", None, &[]).await.0, 201);
    assert_eq!(
        send(&stack, "+79991234503", None, &[]).await.0,
        429,
        "now the range is used up"
    );
}

/// The global cap is shared by every replica through one store: two routers, one real Redis.
#[tokio::test]
async fn the_global_send_cap_holds_across_replicas_sharing_redis() {
    let redis = common::redis::RedisServer::start();
    let sb = Arc::new(sandbox(config()).await);
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = otp_widget::RedisStore::connect(&redis.url()).await.unwrap();
        let client = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
        let widget = WidgetBackend::builder(client, [CODE_WIDGET])
            .global_send_cap(Some(otp_widget::Limit::new(3, Duration::from_secs(60))))
            .store(store)
            .secure_cookie(false)
            .build()
            .unwrap();
        let addr = mount(&widget).await;
        replicas.push(Stack {
            sandbox: sb.clone(),
            url: format!("http://{addr}/otp"),
            browser: browser(),
        });
    }
    let mut statuses = Vec::new();
    for i in 0..6 {
        let phone = format!("+7999{}00000{i}", 1 + i % 9);
        statuses.push(send(&replicas[i % 2], &phone, None, &[]).await.0);
    }
    assert_eq!(
        statuses,
        [201, 201, 201, 429, 429, 429],
        "three sends in all, on either replica"
    );
    assert_eq!(sb.session_count(), 3);
}

// --- Slow clients -------------------------------------------------------------------------------

/// A client that trickles its headers is cut by `otp_widget::serve`'s header timeout; one
/// that trickles its body, by the router's body timeout.
#[tokio::test]
async fn slow_headers_and_slow_bodies_are_cut() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sb = sandbox(config()).await;
    let client = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .body_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let app = Router::new().nest("/otp/", widget.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let timeouts = otp_widget::ServeTimeouts::default().header_read(Duration::from_millis(300));
    tokio::spawn(otp_widget::serve(listener, app, timeouts));

    // Nothing sent at all: the server closes the connection.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "a silent connection was still open after 5 s");

    // Headers never finished: the server closes the connection.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /otp/widget/").await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");

    // A body announced and never sent: answered (408, `ValidateError`) at the body's
    // deadline, not held.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(
        b"POST /otp/ HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"a\":",
    )
    .await
    .unwrap();
    let mut answer = vec![0; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut answer))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("ValidateError"), "{answer}");

    // A whole request over the same server works, with the peer's address.
    let response = reqwest::get(format!("http://{addr}/otp/widget/{CODE_WIDGET}"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Long-polls are capped per client: past the cap, 429 instead of one more held connection.
#[tokio::test]
async fn held_long_polls_are_capped_per_client() {
    let sb = Sandbox::start(SandboxConfig {
        hold: Duration::from_secs(3),
        ..config()
    })
    .await
    .unwrap();
    let stack = stack_on(sb, |b| {
        b.max_long_polls(otp_widget::LongPollCaps {
            per_client: 1,
            per_session: 2,
            total: 100,
        })
    })
    .await;
    let id = start(&stack, RECIPIENT).await;
    // Wait until the channel is sent, so that the next long-poll is held.
    for _ in 0..50 {
        let (_, channel, _) = browse(&stack, "GET", &format!("/{id}/channel"), None, &[]).await;
        if channel["status"] == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let path = format!("/longPolling/{id}/channel");
    let first = {
        let url = format!("{}{path}", stack.url);
        let browser = stack.browser.clone();
        tokio::spawn(async move { browser.get(url).send().await.unwrap().status().as_u16() })
    };
    for _ in 0..100 {
        if stack.sandbox.held_long_polls() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body, _) = browse(&stack, "GET", &path, None, &[]).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (429, Some("RateLimitException")),
        "{body}"
    );
    assert_eq!(first.await.unwrap(), 408, "the held one ran its course");
    // Its count is given back: the next one is held again.
    let (status, _, _) = browse(&stack, "GET", &path, None, &[]).await;
    assert_eq!(status, 408);
}

/// The number as the user typed it, sent back in a status query, is the number the service
/// was given (E.164); resends count against the global cap; a sibling application's cookie
/// with bytes that are not ASCII does not hide the session's.
#[tokio::test]
async fn typed_numbers_resends_and_foreign_cookies() {
    let stack =
        stack(|b| b.global_send_cap(Some(otp_widget::Limit::new(2, Duration::from_secs(60)))))
            .await;
    let typed = "8 (999) 123-45-63";
    let (status, sent, headers) = send(&stack, typed, None, &[]).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["requestId"].as_str().unwrap().to_string();
    let query = url::form_urlencoded::byte_serialize(typed.as_bytes()).collect::<String>();
    let (status, answer, _) = browse(
        &stack,
        "GET",
        &format!("/{id}/status?recipient={query}"),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200, "the typed number is the session's: {answer}");

    let cookie = headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let with_foreign = format!("other=caf\u{e9}; {cookie}");
    let request = reqwest::Client::new()
        .get(format!("{}/{id}/channel", stack.url))
        .header(
            "cookie",
            reqwest::header::HeaderValue::from_bytes(with_foreign.as_bytes()).unwrap(),
        );
    assert_eq!(
        request.send().await.unwrap().status(),
        200,
        "a foreign cookie beside it"
    );

    tokio::time::sleep(Duration::from_millis(300)).await; // the resend cooldown
    let (status, answer, _) = browse(&stack, "POST", &format!("/{id}/resend"), None, &[]).await;
    assert_eq!(status, 201, "the second message: {answer}");
    let (status, answer, _) = send(&stack, "+79997654321", None, &[]).await;
    assert_eq!(
        status, 429,
        "the send and the resend used the cap of 2: {answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_addresses_does_not_make_a_small_store_forget_a_clients_count() {
    let (url, _) = fake_provider(Provider::No).await;
    // A store far too small for the flood: 20 keys.
    let stack = stack(|b| {
        b.captcha(
            Captcha::google("s")
                .verify_url(&url)
                .free_sends(1, Duration::from_secs(60)),
        )
        .trusted_proxies(TrustedProxies::new(["127.0.0.0/8".parse().unwrap()]))
        .store(otp_widget::MemoryStore::new(20))
    })
    .await;
    let client = [("x-forwarded-for", "198.51.100.7")];
    assert_eq!(
        send_with(&stack, None, &client).await.0,
        201,
        "the free send"
    );
    let (status, body) = send_with(&stack, None, &client).await;
    assert!(captcha_refused(status, &body), "then a captcha: {body}");
    // 300 other addresses, each one request (under its per-IP limit): 300 keys of the
    // per-IP request limit.
    let widget_path = format!("/widget/{CODE_WIDGET}");
    for i in 0..300 {
        let address = format!("10.0.{}.{}", i / 250, i % 250 + 1);
        let (status, _, _) = browse(
            &stack,
            "GET",
            &widget_path,
            None,
            &[("x-forwarded-for", &address)],
        )
        .await;
        assert_eq!(status, 200, "{address}");
    }
    let (status, body) = send_with(&stack, None, &client).await;
    assert!(
        captcha_refused(status, &body),
        "the flood made the store forget the client's free send: {status} {body}"
    );
    assert_eq!(stack.sandbox.session_count(), 1, "one message sent in all");
}

/// Through a real nginx that appends the client's address to `X-Forwarded-For`: a client's
/// unreadable header (a byte past ASCII) is counted against that client, never against the
/// proxy, and the next client behind the same proxy gets its own count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_an_unreadable_forwarding_header_is_the_clients_own() {
    let stack = stack(|b| {
        b.per_ip_request_limit(Some(otp_widget::Limit::new(2, Duration::from_secs(60))))
            // nginx connects from 127.0.0.1; the browsers below from 127.0.0.2 and .3.
            .trusted_proxies(TrustedProxies::new(["127.0.0.1/32".parse().unwrap()]))
    })
    .await;
    let upstream: SocketAddr = stack
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/otp")
        .parse()
        .unwrap();
    let nginx = common::nginx::Nginx::proxy_to(upstream);
    let url = format!("{}/otp/widget/{CODE_WIDGET}", nginx.url());
    let from = |address: &str| {
        reqwest::Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    };
    let get = |client: &reqwest::Client, xff: Option<&[u8]>| {
        let mut request = client.get(&url);
        if let Some(xff) = xff {
            request = request.header(
                "x-forwarded-for",
                reqwest::header::HeaderValue::from_bytes(xff).unwrap(),
            );
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let attacker = from("127.0.0.2");
    let mut statuses = vec![];
    for _ in 0..3 {
        statuses.push(get(&attacker, Some(b"6.6.6.\xff")).await);
    }
    assert_eq!(statuses, [200, 200, 429], "the attacker's own two");
    // Had the proxy been taken for the client of an unreadable header, the next client's
    // unreadable header would share the attacker's spent count.
    let next = from("127.0.0.3");
    assert_eq!(
        [
            get(&next, Some(b"7.7.7.\xff")).await,
            get(&next, Some(b"7.7.7.\xff")).await
        ],
        [200, 200],
        "the next client behind nginx has its own two"
    );
}

/// `RequestSpan`, layered by the application with tower-http's `TraceLayer`: each request is
/// logged in a span that names its method and path, and the phone number in a status query
/// appears nowhere in the log.
#[tokio::test]
async fn the_request_span_names_the_path_and_never_the_phone() {
    let logs = Captured::global();
    let sandbox = sandbox(config()).await;
    let client = async_client_as(&sandbox.base_url(), DEFAULT_TOKEN);
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .secure_cookie(false)
        .build()
        .unwrap();
    let app = Router::new().nest("/otp/", widget.router()).layer(
        tower_http::trace::TraceLayer::new_for_http().make_span_with(otp_widget::RequestSpan),
    );
    let addr = serve(app).await;
    let stack = Stack {
        sandbox: Arc::new(sandbox),
        url: format!("http://{addr}/otp"),
        browser: browser(),
    };
    let id = start(&stack, RECIPIENT).await;
    let query = format!("?recipient={}", RECIPIENT.replace('+', "%2B"));
    let (status, body, _) = browse(&stack, "GET", &format!("/{id}/status{query}"), None, &[]).await;
    assert_eq!(status, 200, "{body}");
    let spanned = logs.lines_with(&format!("path=/otp/{id}/status"));
    assert!(
        spanned
            .iter()
            .any(|line| line.contains("otp_widget.request") && line.contains("method=GET")),
        "no line in the request's span: {spanned:#?}"
    );
    let all = logs.text();
    let digits = &RECIPIENT[1..];
    assert!(
        !all.contains(digits),
        "the phone number is in the log: {:?}",
        all.lines()
            .filter(|l| l.contains(digits))
            .collect::<Vec<_>>()
    );
}
