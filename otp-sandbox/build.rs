//! The spec the sandbox serves, merged as otp-client's build merges it, and its
//! `OperationId` (the one generator, `otp_spec::operation_id_enum_of`): the simulations are
//! a `match` over it.
fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let written = otp_spec::build_spec(&out).and_then(|(spec, _)| {
        let path = out.join("operation_id.rs");
        // The build's spec's operations, and the bundled spec's, which the simulations'
        // arms name: against a spec that lacks one (otp-client's build then stops with the
        // compatibility gate's message), the sandbox still compiles.
        let bundled = otp_spec::Spec::bundled();
        std::fs::write(&path, otp_spec::operation_id_enum_of(&[&spec, &bundled]))
            .map_err(|source| otp_spec::SpecError::Read { path, source })
    });
    if let Err(e) = written {
        for line in e.to_string().lines() {
            println!("cargo::error={line}");
        }
    }
}
