//! With the `generate` feature, progenitor generates the client from the spec at build time
//! (`OTP_HANDLER_SPEC`'s, or the bundled one, with the overlays). Without it, the build uses
//! the code the same generator made from the bundled spec, shipped in `generated/` and kept
//! equal to it by `cargo xtask check`: a build that needs no generator compiles none.

#[cfg(feature = "generate")]
fn main() {
    otp_client_codegen::build(otp_client_codegen::Target::Async);
}

// The manifest's format, which `cargo xtask generate` writes with the same file (its writing
// half is unused here).
#[cfg(not(feature = "generate"))]
#[allow(dead_code)]
#[path = "build/manifest.rs"]
mod manifest;
#[cfg(not(feature = "generate"))]
#[path = "build/prebuilt.rs"]
mod prebuilt;

#[cfg(not(feature = "generate"))]
fn main() {
    if let Err(message) = prebuilt::install() {
        for line in message.lines() {
            println!("cargo::error={line}");
        }
    }
}
