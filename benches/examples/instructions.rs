//! Counts what one client costs, free of timing noise: run under callgrind (or
//! `perf stat -e instructions`) with `sdk`, `raw` (getStatus), `sdk-check`, `raw-check`
//! (checkCode) or `none` as the argument; (run − none) / CALLS is a call's cost, client and
//! responder together.

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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (sdk, raw) = (sdk_client(addr), raw_client());
        let body = otp_client::types::OtpHandlerCheckCodeRequestDto {
            code: "1234".into(),
        };
        for _ in 0..calls() {
            match which.as_str() {
                "sdk" => assert!(sdk.get_status(&ID, RECIPIENT).await.unwrap().success),
                "raw" => assert!(raw_get_status(&raw, &base).await.success),
                "sdk-check" => assert!(sdk.check_code(&ID, &body).await.unwrap().success),
                "raw-check" => assert!(raw_check_code(&raw, &base).await.success),
                "none" => {}
                other => panic!("sdk, raw, sdk-check, raw-check or none, not {other}"),
            }
        }
    });
}
