//! Which spec a build uses: the file `OTP_HANDLER_SPEC` names, else the crate's bundled
//! `openapi.yaml`, with the bundled overlay and the user's (`OTP_HANDLER_OVERLAY`) applied;
//! for build scripts.

use std::path::{Path, PathBuf};

use crate::overlay::{OVERLAY_ENV, Overlay, user_overlay_paths};
use crate::{Spec, SpecError};

/// The environment variable that points the build at another spec than the bundled one: an
/// absolute path (cargo's `[env]` with `relative = true` makes one from a path relative to the
/// folder that holds `.cargo/`).
pub const SPEC_ENV: &str = "OTP_HANDLER_SPEC";

/// The file, inside each crate that bundles the spec, that holds (a link to) it.
pub const CRATE_SPEC_FILE: &str = "openapi.yaml";

/// The merged spec (the vendor's file with every overlay applied) a build script leaves in its
/// `OUT_DIR`, for `include_str!` and for the crates built on it.
pub const SPEC_COPY_FILE: &str = "openapi.yaml";

/// For a build script: the file `OTP_HANDLER_SPEC` names, else the crate's bundled spec.
/// Tells cargo to rerun the script when the variable changes.
pub fn overriding_or_bundled_spec() -> Result<PathBuf, SpecError> {
    println!("cargo::rerun-if-env-changed={SPEC_ENV}");
    match std::env::var_os(SPEC_ENV).filter(|p| !p.is_empty()) {
        Some(path) => {
            let path = PathBuf::from(path);
            if path.is_relative() {
                return Err(SpecError::Override {
                    message: format!(
                        "{SPEC_ENV}={} is relative, and a build script cannot tell to what: \
                         give an absolute path, or set it in .cargo/config.toml, under `[env]`, \
                         as `{SPEC_ENV} = {{ value = \"{}\", relative = true }}`",
                        path.display(),
                        path.display()
                    ),
                });
            }
            Ok(path)
        }
        None => Ok(
            PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
                .join(CRATE_SPEC_FILE),
        ),
    }
}

/// For a build script: the spec the build generates from (`OTP_HANDLER_SPEC` or the bundled
/// file, with the bundled overlay and then the user's applied), checked, its merged text
/// written to `out_dir` as [`SPEC_COPY_FILE`] (left as it is when it already holds it, so that
/// the crates whose build reads it are not rebuilt for nothing). Tells cargo what to watch,
/// and warns once for each overlay action that selects nothing in the spec.
pub fn build_spec(out_dir: &Path) -> Result<(Spec, PathBuf), SpecError> {
    let path = overriding_or_bundled_spec()?;
    println!("cargo::rerun-if-changed={}", path.display());
    println!("cargo::rerun-if-env-changed={OVERLAY_ENV}");
    let mut overlays = vec![Overlay::bundled()];
    for overlay in user_overlay_paths()? {
        println!("cargo::rerun-if-changed={}", overlay.display());
        overlays.push(Overlay::load(&overlay)?);
    }
    let merged = Spec::load_overlaid(&path, &overlays)?;
    for unmatched in &merged.unmatched {
        println!(
            "cargo::warning={unmatched} in {}: the overlay describes what the spec no longer has",
            path.display()
        );
    }
    let copy = out_dir.join(SPEC_COPY_FILE);
    if std::fs::read_to_string(&copy).is_ok_and(|old| old == merged.text) {
        return Ok((merged.spec, copy));
    }
    std::fs::write(&copy, &merged.text).map_err(|source| SpecError::Read {
        path: copy.clone(),
        source,
    })?;
    Ok((merged.spec, copy))
}

/// Everything the `build.rs` of a crate that serves or reads the spec without generating a
/// client does (the sandbox, which does not depend on otp-client): [`build_spec`] into
/// `OUT_DIR`. With the same variables set, and the same release's bundled spec otherwise, it
/// is the spec otp-client is generated from.
pub fn build_spec_copy() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = build_spec(&out_dir) {
        for line in e.to_string().lines() {
            println!("cargo::error={line}");
        }
    }
}
