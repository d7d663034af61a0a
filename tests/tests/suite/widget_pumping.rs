//! The widget back end against SMS pumping, second round (issue #31): each attack through
//! real HTTP, as an attacker paid per message would run it.

use std::time::Duration;

use axum::Router;
use otp_sandbox::{CODE_WIDGET, DEFAULT_TOKEN};
use otp_widget::{Captcha, Ipv6Aggregates, LongPollCaps, TrustedProxies, WidgetBackend};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::drive::*;
use crate::common::*;
use crate::widget::{Provider, browse, captcha_refused, fake_provider, send_with, stack, start};

/// A resend sends a message: past the client's free sends it needs the captcha, which a
/// resend cannot carry, so it is refused before the service is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_count_against_the_free_sends_of_the_captcha() {
    let (url, _) = fake_provider(Provider::No).await;
    let sb = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig {
        resend_cooldown: Duration::ZERO,
        ..config()
    })
    .await
    .unwrap();
    let stack = crate::widget::stack_on(sb, |b| {
        b.captcha(
            Captcha::google("s")
                .verify_url(&url)
                .free_sends(2, Duration::from_secs(60)),
        )
    })
    .await;
    let id = start(&stack, RECIPIENT).await; // the first free send
    stack.sandbox.record();
    let (status, body, _) = browse(&stack, "POST", &format!("/{id}/resend"), None, &[]).await;
    assert_eq!(status, 201, "the second free one: {body}");
    for _ in 0..3 {
        let (status, body, _) = browse(&stack, "POST", &format!("/{id}/resend"), None, &[]).await;
        assert!(captcha_refused(status, &body), "{status} {body}");
    }
    let resends = stack
        .sandbox
        .exchanges()
        .iter()
        .filter(|e| e.operation == "resend")
        .count();
    assert_eq!(resends, 1, "only the free resend reached the service");
}

/// Ten /64s of one /48 (free from a tunnel broker) are ten clients, but their /48 shares a
/// multiple of one client's free sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_64s_of_one_48_share_its_free_sends() {
    let (url, _) = fake_provider(Provider::No).await;
    let stack = stack(|b| {
        b.captcha(
            Captcha::google("s")
                .verify_url(&url)
                .free_sends(3, Duration::from_secs(60)),
        )
        .trusted_proxies(TrustedProxies::new(["127.0.0.0/8".parse().unwrap()]))
        .ipv6_aggregates(Ipv6Aggregates {
            per_56: 2,
            per_48: 4,
        })
    })
    .await;
    let mut sent = 0;
    for subnet in 0..10 {
        // Each /64 in a /56 of its own, all in 2001:db8:7::/48.
        let client = format!("2001:db8:7:{:x}00::1", subnet);
        for _ in 0..3 {
            let (status, body) = send_with(&stack, None, &[("x-forwarded-for", &client)]).await;
            match status {
                201 => sent += 1,
                _ => assert!(captcha_refused(status, &body), "{status} {body}"),
            }
        }
    }
    assert_eq!(sent, 12, "the /48's free sends: 4 times one /64's 3");
}

