//! The security invariants, each proven on both clients against servers that record what
//! they actually received:
//! - no request leaves the base URL, whatever the argument (a property test over arbitrary
//!   strings);
//! - no redirect is followed by default, none ever to another origin, and no answer from
//!   another origin is believed;
//! - the token, the phone number and the code appear in no `Display`, `Debug`, source chain
//!   or log line, whatever the error;
//! - the configuration refuses what would leak (credentials in the base URL, a token a
//!   header would mangle).

use crate::common;

use std::error::Error as _;
use std::time::Duration;

use common::recording::{Answer, Received, RecordingServer};
use common::*;
use otp_client::{ErrorKind, NextStep, RequestId, RetryPolicy, TransportFailure};
use proptest::prelude::*;

/// Secrets distinctive enough to be searched for in any text.
const SECRET_TOKEN: &str = "tok-LEAK-5ecr3t-7731";
const SECRET_PHONE: &str = "+79995550123";
const SECRET_CODE: &str = "903417";

/// Every form the secrets could take in a text: as they are, the phone's digits alone, and
/// the phone as a query or a path would encode it.
const SECRET_FORMS: &[&str] = &[
    SECRET_TOKEN,
    SECRET_PHONE,
    "79995550123",
    "%2B79995550123",
    SECRET_CODE,
];

/// The secret forms found in `text`. The code counts where no letter or digit touches it: a
/// log line's timestamp (`02:57:22.903417Z`) or a random UUID can hold its six digits by
/// chance (a CI run saw one), a leak writes them as a value (`code=903417`,
/// `"code":"903417"`). Every other form counts wherever it is.
fn leaks(text: &str) -> Vec<&'static str> {
    SECRET_FORMS
        .iter()
        .copied()
        .filter(|s| {
            if *s != SECRET_CODE {
                return text.contains(s);
            }
            text.match_indices(s).any(|(at, _)| {
                let before = text[..at].chars().next_back();
                let after = text[at + s.len()..].chars().next();
                ![before, after]
                    .into_iter()
                    .flatten()
                    .any(|c| c.is_ascii_alphanumeric())
            })
        })
        .collect()
}

#[test]
fn the_code_counts_as_a_value_not_inside_a_timestamp_or_an_id() {
    for leak in [
        "code=903417",
        r#"{"code":"903417"}"#,
        "903417",
        "tel:79995550123;",
        "x79995550123y",
    ] {
        assert_ne!(leaks(leak), Vec::<&str>::new(), "{leak}");
    }
    for chance in [
        "2026-12-07T02:57:22.903417Z",
        "965d7bbc-5ff9-4903417c-9144-1848c26cbb11",
        "1796608399747903417",
    ] {
        assert_eq!(leaks(chance), Vec::<&str>::new(), "{chance}");
    }
}

/// Every rendering of an error: `Display`, alternate `Display`, `Debug`, pretty `Debug`,
/// and each of its sources' `Display` and `Debug`.
fn renderings(e: &otp_client::Error) -> String {
    let mut out = format!("{e}\n{e:#}\n{e:?}\n{e:#?}\n");
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!("{s}\n{s:?}\n"));
        source = s.source();
    }
    out
}

// --- URL confinement -----------------------------------------------------------------------

/// A server that answers every operation with one body that decodes for all of them, and
/// both clients pointed at it.
struct Confinement {
    runtime: tokio::runtime::Runtime,
    server: RecordingServer,
    async_client: otp_client::Client,
    blocking_client: otp_client_blocking::Client,
}

thread_local! {
    /// One per test thread: the property tests run side by side.
    static SERVER: &'static Confinement = {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(RecordingServer::start(|r: &Received| {
            let status = if r.method == "GET" {
                "200 OK"
            } else {
                "201 Created"
            };
            Answer::json(status, &format!(r#"{{"success":true,"requestId":"{REQUEST_ID}"}}"#))
        }));
        let async_client = async_client(&server.base_url);
        let blocking_client = blocking_client(&server.base_url);
        Box::leak(Box::new(Confinement { runtime, server, async_client, blocking_client }))
    };
}

/// Strings an attacker might choose: anything at all, path and query syntax, dot segments
/// in every spelling, control characters, very long strings, and UUIDs in every form a
/// parser accepts.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\\\/%.?#&=+;: a-zA-Z0-9]{0,16}",
        "(\\.|%2[eE]|\\\\|/){1,6}[a-z]{0,3}",
        "[\\x00-\\x1f\\x7f]{1,4}[a-z]{0,4}",
        ".{1000,2500}",
        Just("..\\..\\x".to_string()),
        Just("%2e%2e%2f%2e%2e".to_string()),
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).braced().to_string()),
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).urn().to_string().to_uppercase()),
        any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).simple().to_string()),
    ]
}

