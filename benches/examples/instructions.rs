//! Counts what one client costs, free of timing noise: run under
//! `perf stat -e instructions` (or callgrind) with `sdk` or `raw` as the argument; the
//! difference between the two runs is the SDK's work per call (the responder's is the same).

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
        for _ in 0..calls() {
            match which.as_str() {
                "sdk" => assert!(sdk.get_status(&ID, RECIPIENT).await.unwrap().success),
                "raw" => assert!(raw_get_status(&raw, &base).await.success),
                "none" => {}
                other => panic!("sdk, raw or none, not {other}"),
            }
        }
    });
}