/// A body sent one byte at a time is cut at the body's deadline, however often a byte comes.
#[tokio::test]
async fn a_trickled_body_is_cut_at_its_deadline() {
    let sb = sandbox(config()).await;
    let client = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .body_timeout(Duration::from_millis(600))
        .build()
        .unwrap();
    let app = Router::new().nest("/otp/", widget.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(otp_widget::serve(
        listener,
        app,
        otp_widget::ServeTimeouts::default(),
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"POST /otp/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
        )
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // A byte every 200 ms: tower-http's per-frame timeout of 600 ms would never fire.
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read.unwrap_or(0);
                answer.extend_from_slice(&buf[..n]);
                if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if stream.write_all(b" ").await.is_err() {
                    break;
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the trickled body was still open after 10 s"
        );
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// One client may hold only so many connections open with `serve`.
#[tokio::test]
async fn serve_caps_the_connections_of_one_client() {
    let sb = sandbox(config()).await;
    let client = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .build()
        .unwrap();
    let app = Router::new().nest("/otp/", widget.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = otp_widget::ServeTimeouts::default().connections(3, 100);
    tokio::spawn(otp_widget::serve(listener, app, settings));
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        // Half a request: the connection stays open, counted.
        stream.write_all(b"GET /otp/widget/").await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fourth = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET /otp/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), fourth.read_to_end(&mut rest)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the fourth connection was served: {:?}",
        String::from_utf8_lossy(&rest)
    );
    // One closed: once the server has seen it go, the next one is served.
    held.pop();
    let mut answer = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut next = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = b"GET /otp/nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if next.write_all(request).await.is_err() {
            continue;
        }
        answer.clear();
        let _ = tokio::time::timeout(Duration::from_secs(5), next.read_to_end(&mut answer)).await;
        if !answer.is_empty() {
            break;
        }
    }
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 404"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

/// A `POST` from another origin's page is refused before anything is counted or sent,
/// whatever cookie the browser carries.
#[tokio::test]
async fn cross_origin_posts_never_reach_the_service() {
    let stack = stack(|b| b).await;
    stack.sandbox.record();
    let id = start(&stack, RECIPIENT).await;
    // What reached the service so far: the session's own send (its recording may land
    // after the answer).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = stack.sandbox.exchanges().len();
    let cross = [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    let sibling = [
        ("origin", "https://shop.app.example"),
        ("sec-fetch-site", "same-site"),
    ];
    for headers in [
        &cross[..],
        &sibling[..],
        &[("origin", "https://evil.example")][..],
    ] {
        for path in [format!("/{id}/resend"), format!("/{id}/complete")] {
            let (status, body, _) = browse(&stack, "POST", &path, None, headers).await;
            assert_eq!(
                (status, body["type"].as_str()),
                (403, Some("ForbiddenException")),
                "{path} {headers:?}: {body}"
            );
        }
        let (status, _, _) = browse(
            &stack,
            "POST",
            "/",
            Some(json!({"widgetId": CODE_WIDGET.to_string(), "recipient": RECIPIENT})),
            headers,
        )
        .await;
        assert_eq!(status, 403, "send {headers:?}");
    }
    assert_eq!(
        stack.sandbox.exchanges()[before..]
            .iter()
            .map(|e| e.operation)
            .collect::<Vec<_>>(),
        Vec::<&str>::new(),
        "cross-origin POSTs reached the service"
    );
    // The browser's own page (same origin) still reaches the service (whose answer is its
    // resend cooldown's, so soon after the send).
    let (status, body, _) = browse(
        &stack,
        "POST",
        &format!("/{id}/resend"),
        None,
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_ne!(body["type"], "ForbiddenException", "{status} {body}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        stack.sandbox.exchanges()[before..]
            .iter()
            .any(|e| e.operation == "resend"),
        "the same-origin resend did not reach the service"
    );
}

/// With secure cookies only the `__Host-` cookie binds a session: the plain name, which a
/// sibling subdomain can plant, is not read.
#[tokio::test]
async fn a_secure_back_end_reads_only_the_host_prefixed_cookie() {
    let sb = sandbox(config()).await;
    let client = async_client_as(&sb.base_url(), DEFAULT_TOKEN);
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .build()
        .unwrap();
    let addr = crate::widget::mount(&widget).await;
    let id: otp_client::RequestId = REQUEST_ID.parse().unwrap();
    let cookie = widget.session_cookie(&id);
    let pair = cookie
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(pair.starts_with("__Host-otp_widget_session="), "{pair}");
    let planted = pair.replacen("__Host-", "", 1);
    let http = reqwest::Client::new();
    let channel = format!("http://{addr}/otp/{id}/channel");
    let answer = http
        .get(&channel)
        .header("cookie", &planted)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404, "the plain cookie bound the session");
    assert!(widget.holds_session(&headers_with_cookie(&pair), &id));
    assert!(!widget.holds_session(&headers_with_cookie(&planted), &id));
}

/// One session's long-polls are capped whatever addresses they come from.
#[tokio::test]
async fn one_session_cannot_fill_the_long_poll_cap_from_many_addresses() {
    let sb = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig {
        hold: Duration::from_secs(3),
        ..config()
    })
    .await
    .unwrap();
    let stack = crate::widget::stack_on(sb, |b| {
        b.trusted_proxies(TrustedProxies::new(["127.0.0.0/8".parse().unwrap()]))
            .max_long_polls(LongPollCaps {
                per_client: 4,
                per_session: 1,
                total: 100,
            })
    })
    .await;
    let id = start(&stack, RECIPIENT).await;
    let path = format!("/longPolling/{id}/channel");
    // Wait until the channel is sent, so that a long-poll is held.
    for _ in 0..50 {
        let (_, channel, _) = browse(&stack, "GET", &format!("/{id}/channel"), None, &[]).await;
        if channel["status"] == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first = {
        let url = format!("{}{path}", stack.url);
        let browser = stack.browser.clone();
        tokio::spawn(async move {
            browser
                .get(url)
                .header("x-forwarded-for", "198.51.100.1")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    for _ in 0..100 {
        if stack.sandbox.held_long_polls() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for other in ["198.51.100.2", "198.51.100.3", "203.0.113.4"] {
        let (status, body, _) =
            browse(&stack, "GET", &path, None, &[("x-forwarded-for", other)]).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (429, Some("RateLimitException")),
            "{other}: {body}"
        );
    }
    first.abort();
}

fn headers_with_cookie(pair: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("cookie", pair.parse().unwrap());
    headers
}

/// A flood of sends refused by a cap leaves no keys behind, so a small store never forgets
/// the cap's own count to make room for them; and a store full of open windows refuses
/// rather than forgetting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sends_never_make_a_small_store_forget_a_cap() {
    let stack = stack(|b| {
        b.store(otp_widget::MemoryStore::new(16))
            .per_country_limit(Some(otp_widget::Limit::per_minute(2)))
    })
    .await;
    for _ in 0..2 {
        assert_eq!(send_with(&stack, None, &[]).await.0, 201);
    }
    for _ in 0..70 {
        let (status, body) = send_with(&stack, None, &[]).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (429, Some("RateLimitException")),
            "{body}"
        );
    }
    // The country's count survived the flood: still refused.
    let (status, body) = send_with(&stack, None, &[]).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (429, Some("RateLimitException")),
        "{body}"
    );
    assert_eq!(
        stack.sandbox.started_sessions(),
        2,
        "only the two sends under the cap"
    );
}

/// Landlines are numbers (the voice channels reach them); premium-rate and toll-free numbers,
/// what pumping targets, are refused before anything is counted, unless the application
/// allows their kind.
#[tokio::test]
async fn premium_and_toll_free_numbers_are_refused_and_landlines_sent() {
    let stack = stack(|b| b).await;
    for phone in ["+7 809 123 45 67", "+7 800 555 35 35"] {
        let (status, body, _) = crate::widget::send(&stack, phone, None, &[]).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some("ValidateError")),
            "{phone}: {body}"
        );
    }
    assert_eq!(stack.sandbox.started_sessions(), 0, "nothing was sent");
    for phone in ["+7 861 234 56 78", "8 846 123 45 67"] {
        let (status, body, _) = crate::widget::send(&stack, phone, None, &[]).await;
        assert_eq!(status, 201, "{phone}: {body}");
    }
    let premium = crate::widget::stack(|b| {
        b.number_types([
            otp_client::NumberType::Mobile,
            otp_client::NumberType::PremiumRate,
        ])
    })
    .await;
    let (status, body, _) = crate::widget::send(&premium, "+7 809 123 45 67", None, &[]).await;
    assert_eq!(status, 201, "allowed premium-rate: {body}");
}