/// Checks what the server received for `op` called with `args`: the base path, then the
/// operation's segments, each parameter one segment that decodes to the argument; exactly
/// the operation's query; the body's strings as given.
fn assert_confined(op: &otp_client_codegen::Operation, args: &Args, seen: &Received, ctx: &str) {
    let path = seen.path();
    let rest = path
        .strip_prefix("/api/n/otp-handler/")
        .unwrap_or_else(|| panic!("{ctx}: {path} left the base path"));
    let segments: Vec<&str> = rest.split('/').collect();
    let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
    assert_eq!(
        segments.len(),
        template.len(),
        "{ctx}: {path} for {}",
        op.path
    );
    for (segment, expected) in segments.iter().zip(&template) {
        let expected = match *expected {
            "{requestId}" => args.request_id().to_string(),
            "{widgetId}" => args.widget_id().to_string(),
            fixed => fixed.to_string(),
        };
        assert_eq!(
            percent_decode(segment),
            expected,
            "{ctx}: segment of {path}"
        );
    }
    let expected_query: Vec<(String, String)> = op
        .parameters
        .iter()
        .filter(|(_, at)| at == "query")
        .map(|(name, _)| (name.clone(), args.recipient.clone()))
        .collect();
    assert_eq!(
        seen.query(),
        expected_query,
        "{ctx}: query of {}",
        seen.target
    );
    if !seen.body.is_empty() {
        let body: serde_json::Value = serde_json::from_slice(&seen.body).expect("a JSON body");
        for (field, value) in [("recipient", &args.recipient), ("code", &args.code)] {
            if let Some(sent) = body.get(field) {
                assert_eq!(sent.as_str(), Some(value.as_str()), "{ctx}: body {field}");
            }
        }
    }
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "{ctx}"
    );
}

