//! `cargo xtask diff OLD [NEW]`: otp-spec's diff of the two specs (as `otp spec diff` gives
//! it: each change once, with its wire and Rust severities), and the public Rust API of both
//! generated clients that appears, disappears or changes, item by item.

mod input;
mod rust_api;

pub use input::load;
pub use otp_spec::diff::{ChangeKind, Format, Report, RustChange};

/// Compares two loaded specs, the generated clients' public API included.
pub fn compare(
    old: &otp_client_codegen::Spec,
    new: &otp_client_codegen::Spec,
    old_label: &str,
    new_label: &str,
) -> Report {
    let mut report = otp_spec::diff::compare(old, new, old_label, new_label);
    match rust_api::diff(old, new) {
        Ok(rust) => report.rust_api = rust,
        Err(e) => report.rust_api_error = Some(e.to_string()),
    }
    report
}