/// A kept cookie does not buy messages: each resend is charged to the number's, the
/// range's and the country's limits as its send was, in memory and in a real Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_are_charged_to_every_limit_a_send_is_charged_to() {
    let redis = crate::common::redis::RedisServer::start();
    for store in ["memory", "redis"] {
        let sb = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig {
            resend_cooldown: Duration::ZERO,
            ..config()
        })
        .await
        .unwrap();
        let redis_store = match store {
            "redis" => Some(
                otp_widget::RedisStore::connect(&redis.url())
                    .await
                    .expect("redis connects"),
            ),
            _ => None,
        };
        let stack = crate::widget::stack_on(sb, |b| {
            let b = b
                .per_phone_limit(Some(otp_widget::Limit::per_minute(10)))
                .per_country_limit(Some(otp_widget::Limit::per_minute(2)));
            match redis_store {
                Some(redis) => b.store(redis),
                None => b,
            }
        })
        .await;
        let id = start(&stack, RECIPIENT).await;
        stack.sandbox.record();
        let resend = format!("/{id}/resend");
        let (status, body, _) = browse(&stack, "POST", &resend, None, &[]).await;
        assert_eq!(status, 201, "{store}: the country's second message: {body}");
        for _ in 0..3 {
            let (status, body, _) = browse(&stack, "POST", &resend, None, &[]).await;
            assert_eq!(
                (status, body["type"].as_str()),
                (429, Some("RateLimitException")),
                "{store}: {body}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let resends = stack
            .sandbox
            .exchanges()
            .iter()
            .filter(|e| e.operation == "resend")
            .count();
        assert_eq!(resends, 1, "{store}: messages past the country's cap of 2");
        // The country's cap holds for a new session too.
        let (status, body, _) = crate::widget::send(&stack, "+79991112233", None, &[]).await;
        assert_eq!(status, 429, "{store}: {body}");
    }
}

/// No span of a limit's window holds more than the limit: the sends of the window's end and
/// of the next one's start share one count (fixed windows let twice the limit through
/// around their end), in memory and in a real Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_holds_across_a_window_s_end() {
    let redis = crate::common::redis::RedisServer::start();
    for store in ["memory", "redis"] {
        let redis_store = match store {
            "redis" => Some(
                otp_widget::RedisStore::connect(&redis.url())
                    .await
                    .expect("redis connects"),
            ),
            _ => None,
        };
        let stack = crate::widget::stack(|b| {
            let b = b.global_send_cap(Some(otp_widget::Limit::new(3, Duration::from_secs(3))));
            match redis_store {
                Some(redis) => b.store(redis),
                None => b,
            }
        })
        .await;
        let started = tokio::time::Instant::now();
        assert_eq!(send_with(&stack, None, &[]).await.0, 201, "{store}");
        tokio::time::sleep_until(started + Duration::from_millis(2000)).await;
        for _ in 0..2 {
            assert_eq!(send_with(&stack, None, &[]).await.0, 201, "{store}");
        }
        // Past the first window's end: the first send (within half a second of the start)
        // has left the last 3 s, the two others (at 2 s) have not.
        tokio::time::sleep_until(started + Duration::from_millis(3500)).await;
        let mut sent = 0;
        for _ in 0..3 {
            if send_with(&stack, None, &[]).await.0 == 201 {
                sent += 1;
            }
        }
        assert_eq!(sent, 1, "{store}: sends in the 3 s after the window's end");
    }
}