/// Calls every operation with `args` on `which` client; each call either is refused before
/// anything is sent, or reaches exactly its operation's URL.
fn every_operation_stays_inside(which: Which, args: &Args) {
    let env = SERVER.with(|s| *s);
    let server = &env.server;
    for op in operations() {
        server.clear();
        let ctx = format!("{which:?} {} {args:?}", op.id);
        let result = match which {
            Which::Async => env
                .runtime
                .block_on(call_async(&env.async_client, &op.id, args)),
            Which::Blocking => call_blocking(&env.blocking_client, &op.id, args),
        };
        let seen = server.received();
        match result {
            Ok(_) => {
                assert_eq!(seen.len(), 1, "{ctx}: one request");
                assert_confined(&op, args, &seen[0], &ctx);
            }
            Err(e) => {
                assert!(
                    matches!(e.kind(), ErrorKind::InvalidArgument { .. }),
                    "{ctx}: {e:?}"
                );
                assert!(seen.is_empty(), "{ctx}: refused, yet sent: {seen:?}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// A session id from anyone (a browser, a database) becomes an id only if it is a UUID,
    /// and then each operation's request goes to exactly its own URL.
    #[test]
    fn a_request_id_from_anyone_is_refused_or_stays_one_segment(text in hostile()) {
        match text.parse::<RequestId>() {
            Err(e) => {
                let e = otp_client::Error::from(e);
                let refused = matches!(e.kind(), ErrorKind::InvalidArgument { name: "request_id", .. });
                prop_assert!(refused, "{:?}", e);
                prop_assert!(!e.may_have_been_sent());
            }
            Ok(id) => {
                let args = Args { request_id: id.to_string(), ..Args::default() };
                for which in BOTH {
                    every_operation_stays_inside(which, &args);
                }
            }
        }
    }

    /// Any phone number and code: refused when blank, otherwise carried intact in the
    /// query and the body, and never out of the operation's URL.
    #[test]
    fn any_phone_number_and_code_stay_in_their_query_and_body(recipient in hostile(), code in hostile()) {
        let args = Args { recipient, code, ..Args::default() };
        for which in BOTH {
            every_operation_stays_inside(which, &args);
        }
    }
}

// --- Redirects -----------------------------------------------------------------------------

const REDIRECTS: [&str; 5] = [
    "301 Moved Permanently",
    "302 Found",
    "303 See Other",
    "307 Temporary Redirect",
    "308 Permanent Redirect",
];

/// A server that answers `success: true` to anything, as a host that never saw the token
/// could.
async fn elsewhere() -> RecordingServer {
    RecordingServer::start(|r: &Received| {
        let status = if r.method == "GET" {
            "200 OK"
        } else {
            "201 Created"
        };
        Answer::json(
            status,
            &format!(r#"{{"success":true,"requestId":"{REQUEST_ID}"}}"#),
        )
    })
    .await
}

/// A server that redirects everything to `target` (with the phone and token in the query,
/// as a hostile redirect could).
async fn redirecting(status: &'static str, target: String) -> RecordingServer {
    RecordingServer::start(move |_: &Received| {
        let location = format!("location: {target}?recipient={SECRET_PHONE}&t={SECRET_TOKEN}\r\n");
        Answer::with(status, "text/plain", "", &location)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redirect_is_followed_by_default_and_none_is_believed() {
    let other = elsewhere().await;
    let target = format!("http://localhost:{}/stolen", other.addr.port());
    for status in REDIRECTS {
        let origin = redirecting(status, target.clone()).await;
        for which in BOTH {
            for op in operations() {
                let ctx = format!("{status} {which:?} {}", op.id);
                let err = call(which, &origin.base_url, &op.id, &Args::default())
                    .await
                    .expect_err("a redirect is an error");
                match err.kind() {
                    ErrorKind::Redirect {
                        status: seen,
                        location,
                    } => {
                        assert_eq!(seen.as_u16(), status[..3].parse::<u16>().unwrap(), "{ctx}");
                        assert_eq!(
                            location.as_deref(),
                            Some(target.as_str()),
                            "{ctx}: the query is scrubbed"
                        );
                    }
                    other => panic!("{ctx}: {other:?}"),
                }
                assert_eq!(err.next_step(), NextStep::FixConfiguration, "{ctx}");
                assert!(err.to_string().contains(&status[..3]), "{ctx}: {err}");
                assert_eq!(
                    leaks(&renderings(&err)),
                    Vec::<&str>::new(),
                    "{ctx}: {err:?}"
                );
            }
        }
    }
    assert!(
        other.received().is_empty(),
        "nothing reached the other host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_only_when_asked_and_never_out_of_the_base_url() {
    // The origin moves `/api/n/otp-handler/…` to `/api/n/otp-handler/v2/…` on itself (under
    // the base URL), and `/api/n/otp-handler/away/…` to `/moved/…` (outside it).
    let origin = RecordingServer::start(|r: &Received| {
        let target = &r.target;
        if let Some(rest) = target.strip_prefix("/api/n/otp-handler/v2/") {
            let _ = rest;
            Answer::json("200 OK", r#"{"success":true}"#)
        } else if target.starts_with("/moved/") {
            Answer::json("200 OK", r#"{"success":true}"#)
        } else if let Some(rest) = target.strip_prefix("/api/n/otp-handler/") {
            let location = format!("location: /api/n/otp-handler/v2/{rest}\r\n");
            Answer::with("307 Temporary Redirect", "text/plain", "", &location)
        } else {
            Answer::json("404 Not Found", "{}")
        }
    })
    .await;
    let following = otp_client::Client::builder(TOKEN)
        .base_url(&origin.base_url)
        .follow_same_origin_redirects(2);
    let status = following
        .clone()
        .build()
        .unwrap()
        .get_status(&id(), RECIPIENT)
        .await
        .expect("followed under the base URL");
    assert!(status.success);
    let blocking = otp_client_blocking::ClientBuilder::from(following.clone())
        .build()
        .unwrap();
    tokio::task::spawn_blocking(move || blocking.get_status(&id(), RECIPIENT))
        .await
        .unwrap()
        .expect("the blocking client follows it too");
    let seen = origin.received();
    assert_eq!(seen.len(), 4, "{seen:#?}");
    for moved in seen.iter().filter(|r| r.target.contains("/v2/")) {
        assert_eq!(
            moved.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(moved.header("referer"), None, "no Referer, ever");
    }

    // Out of the base URL (another path, host, port or scheme): never followed, even when
    // asked.
    let other = elsewhere().await;
    for target in [
        format!("http://127.0.0.1:{}/moved/x", origin.addr.port()),
        format!("http://localhost:{}/x", other.addr.port()),
        format!("http://127.0.0.1:{}/x", other.addr.port()),
        format!(
            "https://127.0.0.1:{}/api/n/otp-handler/x",
            origin.addr.port()
        ),
    ] {
        let redirect = redirecting("307 Temporary Redirect", target.clone()).await;
        let client = otp_client::Client::builder(TOKEN)
            .base_url(&redirect.base_url)
            .follow_same_origin_redirects(5)
            .build()
            .unwrap();
        let err = client
            .check_status_and_complete(&id(), RECIPIENT)
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Redirect { .. }),
            "{target}: {err:?}"
        );
    }
    assert!(other.received().is_empty());
    assert!(
        !origin
            .received()
            .iter()
            .any(|r| r.target.starts_with("/moved/")),
        "nothing followed out of the base path"
    );

    // Under the base URL but with credentials added: not the base URL, never followed.
    let credentials = RecordingServer::start(|r: &Received| {
        if r.target.starts_with("/api/n/otp-handler/v2/") {
            return Answer::json("200 OK", r#"{"success":true}"#);
        }
        let host = r.header("host").unwrap_or_default();
        let location = format!("location: http://u:p@{host}/api/n/otp-handler/v2/x\r\n");
        Answer::with("307 Temporary Redirect", "text/plain", "", &location)
    })
    .await;
    let err = otp_client::Client::builder(TOKEN)
        .base_url(&credentials.base_url)
        .follow_same_origin_redirects(5)
        .build()
        .unwrap()
        .get_status(&id(), RECIPIENT)
        .await
        .expect_err("a redirect that adds credentials is not followed");
    assert!(
        matches!(err.kind(), ErrorKind::Redirect { .. }),
        "a redirect that adds credentials: {err:?}"
    );
    assert_eq!(
        credentials.received().len(),
        1,
        "only the first request reached the server: {:#?}",
        credentials.received()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_network_setting_leaves_redirects_off() {
    let other = elsewhere().await;
    let origin = redirecting(
        "307 Temporary Redirect",
        format!("http://localhost:{}/x", other.addr.port()),
    )
    .await;
    let settings = otp_client::Client::builder(TOKEN)
        .base_url(&origin.base_url)
        .no_proxy()
        .pool_max_idle_per_host(2)
        .pool_idle_timeout(Some(Duration::from_secs(5)))
        .tcp_nodelay(true)
        .tcp_keepalive(Some(Duration::from_secs(30)))
        .local_address("127.0.0.1".parse().unwrap());
    let client = settings.clone().build().unwrap();
    let err = client
        .finish(&id(), RECIPIENT)
        .await
        .expect_err("not verified by another host");
    assert!(matches!(err.kind(), ErrorKind::Redirect { .. }), "{err:?}");
    assert_eq!(err.next_step(), NextStep::FixConfiguration);
    let blocking = otp_client_blocking::ClientBuilder::from(settings)
        .build()
        .unwrap();
    let err = tokio::task::spawn_blocking(move || blocking.finish(&id(), RECIPIENT))
        .await
        .unwrap()
        .expect_err("not verified by another host");
    assert!(matches!(err.kind(), ErrorKind::Redirect { .. }), "{err:?}");
    assert!(
        other.received().is_empty(),
        "nothing reached the other host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_never_sent_again_by_a_redirect_even_to_itself() {
    // `send` answered by a 307 to its own URL, with redirects allowed: one SMS, not four.
    let origin = RecordingServer::start(|r: &Received| {
        let location = format!("location: {}\r\n", r.target);
        Answer::with("307 Temporary Redirect", "text/plain", "", &location)
    })
    .await;
    for which in BOTH {
        origin.clear();
        let settings = otp_client::Client::builder(TOKEN)
            .base_url(&origin.base_url)
            .follow_same_origin_redirects(3);
        let err = match which {
            Which::Async => {
                settings
                    .build()
                    .unwrap()
                    .send(&Args::default().body())
                    .await
            }
            Which::Blocking => {
                let client = otp_client_blocking::ClientBuilder::from(settings)
                    .build()
                    .unwrap();
                tokio::task::spawn_blocking(move || client.send(&Args::default().body()))
                    .await
                    .unwrap()
            }
        }
        .expect_err("a redirect of a POST is not followed");
        assert!(
            matches!(err.kind(), ErrorKind::Redirect { .. }),
            "{which:?}: {err:?}"
        );
        assert_eq!(
            origin.received().len(),
            1,
            "{which:?}: the POST was sent once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_with_encoded_separators_or_dots_is_not_followed() {
    for tail in [
        "..%2f..%2f..%2fescape",
        "..%2F..%2Fescape",
        "a%5c..%5cb",
        "%2e%2e/%2e%2e/escape",
    ] {
        let origin = RecordingServer::start(move |r: &Received| {
            if r.target.contains("escape") || r.target.contains("%5c") {
                return Answer::json("200 OK", r#"{"success":true}"#);
            }
            let location = format!("location: /api/n/otp-handler/{tail}\r\n");
            Answer::with("307 Temporary Redirect", "text/plain", "", &location)
        })
        .await;
        let err = otp_client::Client::builder(TOKEN)
            .base_url(&origin.base_url)
            .follow_same_origin_redirects(5)
            .build()
            .unwrap()
            .get_status(&id(), RECIPIENT)
            .await
            .expect_err("not followed");
        assert!(
            matches!(err.kind(), ErrorKind::Redirect { .. }),
            "{tail}: {err:?}"
        );
        assert_eq!(
            origin.received().len(),
            1,
            "{tail}: only the first request was sent"
        );
    }
}

#[test]
fn a_base_url_that_does_not_read_back_as_written_is_refused() {
    for base in [
        "https://online.sigmasms.ru/api/%2e%2e/x",
        "https://online.sigmasms.ru/api\r\nX-Injected: 1",
        "https://online.sigmasms.ru/api/./n",
        "https://online.sigmasms.ru/a\tpi",
    ] {
        let err = otp_client::Client::builder(TOKEN)
            .base_url(base)
            .build()
            .expect_err(base);
        assert!(
            matches!(err.kind(), ErrorKind::Config(_)),
            "{base:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("does not read back"),
            "{base:?}: {err}"
        );
    }
    otp_client::Client::builder(TOKEN)
        .base_url("https://online.sigmasms.ru/api/n/otp-handler/")
        .build()
        .expect("a trailing slash is fine");
}

// --- No secret in any error or log line ------------------------------------------------------

/// How the echo server answers: each answer carries the whole request back (its URL with the
/// phone in the query, its `Authorization` header, its body with the phone and the code), as
/// a debugging proxy or a misconfigured server might.
#[derive(Debug, Clone, Copy)]
enum Echo {
    ApiError,
    UnknownType,
    Unauthorized,
    BadJson,
    Html,
    Redirect,
    RedirectPath,
    TooLarge,
    Stall,
    Reset,
}

const ECHOES: [Echo; 10] = [
    Echo::ApiError,
    Echo::UnknownType,
    Echo::RedirectPath,
    Echo::Unauthorized,
    Echo::BadJson,
    Echo::Html,
    Echo::Redirect,
    Echo::TooLarge,
    Echo::Stall,
    Echo::Reset,
];

fn echo(mode: Echo, r: &Received) -> Answer {
    let raw = String::from_utf8_lossy(&r.raw).to_string();
    let json_raw = serde_json::to_string(&raw).unwrap();
    match mode {
        Echo::ApiError => Answer::json(
            "400 Bad Request",
            &format!(r#"{{"type":"ValidateError","message":{json_raw},"httpStatus":400}}"#),
        ),
        Echo::UnknownType => Answer::json(
            "409 Conflict",
            &format!(r#"{{"type":{json_raw},"message":"x","httpStatus":409}}"#),
        ),
        // The request's target, query and body in a redirect's path.
        Echo::RedirectPath => {
            let body: String = url::form_urlencoded::byte_serialize(&r.body).collect();
            let auth: String = url::form_urlencoded::byte_serialize(
                r.header("authorization").unwrap_or("").as_bytes(),
            )
            .collect();
            let location = format!("/echo{}/{body}/{auth}", r.target.replace('?', "/"));
            Answer::with(
                "307 Temporary Redirect",
                "text/plain",
                "",
                &format!("location: {location}\r\n"),
            )
        }
        Echo::Unauthorized => Answer::json(
            "401 Unauthorized",
            &format!(r#"{{"message":{json_raw},"httpStatus":401}}"#),
        ),
        Echo::BadJson => Answer::json("200 OK", &format!(r#"{{"success": {json_raw}"#)),
        Echo::Html => Answer::with(
            "502 Bad Gateway",
            "text/html",
            &format!("<pre>{raw}</pre>"),
            "",
        ),
        Echo::Redirect => Answer::with(
            "302 Found",
            "text/plain",
            &raw,
            &format!(
                "location: https://u:{SECRET_TOKEN}@elsewhere.example/x?recipient={SECRET_PHONE}#{SECRET_CODE}\r\n"
            ),
        ),
        Echo::TooLarge => Answer::json("200 OK", &raw.repeat(64)),
        Echo::Stall => Answer::Stall,
        Echo::Reset => Answer::Reset,
    }
}

fn leak_args() -> Args {
    Args {
        recipient: SECRET_PHONE.into(),
        code: SECRET_CODE.into(),
        ..Args::default()
    }
}

fn leak_settings(base_url: &str) -> otp_client::ClientBuilder {
    otp_client::Client::builder(SECRET_TOKEN)
        .base_url(base_url)
        .timeout(Duration::from_millis(400))
        .long_poll_timeout(Duration::from_millis(400))
        .max_response_body(4096)
        .retry(RetryPolicy::none())
}

async fn call_with(
    which: Which,
    settings: otp_client::ClientBuilder,
    op: &str,
) -> Result<serde_json::Value, otp_client::Error> {
    let args = leak_args();
    match which {
        Which::Async => call_async(&settings.build().unwrap(), op, &args).await,
        Which::Blocking => {
            let op = op.to_string();
            tokio::task::spawn_blocking(move || {
                let client = otp_client_blocking::ClientBuilder::from(settings)
                    .build()
                    .unwrap();
                call_blocking(&client, &op, &args)
            })
            .await
            .unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_error_or_log_line_shows_the_token_the_phone_or_the_code() {
    let log = Captured::global();
    let mut kinds = std::collections::BTreeSet::new();
    let mut checked = 0;
    for mode in ECHOES {
        let server = RecordingServer::start(move |r: &Received| echo(mode, r)).await;
        for which in BOTH {
            for op in operations() {
                let ctx = format!("{mode:?} {which:?} {}", op.id);
                let err = call_with(which, leak_settings(&server.base_url), &op.id)
                    .await
                    .expect_err("every echo is an error");
                let shown = renderings(&err);
                assert_eq!(leaks(&shown), Vec::<&str>::new(), "{ctx}: {shown}");
                kinds.insert(
                    format!("{:?}", err.kind())
                        .split([' ', '(', '{'])
                        .next()
                        .unwrap()
                        .to_string(),
                );
                checked += 1;
            }
        }
        // The server did see the secrets: what was scrubbed was really there.
        let raw: Vec<u8> = server.received().into_iter().flat_map(|r| r.raw).collect();
        assert!(
            String::from_utf8_lossy(&raw).contains(SECRET_TOKEN),
            "{mode:?}"
        );
    }
    assert_eq!(checked, ECHOES.len() * 2 * operations().len());

    // The connection refused, an argument refused, a wait that gave up, a finish that
    // was not verified, a code that was not confirmed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        format!("http://127.0.0.1:{port}/api/n/otp-handler")
    };
    for which in BOTH {
        let err = call_with(which, leak_settings(&closed), "getStatus")
            .await
            .unwrap_err();
        assert_eq!(leaks(&renderings(&err)), Vec::<&str>::new(), "{err:?}");
        kinds.insert("Transport".into());
    }
    let blank = Args {
        recipient: " ".into(),
        ..leak_args()
    };
    let err = call_async(
        &leak_settings(&closed).build().unwrap(),
        "getStatus",
        &blank,
    )
    .await
    .unwrap_err();
    assert_eq!(leaks(&renderings(&err)), Vec::<&str>::new());
    let unconfirmed = RecordingServer::start(|r: &Received| {
        let status = if r.method == "GET" {
            "200 OK"
        } else {
            "201 Created"
        };
        Answer::json(status, r#"{"success":false,"status":"wait"}"#)
    })
    .await;
    let client = leak_settings(&unconfirmed.base_url).build().unwrap();
    let session = client.resume_verification(id(), SECRET_PHONE);
    for err in [
        session.finish().await.unwrap_err(),
        session.check_code(SECRET_CODE).await.unwrap_err(),
        session
            .wait_for_success_status(Duration::from_millis(300))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(leaks(&renderings(&err)), Vec::<&str>::new(), "{err:?}");
        kinds.insert(
            format!("{:?}", err.kind())
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_string(),
        );
    }
    for kind in [
        "Api",
        "Unauthorized",
        "Decode",
        "UnexpectedResponse",
        "Redirect",
        "BodyTooLarge",
        "Transport",
        "NotVerified",
        "NotConfirmed",
        "DeadlineExceeded",
    ] {
        assert!(kinds.contains(kind), "{kind} was not reached: {kinds:?}");
    }
    // Every log line this binary wrote, at TRACE.
    let text = log.text();
    assert!(text.contains("otp.call"), "the calls were traced");
    assert_eq!(leaks(&text), Vec::<&str>::new(), "the log:\n{text}");
}

// --- Transport errors say what happened ------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_say_what_happened_and_whether_the_request_arrived() {
    let reset = RecordingServer::start(|_: &Received| Answer::Reset).await;
    let stall = RecordingServer::start(|_: &Received| Answer::Stall).await;
    // An https base URL on a server that answers in plain HTTP: the TLS handshake fails.
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tls = format!(
        "https://127.0.0.1:{}/api/n/otp-handler",
        plain.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut stream, _)) = plain.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        format!("http://127.0.0.1:{port}/api/n/otp-handler")
    };
    let cases = [
        (
            closed.as_str(),
            TransportFailure::ConnectionRefused,
            false,
            "refused",
        ),
        (
            reset.base_url.as_str(),
            TransportFailure::ConnectionReset,
            true,
            "broke",
        ),
        (
            stall.base_url.as_str(),
            TransportFailure::TimedOut,
            true,
            "timed out",
        ),
        (tls.as_str(), TransportFailure::Tls, false, "TLS"),
    ];
    for which in BOTH {
        for (url, failure, sent, words) in cases {
            // A POST, which must not be repeated blindly once it may have arrived.
            let err = call_with(which, leak_settings(url), "checkCode")
                .await
                .unwrap_err();
            let ctx = format!("{which:?} {failure:?}");
            assert!(
                matches!(err.kind(), ErrorKind::Transport { failure: f, maybe_sent } if *f == failure && *maybe_sent == sent),
                "{ctx}: {err:?}"
            );
            let shown = err.to_string();
            assert!(shown.starts_with("checkCode: "), "{ctx}: {shown}");
            assert!(shown.contains(words), "{ctx}: {shown}");
            let reached = if sent {
                "may have reached the service"
            } else {
                "did not reach the service"
            };
            assert!(shown.contains(reached), "{ctx}: {shown}");
            let expected = match failure {
                TransportFailure::Dns | TransportFailure::Tls => NextStep::FixConfiguration,
                _ if sent => NextStep::OutcomeUnknown,
                _ => NextStep::RetryLater { retry_after: None },
            };
            assert_eq!(err.next_step(), expected, "{ctx}");
            // The source's text is in the chain, not repeated in the error's own.
            let source = err.source().map(|s| s.to_string()).unwrap_or_default();
            assert!(
                !source.is_empty() && !shown.contains(&source),
                "{ctx}: `{shown}` / `{source}`"
            );
        }
    }
}

// --- The configuration refuses what would leak -----------------------------------------------

#[test]
fn credentials_a_query_or_a_fragment_in_the_base_url_are_refused_without_being_shown() {
    for url in [
        format!("https://user:{SECRET_TOKEN}@online.sigmasms.ru/api/n/otp-handler"),
        format!("https://{SECRET_TOKEN}@online.sigmasms.ru/api/n/otp-handler"),
        format!("https://online.sigmasms.ru/api/n/otp-handler?token={SECRET_TOKEN}"),
        format!("https://online.sigmasms.ru/api/n/otp-handler#{SECRET_TOKEN}"),
    ] {
        let builder = otp_client::Client::builder("a-token").base_url(&url);
        assert_eq!(
            leaks(&format!("{builder:?}")),
            Vec::<&str>::new(),
            "{builder:?}"
        );
        let err = builder.build().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config(_)), "{url}: {err:?}");
        assert_eq!(leaks(&renderings(&err)), Vec::<&str>::new(), "{err:?}");
        let err = otp_client_blocking::Client::builder("a-token")
            .base_url(&url)
            .build()
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config(_)), "{url}: {err:?}");
    }
}

#[test]
fn a_token_that_is_not_visible_ascii_is_refused_at_build() {
    for token in [
        "two words",
        "tab\there",
        "line\nbreak",
        "токен",
        "del\u{7f}",
        " lead",
        "trail ",
    ] {
        let err = otp_client::Client::builder(token).build().unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Config(_)),
            "{token:?}: {err:?}"
        );
        assert!(
            err.to_string().contains("visible ASCII"),
            "{token:?}: {err}"
        );
        assert!(
            otp_client_blocking::Client::builder(token).build().is_err(),
            "{token:?}"
        );
    }
    otp_client::Client::builder("Abc-123._~+/=!$%&*^|")
        .build()
        .expect("visible ASCII");
}

#[tokio::test]
async fn the_token_never_appears_in_debug() {
    let builder = otp_client::Client::builder(SECRET_TOKEN).base_url("http://127.0.0.1:1/api");
    assert_eq!(leaks(&format!("{builder:?}")), Vec::<&str>::new());
    let client = builder.build().unwrap();
    assert_eq!(
        leaks(&format!("{client:?}")),
        Vec::<&str>::new(),
        "{client:?}"
    );
    let blocking = otp_client_blocking::Client::builder(SECRET_TOKEN)
        .build()
        .unwrap();
    assert_eq!(leaks(&format!("{blocking:?}")), Vec::<&str>::new());
    let session = client.resume_verification(id(), SECRET_PHONE);
    assert_eq!(
        leaks(&format!("{session:?} {:?}", session.save())),
        Vec::<&str>::new()
    );
}

/// The request bodies the spec gives a phone number or a code (the required string properties
/// the client treats as secrets) print them masked, and their other fields as they are.
#[test]
fn generated_bodies_mask_the_phone_and_the_code_in_debug() {
    use otp_client::types::{OtpHandlerCheckCodeRequestDto, OtpHandlerSendRequestDto};
    let widget = uuid::Uuid::from_u128(0x1234_5678);
    let send = format!("{:?}", OtpHandlerSendRequestDto::new(SECRET_PHONE, widget));
    assert_eq!(leaks(&send), Vec::<&str>::new(), "{send}");
    assert!(send.contains("+7999***0123"), "the phone, masked: {send}");
    assert!(
        send.contains(&widget.to_string()),
        "the widget id, as it is: {send}"
    );
    let check = format!("{:?}", OtpHandlerCheckCodeRequestDto::new(SECRET_CODE));
    assert_eq!(leaks(&check), Vec::<&str>::new(), "{check}");
    assert!(check.contains(r#"code: "***""#), "{check}");
    // Pretty-printed too.
    let pretty = format!("{:#?}", OtpHandlerSendRequestDto::new(SECRET_PHONE, widget));
    assert_eq!(leaks(&pretty), Vec::<&str>::new(), "{pretty}");
}

// --- The escape hatch for unlisted operations ------------------------------------------------

/// `call_unlisted` on `which` client against `base_url`.
async fn unlisted(
    which: Which,
    base_url: &str,
    token: &str,
    request: otp_client::UnlistedRequest,
) -> Result<serde_json::Value, otp_client::Error> {
    match which {
        Which::Async => {
            async_client_as(base_url, token)
                .call_unlisted(&request)
                .await
        }
        Which::Blocking => {
            let (base_url, token) = (base_url.to_string(), token.to_string());
            tokio::task::spawn_blocking(move || {
                blocking_client_as(&base_url, &token).call_unlisted(&request)
            })
            .await
            .expect("the blocking call does not panic")
        }
    }
}

#[tokio::test]
async fn an_unlisted_operation_goes_where_it_says_with_the_token_and_nothing_else() {
    use otp_client::UnlistedRequest;
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    for which in BOTH {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": 1})))
            .mount(&server)
            .await;
        let base = base_url(&server);
        let get = UnlistedRequest::get()
            .segment("longPolling")
            .request_id(id())
            .segment("region")
            .query("recipient", RECIPIENT);
        let answer = unlisted(which, &base, TOKEN, get).await.unwrap();
        assert_eq!(answer, serde_json::json!({"ok": 1}), "{which:?}");
        let post = UnlistedRequest::post()
            .request_id(id())
            .segment("cancel")
            .json(serde_json::json!({"reason": "user"}));
        unlisted(which, &base, TOKEN, post).await.unwrap();

        let seen = server.received_requests().await.unwrap();
        assert_eq!(seen.len(), 2, "{which:?}: one request each");
        assert_eq!(seen[0].method.as_str(), "GET");
        assert_eq!(
            seen[0].url.path(),
            format!("/api/n/otp-handler/longPolling/{REQUEST_ID}/region"),
            "{which:?}"
        );
        assert_eq!(
            seen[0].url.query(),
            Some("recipient=%2B79991234563"),
            "{which:?}"
        );
        assert_eq!(seen[1].method.as_str(), "POST");
        assert_eq!(
            seen[1].url.path(),
            format!("/api/n/otp-handler/{REQUEST_ID}/cancel")
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&seen[1].body).unwrap(),
            serde_json::json!({"reason": "user"})
        );
        for request in &seen {
            let auth = request
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap());
            assert_eq!(auth, Some(format!("Bearer {TOKEN}").as_str()), "{which:?}");
            assert!(request.headers.get("api-version").is_none(), "{which:?}");
        }
    }
}

#[tokio::test]
async fn an_unlisted_segment_or_query_name_cannot_choose_its_own_path() {
    use otp_client::UnlistedRequest;
    let server = RecordingServer::start(|_| Answer::json("200 OK", "{}")).await;
    for which in BOTH {
        for bad in [
            "..", ".", "a/b", "a\\b", "%2e%2e", "a?b", "a#b", "", " ", "é",
        ] {
            for request in [
                UnlistedRequest::get().request_id(id()).segment(bad),
                UnlistedRequest::get().segment("x").query(bad, "v"),
            ] {
                let err = unlisted(which, &server.base_url, TOKEN, request)
                    .await
                    .expect_err(bad);
                assert!(
                    matches!(err.kind(), ErrorKind::InvalidArgument { .. }),
                    "{which:?} {bad:?}: {err}"
                );
                assert!(!err.may_have_been_sent(), "{which:?} {bad:?}");
            }
        }
    }
    assert_eq!(server.received().len(), 0, "nothing was sent");
}

#[tokio::test]
async fn an_unlisted_post_is_sent_once_and_its_error_mapped_and_scrubbed() {
    use otp_client::UnlistedRequest;
    let echo = serde_json::json!({
        "type": "ValidateError",
        "message": format!("bad {SECRET_PHONE} with {SECRET_TOKEN}"),
        "httpStatus": 400
    })
    .to_string();
    for which in BOTH {
        // An overloaded service: a step that says to retry, which a POST that may have been
        // sent does not take.
        let body = format!(r#"{{"message": "busy {SECRET_TOKEN}", "httpStatus": 503}}"#);
        let server =
            RecordingServer::start(move |_| Answer::json("503 Service Unavailable", &body)).await;
        let post = UnlistedRequest::post()
            .request_id(id())
            .segment("cancel")
            .json(serde_json::json!({"phone": SECRET_PHONE}));
        let err = unlisted(which, &server.base_url, SECRET_TOKEN, post)
            .await
            .unwrap_err();
        assert_eq!(
            server.received().len(),
            1,
            "{which:?}: a POST is not repeated"
        );
        // The same answer to a GET: the retry rules of generated GETs (3 attempts).
        server.clear();
        let get = UnlistedRequest::get().request_id(id()).segment("state");
        unlisted(which, &server.base_url, SECRET_TOKEN, get)
            .await
            .unwrap_err();
        assert_eq!(server.received().len(), 3, "{which:?}: a GET is retried");
        assert_eq!(
            err.next_step(),
            NextStep::RetryLater { retry_after: None },
            "{which:?}: {err}"
        );
        assert_eq!(
            leaks(&renderings(&err)),
            Vec::<&str>::new(),
            "{which:?}: {err:#?}"
        );

        let body = echo.clone();
        let server = RecordingServer::start(move |_| Answer::json("400 Bad Request", &body)).await;
        let get = UnlistedRequest::get()
            .segment("things")
            .query("recipient", SECRET_PHONE);
        let err = unlisted(which, &server.base_url, SECRET_TOKEN, get)
            .await
            .unwrap_err();
        match err.kind() {
            ErrorKind::Api(api) => {
                assert_eq!(api.kind, otp_client::types::ExceptionType::ValidateError)
            }
            other => panic!("{which:?}: not an API error: {other:?}"),
        }
        assert_eq!(
            leaks(&renderings(&err)),
            Vec::<&str>::new(),
            "{which:?}: {err:#?}"
        );
    }
}

#[tokio::test]
async fn a_secret_echoed_with_json_escapes_is_scrubbed_too() {
    // The token and the phone as a JSON encoder may write them: `-` as `\u002d`, `+` as
    // `\u002b`, `/` as `\/`.
    let escaped_token = SECRET_TOKEN.replace('-', r"\u002d");
    let escaped_phone = SECRET_PHONE.replace('+', r"\u002b");
    let body = format!(r#"{{"echo": "Bearer\/{escaped_token} for {escaped_phone}"}}"#);
    for which in BOTH {
        let answer = body.clone();
        let server =
            RecordingServer::start(move |_| Answer::json("502 Bad Gateway", &answer)).await;
        let args = Args {
            recipient: SECRET_PHONE.into(),
            ..Args::default()
        };
        let err = call_as(which, &server.base_url, SECRET_TOKEN, "getStatus", &args)
            .await
            .unwrap_err();
        let shown = renderings(&err);
        for piece in ["5ecr3t", "5550123"] {
            assert!(!shown.contains(piece), "{which:?}: `{piece}` in {shown}");
        }
        // The excerpt is shown, scrubbed: the test would pass vacuously without it.
        assert!(shown.contains("echo"), "{which:?}: no excerpt in {shown}");
    }
}
