//! The size of one call's future, the SDK's beside raw reqwest's: what a caller's own future
//! carries (and moves) for each call in flight, for `getStatus` and for the long-poll the
//! long-poll bench holds (`getChannelLongPolling`). The SDK's future also owns progenitor's,
//! boxed: its size is in BENCHMARKS.md (progenitor's client is private to the crate).
fn main() {
    let c = otp_benches::sdk_client("127.0.0.1:1".parse().unwrap());
    let f = c.get_status(&otp_benches::ID, "b");
    println!("sdk get_status future: {} bytes", std::mem::size_of_val(&f));
    let raw = otp_benches::raw_client();
    let g = otp_benches::raw_get_status(&raw, "x");
    println!(
        "raw reqwest get_status future: {} bytes",
        std::mem::size_of_val(&g)
    );
    let f = c.get_channel_long_polling(&otp_benches::ID);
    println!(
        "sdk get_channel_long_polling future: {} bytes",
        std::mem::size_of_val(&f)
    );
    // As the long-poll bench's raw way: send, then decode the channel.
    let g = async {
        let response = raw.get("http://127.0.0.1:1/").send().await?;
        response.json::<serde_json::Value>().await
    };
    println!(
        "raw reqwest long-poll future: {} bytes",
        std::mem::size_of_val(&g)
    );
}
