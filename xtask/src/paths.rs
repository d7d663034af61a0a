//! Where things are in the workspace.

use std::path::PathBuf;

use otp_client_codegen::Target;

/// The workspace root.
pub fn root() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().map(PathBuf::from).unwrap_or(xtask)
}

/// The spec, the single source of truth.
pub fn spec() -> PathBuf {
    root().join("openapi").join("otp-handler.yaml")
}

/// The overlay: what this project knows about the API beyond the vendor's file.
pub fn overlay() -> PathBuf {
    root().join("openapi").join("otp-handler.overlay.yaml")
}

/// The overlay as otp-client packages it (a link to [`overlay`]): its prebuilt code says
/// which overlay it was generated with.
pub const CRATE_OVERLAY_FILE: &str = "overlay.yaml";

/// The vendor's spec with the overlay applied, as a build without `OTP_HANDLER_SPEC` or
/// `OTP_HANDLER_OVERLAY` sees it, with the merged document's text.
pub fn load_overlaid() -> anyhow::Result<otp_spec::Overlaid> {
    let overlay = otp_client_codegen::Overlay::load(&overlay())?;
    Ok(otp_client_codegen::Spec::load_overlaid(spec(), &[overlay])?)
}

/// The committed snapshot of a target's generated code. The clients' are otp-client's
/// prebuilt code ([`prebuilt_dir`]); the CLI's is for review only.
pub fn snapshot(target: Target) -> PathBuf {
    match target {
        Target::Async | Target::Blocking => prebuilt_dir(),
        Target::Cli => root().join("generated"),
    }
    .join(target.file_name())
}

/// Where otp-client keeps the code it builds without its `generate` feature.
pub fn prebuilt_dir() -> PathBuf {
    root()
        .join(Target::Async.crate_name())
        .join(crate::prebuilt::folder())
}

/// The spec as a client crate packages it.
pub fn crate_spec(target: Target) -> PathBuf {
    root()
        .join(target.crate_name())
        .join(otp_client_codegen::CRATE_SPEC_FILE)
}

/// The vendor's docs, beside the workspace.
pub fn default_docs() -> PathBuf {
    root()
        .join("..")
        .join("shared")
        .join("docs")
        .join("otp-handler")
}
