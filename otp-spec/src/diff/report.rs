//! The report, as text (colour on a terminal), JSON or Markdown.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::{Change, ChangeKind, Report, RustChange};

/// How to print the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text, grouped, breaking first; coloured on a terminal.
    Text,
    /// For machines.
    Json,
    /// For a changelog entry or a review comment.
    Markdown,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "markdown" => Ok(Self::Markdown),
            other => Err(format!("`{other}`: one of text, json, markdown")),
        }
    }
}

const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const BOLD: Style = Style::new().bold();

fn grouped(changes: &[Change], breaking: bool) -> Vec<(String, Vec<&Change>)> {
    let mut groups: Vec<(String, Vec<&Change>)> = Vec::new();
    for c in changes.iter().filter(|c| c.breaking == breaking) {
        match groups.iter_mut().find(|(scope, _)| *scope == c.scope) {
            Some((_, list)) => list.push(c),
            None => groups.push((c.scope.clone(), vec![c])),
        }
    }
    groups
}

impl Report {
    /// The verdict in one line, with the semver advice.
    pub fn summary(&self) -> String {
        let breaking = self.changes.iter().filter(|c| c.breaking).count()
            + self.rust.iter().filter(|r| r.breaking).count();
        let other = self.changes.len() + self.rust.len() - breaking;
        let bump = if self.is_breaking() {
            "a breaking release (minor while 0.x, else major)"
        } else if self.changes.is_empty() {
            "no release needed"
        } else {
            "a compatible release (patch while 0.x, else minor)"
        };
        format!("{breaking} breaking, {other} non-breaking change(s): {bump}")
    }

    /// The report in `format`. Text carries ANSI styles: strip them where the output is not a
    /// terminal (`anstream` does).
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default(),
            Format::Markdown => self.markdown(),
            Format::Text => self.text(),
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{BOLD}otp-handler API: {} → {}{BOLD:#}",
            self.old, self.new
        );
        for (breaking, title, style) in [(true, "Breaking", RED), (false, "Non-breaking", GREEN)] {
            let groups = grouped(&self.changes, breaking);
            if groups.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n{style}{title}{style:#}");
            for (scope, changes) in groups {
                let _ = writeln!(s, "  {BOLD}{scope}{BOLD:#}");
                for c in changes {
                    let _ = writeln!(
                        s,
                        "    {style}{}{style:#} {}: {}",
                        if breaking { "✗" } else { "✓" },
                        c.what,
                        c.reason
                    );
                }
            }
        }
        if let Some(e) = &self.rust_error {
            let _ = writeln!(s, "\n{BOLD}Rust API{BOLD:#}\n  not compared: {e}");
        }
        for (breaking, title, changes) in self.rust_sections() {
            let style = if breaking { RED } else { GREEN };
            let _ = writeln!(s, "\n{style}{title}{style:#}");
            for r in changes {
                let mark = match r.kind {
                    ChangeKind::Added => "+",
                    ChangeKind::Removed => "-",
                    ChangeKind::Changed => "~",
                };
                let _ = writeln!(
                    s,
                    "  {style}{mark}{style:#} {}: {} {}",
                    r.krate,
                    r.item,
                    signature(r)
                );
                if !r.action.is_empty() {
                    let _ = writeln!(s, "      → {}", r.action);
                }
            }
        }
        let _ = writeln!(s, "\n{}", self.summary());
        s
    }

    /// The Rust API's changes by severity, breaking first: (breaking, title, changes), only
    /// the sections that have some.
    fn rust_sections(&self) -> Vec<(bool, &'static str, Vec<&RustChange>)> {
        [
            (true, "Rust API: breaking"),
            (false, "Rust API: compatible"),
        ]
        .into_iter()
        .map(|(breaking, title)| {
            let changes = self.rust.iter().filter(|r| r.breaking == breaking);
            (breaking, title, changes.collect::<Vec<_>>())
        })
        .filter(|(_, _, changes)| !changes.is_empty())
        .collect()
    }

    fn markdown(&self) -> String {
        let mut s = format!(
            "## API changes: `{}` → `{}`\n\n{}\n",
            self.old,
            self.new,
            self.summary()
        );
        for (breaking, title) in [(true, "Breaking"), (false, "Non-breaking")] {
            let groups = grouped(&self.changes, breaking);
            if groups.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n### {title}\n");
            for (scope, changes) in groups {
                for c in changes {
                    let _ = writeln!(s, "- **{scope}**: {}: {}", c.what, c.reason);
                }
            }
        }
        for (_, title, changes) in self.rust_sections() {
            let _ = writeln!(s, "\n### {title}\n");
            for r in changes {
                let verb = match r.kind {
                    ChangeKind::Added => "added",
                    ChangeKind::Removed => "removed",
                    ChangeKind::Changed => "changed",
                };
                let _ = write!(
                    s,
                    "- `{}`: `{}` {verb}: `{}`",
                    r.krate,
                    r.item,
                    signature(r)
                );
                if !r.action.is_empty() {
                    let _ = write!(s, ". {}", r.action);
                }
                s.push('\n');
            }
        }
        s
    }
}

/// A change's signature: the new one, the old one, or both.
fn signature(r: &RustChange) -> String {
    match (&r.old, &r.new) {
        (Some(o), Some(n)) => format!("{o}  →  {n}"),
        (Some(o), None) => o.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}
