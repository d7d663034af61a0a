//! The build without the `generate` feature: the code `cargo xtask generate` made from the
//! bundled spec, in `generated/`, checked and installed into `OUT_DIR` as the generator would
//! leave it, as the manifest there says (its directives: `build/manifest.rs`).

use std::path::{Path, PathBuf};

use crate::manifest::{self, Directive};

/// Checks the prebuilt code against the crate's files, the environment and the features, and
/// installs it; the error is the message that stops the build.
pub fn install() -> Result<(), String> {
    let crate_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let folder = crate_dir.join(manifest::FOLDER);
    let manifest_path = folder.join(manifest::FILE);
    println!("cargo::rerun-if-changed={}", folder.display());
    let directives = read(&manifest_path)?
        .lines()
        .enumerate()
        .filter_map(|(n, line)| {
            Directive::parse(line)
                .map_err(|e| format!("{}:{}: {e}", manifest_path.display(), n + 1))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let variables: Vec<&str> = directives
        .iter()
        .filter_map(|d| match d {
            Directive::Env(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let version = env("CARGO_PKG_VERSION")?;
    let mut problems = Vec::new();
    for directive in &directives {
        match directive {
            Directive::Source { file, digest } => {
                let path = crate_dir.join(file);
                println!("cargo::rerun-if-changed={}", path.display());
                let found = manifest::digest(read(&path)?.as_bytes());
                if found != *digest {
                    problems.push(format!(
                        "{}: not the file otp-client's prebuilt code ({}) was generated from \
                         (digest {found}, the code's {digest}). In otp-client's workspace, run \
                         `cargo xtask generate`; to build from a spec or overlay of your own, \
                         leave the crate's files as they are, name yours with {} and turn on \
                         the `generate` feature",
                        path.display(),
                        folder.display(),
                        variables.join(" or ")
                    ));
                }
            }
            Directive::Env(name) => {
                println!("cargo::rerun-if-env-changed={name}");
                if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
                    problems.push(format!(
                        "{name} is set, and otp-client is built without its `generate` feature, \
                         from the code prebuilt from its bundled spec: only the generator \
                         (progenitor, at build time) follows {name}. Turn the feature on where \
                         you depend on otp-client: otp-client = {{ version = \"{version}\", \
                         features = [\"generate\"] }} (otp-client-blocking and otp-widget have \
                         the same feature)"
                    ));
                }
            }
            Directive::Needs(feature) => {
                let var = format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"));
                if std::env::var_os(var).is_none() {
                    problems.push(format!(
                        "otp-client's prebuilt code names the `{feature}` crate, and the build \
                         turned otp-client's `{feature}` feature off: turn it back on \
                         (features = [\"{feature}\"])"
                    ));
                }
            }
            Directive::Copy(_) | Directive::Metadata { .. } => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    for directive in &directives {
        let (file, key) = match directive {
            Directive::Copy(file) => (file, None),
            Directive::Metadata { key, file } => (file, Some(key)),
            _ => continue,
        };
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
