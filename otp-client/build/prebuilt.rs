//! The build without the `generate` feature: the code `cargo xtask generate` made from the
//! bundled spec, in `generated/`, installed into `OUT_DIR` as the generator would leave it.
//!
//! What to do is read from `generated/prebuilt.txt`, which `cargo xtask generate` writes
//! (from the generator's own names) and `cargo xtask check` keeps fresh, one directive a line:
//!
//! - `source FILE DIGEST`: the crate's file the code was generated from, and its digest;
//!   an edited file stops the build (the code would no longer be the spec's).
//! - `env NAME`: a variable that points the build at another spec or overlay; set, it stops
//!   the build, since only the generator can follow it.
//! - `copy FILE`: a file of `generated/` copied into `OUT_DIR`.
//! - `metadata KEY FILE`: the same copy, and `cargo::metadata=KEY=` its path, for the crates
//!   built on this one (`DEP_OTP_CLIENT_KEY`).
//! - `needs FEATURE`: the code names that feature's crate.

use std::path::{Path, PathBuf};

use crate::digest::spec_digest;

const FOLDER: &str = "generated";
const MANIFEST: &str = "prebuilt.txt";

/// Checks the prebuilt code against the crate's spec, the environment and the features, and
/// installs it; the error is the message that stops the build.
pub fn install() -> Result<(), String> {
    let crate_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let folder = crate_dir.join(FOLDER);
    let manifest_path = folder.join(MANIFEST);
    println!("cargo::rerun-if-changed={}", folder.display());
    let manifest = read(&manifest_path)?;
    let version = env("CARGO_PKG_VERSION")?;
    let mut problems = Vec::new();
    let mut installs = Vec::new();
    for (n, line) in manifest.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [] => {}
            [first, ..] if first.starts_with('#') => {}
            ["source", file, digest] => {
                let path = crate_dir.join(file);
                println!("cargo::rerun-if-changed={}", path.display());
                let found = spec_digest(read(&path)?.as_bytes());
                if found != digest {
                    problems.push(format!(
                        "{}: not the spec otp-client's prebuilt code ({}) was generated from \
                         (digest {found}, the code's {digest}). In otp-client's workspace, run \
                         `cargo xtask generate`; to build from a spec of your own, leave the \
                         crate's file as it is, set OTP_HANDLER_SPEC and turn on the `generate` \
                         feature",
                        path.display(),
                        folder.display()
                    ));
                }
            }
            ["env", name] => {
                println!("cargo::rerun-if-env-changed={name}");
                if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
                    problems.push(format!(
                        "{name} is set, and otp-client is built without its `generate` feature, \
                         from the code prebuilt from its bundled spec: only the generator \
                         (progenitor, at build time) follows {name}. Turn the feature on where \
                         you depend on otp-client: otp-client = {{ version = \"{version}\", \
                         features = [\"generate\"] }} (otp-client-blocking has the same feature)"
                    ));
                }
            }
            ["copy", file] => installs.push((file, None)),
            ["metadata", key, file] => installs.push((file, Some(key))),
            ["needs", feature] => {
                let var = format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"));
                if std::env::var_os(var).is_none() {
                    problems.push(format!(
                        "otp-client's prebuilt code names the `{feature}` crate, and the build \
                         turned otp-client's `{feature}` feature off: turn it back on \
                         (features = [\"{feature}\"])"
                    ));
                }
            }
            _ => problems.push(format!(
                "{}:{}: not a directive this build script knows: {line}",
                manifest_path.display(),
                n + 1
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    for (file, key) in installs {
        let to = out_dir.join(file);
        copy(&folder.join(file), &to)?;
        if let Some(key) = key {
            println!("cargo::metadata={key}={}", to.display());
        }
    }
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e} (cargo sets it for build scripts)"))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Copies `from` to `to` unless `to` already holds it (so that the crates whose build reads
/// it are not rebuilt for nothing).
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let text = read(from)?;
    if std::fs::read_to_string(to).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(to, text).map_err(|e| format!("cannot write {}: {e}", to.display()))
}
