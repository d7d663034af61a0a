//! Counts what one call costs, free of timing noise: run under callgrind (or
//! `perf stat -e instructions`) with `sdk`, `raw` (getStatus), `sdk-check`, `raw-check`
//! (checkCode), `browser-direct`, `browser-bare`, `browser-widget` (a browser's getStatus
//! straight to the responder, through a bare axum + reqwest proxy, through otp-widget),
//! `browser-widget-unlimited` (otp-widget without its per-IP request limit),
//! `browser-actix-bare`, `browser-actix-widget` (the same two proxies in actix-web: a bare
//! actix-web + reqwest proxy, otp-widget through its actix mount; with the `actix` feature,
//! on by default) or `none` as the argument; (run − none) / CALLS is a call's cost, every party together.
//! `scripts/instructions.sh` runs them all.

use otp_benches::proxy::{bare, browser_get, serve_with_peers, widget, widget_cookie};
#[cfg(feature = "actix")]
use otp_benches::proxy::{bare_actix, serve_actix, widget_backend};
use otp_benches::*;

fn calls() -> usize {
    std::env::var("CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "sdk".into());
    let addr = serve_in_background(responder());
    let base = base_url(addr);
    // Both proxies start whatever is measured, so that `none` subtracts their start-up too.
    // The browser's request is the same through either proxy, its session cookie included (a
    // browser sends its cookies whatever the server does with them): the proxies differ,
    // not what they are sent.
    let path = format!(
        "/{REQUEST_ID}/status?recipient={}",
        RECIPIENT.replace('+', "%2B")
    );
    let cookie = widget_cookie(REQUEST_ID);
    let via_bare = format!(
        "http://{}{path}",
        serve_with_peers(bare(&base, TOKEN, false))
    );
    let via_widget = format!(
        "http://{}{path}",
        serve_with_peers(widget(
            &base,
            TOKEN,
            &[otp_sandbox::CODE_WIDGET],
            false,
            true
        ))
    );
    let via_unlimited = format!(
        "http://{}{path}",
        serve_with_peers(widget(
            &base,
            TOKEN,
            &[otp_sandbox::CODE_WIDGET],
            false,
            false
        ))
    );
    #[cfg(feature = "actix")]
    let (via_actix_bare, via_actix_widget) = {
        let bare = format!("http://{}{path}", serve_actix(bare_actix(&base, TOKEN)));
        let widget = widget_backend(&base, TOKEN, &[otp_sandbox::CODE_WIDGET], false, true);
        (
            bare,
            format!("http://{}{path}", serve_actix(widget.actix(""))),
        )
    };
    let direct = format!("{base}{path}");
    let authorization = format!("Bearer {TOKEN}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (sdk, raw) = (sdk_client(addr), raw_client());
        let body = otp_client::types::OtpHandlerCheckCodeRequestDto::new("1234");
        for _ in 0..calls() {
            match which.as_str() {
                "sdk" => assert!(sdk.get_status(&ID, RECIPIENT).await.unwrap().success),
                "raw" => assert!(raw_get_status(&raw, &base).await.success),
                "sdk-check" => assert!(sdk.check_code(&ID, &body).await.unwrap().success),
                "raw-check" => assert!(raw_check_code(&raw, &base).await.success),
                "browser-direct" => {
                    assert!(browser_get(&raw, &direct, Some(&authorization), None).await)
                }
                "browser-bare" => {
                    assert!(browser_get(&raw, &via_bare, None, Some(&cookie)).await)
                }
                "browser-widget" => {
                    assert!(browser_get(&raw, &via_widget, None, Some(&cookie)).await)
                }
                "browser-widget-unlimited" => {
                    assert!(browser_get(&raw, &via_unlimited, None, Some(&cookie)).await)
                }
                #[cfg(feature = "actix")]
                "browser-actix-bare" => {
                    assert!(browser_get(&raw, &via_actix_bare, None, Some(&cookie)).await)
                }
                #[cfg(feature = "actix")]
                "browser-actix-widget" => {
                    assert!(browser_get(&raw, &via_actix_widget, None, Some(&cookie)).await)
                }
                "none" => {}
                other => panic!(
                    "not a mode of this build: {other} (see the file's docs; the actix modes need the `actix` feature)"
                ),
            }
        }
    });
}
