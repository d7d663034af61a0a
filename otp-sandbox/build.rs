fn main() {
    otp_client_codegen::build_spec_copy();
}
