//! Each side of a diff: a spec file, or the spec as it was at a git revision.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use otp_client_codegen::{Overlay, Spec};

/// Why a side could not be loaded; always said in one line.
#[derive(Debug)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// The spec's path inside the repository.
const SPEC_IN_REPO: &str = "openapi/otp-handler.yaml";

/// Loads one side: `arg` is a file when one exists there, else a git revision of `root`.
/// Returns the spec and a label for the report.
pub fn load(arg: &str, root: &Path) -> Result<(Spec, String), InputError> {
    let path = PathBuf::from(arg);
    if path.is_file() {
        let spec = Spec::load_overlaid(&path, &overlays()?)
            .map_err(|e| InputError(one_line(&e.to_string())))?
            .spec;
        return Ok((spec, arg.to_string()));
    }
    let looks_like_file = arg.contains('/') && !arg.contains(':')
        || [".yaml", ".yml", ".json"].iter().any(|e| arg.ends_with(e));
    if looks_like_file && !revision_exists(arg, root) {
        return Err(InputError(format!("{arg}: no such file")));
    }
    if !revision_exists(arg, root) {
        return Err(InputError(format!(
            "{arg}: neither a file nor a known git revision"
        )));
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .arg("show")
        .arg(format!("{arg}:{SPEC_IN_REPO}"))
        .output()
        .map_err(|e| InputError(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(InputError(format!(
            "{arg}: the revision has no {SPEC_IN_REPO}"
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let label = format!("{arg}:{SPEC_IN_REPO}");
    let spec = Spec::parse_overlaid(&label, &text, &overlays()?)
        .map_err(|e| InputError(one_line(&e.to_string())))?
        .spec;
    Ok((spec, label))
}

/// The overlays a build applies: the bundled one, then the user's (`OTP_HANDLER_OVERLAY`).
/// Both sides are compared as the build sees them.
fn overlays() -> Result<Vec<Overlay>, InputError> {
    let mut overlays = vec![Overlay::bundled()];
    overlays.extend(otp_spec::user_overlays().map_err(|e| InputError(one_line(&e.to_string())))?);
    Ok(overlays)
}

fn revision_exists(rev: &str, root: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
