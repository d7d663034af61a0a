//! The widget back end's added cost per proxied call: a browser's `getStatus` through
//! otp-widget, beside the same call through a bare reverse proxy written with axum and
//! reqwest, and straight to the service (with the token, as a back end calls it). Each
//! upstream in turn: the bare responder (where the proxies' own cost stands out) and the
//! sandbox. `cargo bench -p otp-benches --bench widget`; added cost = via − direct.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use otp_benches::proxy::{bare, browser_get, serve_with_peers, widget, widget_cookie};
use otp_benches::*;

/// A session on a sandbox in the background: (its base URL, its token, the session's id,
/// its phone).
fn sandbox_session() -> (String, &'static str, String, &'static str) {
    const PHONE: &str = "+79991234563";
    in_background(|| async {
        let sandbox = otp_sandbox::Sandbox::start(otp_sandbox::SandboxConfig::fast())
            .await
            .unwrap();
        let client = otp_client::Client::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap();
        let session = client
            .start_verification(otp_sandbox::CODE_WIDGET, PHONE)
            .await
            .unwrap();
        let found = (
            sandbox.base_url(),
            sandbox.token(),
            session.request_id().to_string(),
            PHONE,
        );
        // The sandbox lives as long as the process.
        std::mem::forget(sandbox);
        found
    })
}

fn proxied_calls(c: &mut Criterion) {
    let rt = common::runtime();
    let browser = raw_client();
    let responder = base_url(serve_in_background(responder()));
    let upstreams = [
        (
            "bare responder",
            responder,
            TOKEN,
            REQUEST_ID.to_string(),
            RECIPIENT,
        ),
        {
            let (base, token, id, phone) = sandbox_session();
            ("sandbox", base, token, id, phone)
        },
    ];
    for (name, upstream, token, id, phone) in upstreams {
        let path = format!("/{id}/status?recipient={}", phone.replace('+', "%2B"));
        let authorization = format!("Bearer {token}");
        let via_bare = format!(
            "http://{}{path}",
            serve_with_peers(bare(&upstream, token, false))
        );
        let via_widget = format!(
            "http://{}{path}",
            serve_with_peers(widget(
                &upstream,
                token,
                &[otp_sandbox::CODE_WIDGET],
                false,
                true
            ))
        );
        let direct = format!("{upstream}{path}");
        let mut group = c.benchmark_group(format!("getStatus from a browser, {name} upstream"));
        let cookie = widget_cookie(&id);
        let cases = [
            (
                "direct (with the token)",
                &direct,
                Some(authorization.as_str()),
                None,
            ),
            // The same request as the widget's, session cookie included: the proxies differ.
            (
                "bare axum + reqwest proxy",
                &via_bare,
                None,
                Some(cookie.as_str()),
            ),
            ("otp-widget", &via_widget, None, Some(cookie.as_str())),
        ];
        for (case, url, auth, cookie) in cases {
            group.bench_function(case, |b| {
                b.to_async(&rt)
                    .iter(|| async { assert!(browser_get(&browser, url, auth, cookie).await) })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = proxied_calls
}
criterion_main!(benches);
