fn main() {
    otp_spec::build_spec_copy();
}
