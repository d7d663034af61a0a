//! Which spec a build uses: the file `OTP_HANDLER_SPEC` names, else the crate's bundled
//! `openapi.yaml`; for build scripts.

use std::path::{Path, PathBuf};

use crate::SpecError;

/// The environment variable that points the build at another spec than the bundled one: an
/// absolute path (cargo's `[env]` with `relative = true` makes one from a path relative to the
/// folder that holds `.cargo/`).
pub const SPEC_ENV: &str = "OTP_HANDLER_SPEC";

/// The file, inside each crate that bundles the spec, that holds (a link to) it.
pub const CRATE_SPEC_FILE: &str = "openapi.yaml";

/// The copy of the spec a build script leaves in its `OUT_DIR`, for `include_str!`.
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

/// Copies the spec at `path` into `out_dir` as [`SPEC_COPY_FILE`], unless the copy already
/// holds it (so that the crates whose build reads it are not rebuilt for nothing).
pub fn copy_spec(path: &Path, out_dir: &Path) -> Result<PathBuf, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let copy = out_dir.join(SPEC_COPY_FILE);
    if std::fs::read_to_string(&copy).is_ok_and(|old| old == text) {
        return Ok(copy);
    }
    std::fs::write(&copy, text).map_err(|source| SpecError::Read {
        path: copy.clone(),
        source,
    })?;
    Ok(copy)
}

/// Everything the `build.rs` of a crate that serves or reads the spec without generating a
/// client does (the sandbox, which does not depend on otp-client): loads and checks the spec
/// that `OTP_HANDLER_SPEC` names, or else the crate's bundled `openapi.yaml`, and copies it
/// to `OUT_DIR/openapi.yaml`. With the same variable set, and the same release's bundled spec
/// otherwise, it is the spec otp-client is generated from.
pub fn build_spec_copy() {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let result = overriding_or_bundled_spec().and_then(|path| {
        println!("cargo::rerun-if-changed={}", path.display());
        crate::Spec::load(&path)?;
        copy_spec(&path, &out_dir)
    });
    if let Err(e) = result {
        for line in e.to_string().lines() {
            println!("cargo::error={line}");
        }
    }
}
