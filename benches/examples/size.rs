fn main() {
    let c = otp_benches::sdk_client("127.0.0.1:1".parse().unwrap());
    let f = c.get_status("a", "b");
    println!("sdk get_status future: {} bytes", std::mem::size_of_val(&f));
    let r = c.raw().get_status("a", "b");
    println!(
        "progenitor get_status future: {} bytes",
        std::mem::size_of_val(&r)
    );
    let raw = otp_benches::raw_client();
    let g = otp_benches::raw_get_status(&raw, "x");
    println!("raw reqwest future: {} bytes", std::mem::size_of_val(&g));
}
