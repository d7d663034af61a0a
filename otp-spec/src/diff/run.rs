//! The diff as a command runs it (`otp spec diff` and the light `otp-spec diff`): both specs
//! loaded as the build sees them, compared, printed to standard output, and how it ended,
//! for the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{Format, Report, compare};
use crate::{Overlay, Spec, SpecError, user_overlays};

/// What a diff is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The old spec file.
    pub old: PathBuf,
    /// The new spec file.
    pub new: PathBuf,
    /// How to print the report.
    pub format: Format,
    /// Whether a breaking change still ends as [`Outcome::Compatible`].
    pub allow_breaking: bool,
}

/// How a diff ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing breaks (or breaking changes were allowed): exit code 0.
    Compatible,
    /// Something breaks, on the wire or for Rust code: exit code 5.
    Breaking,
    /// A spec could not be read, parsed or overlaid: exit code 2.
    Unreadable,
}

impl Outcome {
    /// The exit code `otp spec diff` and `otp-spec diff` give it.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Compatible => 0,
            Outcome::Breaking => 5,
            Outcome::Unreadable => 2,
        }
    }
}

/// Loads a spec file as the build sees it: the bundled overlay applied, then the user's
/// (`OTP_HANDLER_OVERLAY`).
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let mut overlays = vec![Overlay::bundled()];
    overlays.extend(user_overlays()?);
    Ok(Spec::load_overlaid(path, &overlays)?.spec)
}

/// Runs a diff: loads both sides, prints the report to standard output (text styled only on
/// a terminal, and not under `NO_COLOR`), or one line to standard error when a side cannot
/// be loaded.
pub fn run(request: &Request) -> Outcome {
    let sides = load(&request.old).and_then(|old| Ok((old, load(&request.new)?)));
    let (old, new) = match sides {
        Ok(sides) => sides,
        Err(e) => {
            let message = e.to_string();
            eprintln!("error: {}", message.lines().next().unwrap_or_default());
            return Outcome::Unreadable;
        }
    };
    let label = |p: &Path| p.display().to_string();
    let report = compare(&old, &new, &label(&request.old), &label(&request.new));
    let mut rendered = report.render(request.format);
    if request.format == Format::Text && !styled() {
        rendered = Report::strip_styles(&rendered);
    }
    if !rendered.ends_with('\n') {
        rendered.push('\n');
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out
        .write_all(rendered.as_bytes())
        .and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the report: {e}");
    }
    if report.is_breaking() && !request.allow_breaking {
        Outcome::Breaking
    } else {
        Outcome::Compatible
    }
}

/// Whether standard output takes styles: a terminal, without `NO_COLOR`.
fn styled() -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    set("CLICOLOR_FORCE") || (std::io::stdout().is_terminal() && !set("NO_COLOR"))
}
