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

/// The committed snapshot of a target's generated code.
pub fn snapshot(target: Target) -> PathBuf {
    root().join("generated").join(target.file_name())
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
