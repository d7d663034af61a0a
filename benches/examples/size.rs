//! The size of one call's future, the SDK's beside raw reqwest's: what a caller's own future
//! carries (and moves) for each call in flight.
fn main() {
    let c = otp_benches::sdk_client("127.0.0.1:1".parse().unwrap());
    let f = c.get_status(&otp_benches::ID, "b");
    println!("sdk get_status future: {} bytes", std::mem::size_of_val(&f));
    let raw = otp_benches::raw_client();
    let g = otp_benches::raw_get_status(&raw, "x");
    println!("raw reqwest future: {} bytes", std::mem::size_of_val(&g));
}
