fn main() {
    otp_client_codegen::build(otp_client_codegen::Target::Cli);
}
