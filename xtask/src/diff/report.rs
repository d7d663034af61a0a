//! The report, as text (colour on a terminal), JSON or Markdown.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::{Change, ChangeKind, Report};

/// How to print the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text, grouped, breaking first; coloured on a terminal.
    Text,
    /// For machines.
    Json,
    /// For a changelog entry or a review comment.
    Markdown,
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
        if !self.rust.is_empty() || self.rust_error.is_some() {
            let _ = writeln!(s, "\n{BOLD}Rust API{BOLD:#}");
        }
        if let Some(e) = &self.rust_error {
            let _ = writeln!(s, "  not compared: {e}");
        }
        for r in &self.rust {
            let (mark, style) = match r.kind {
                ChangeKind::Added => ("+", GREEN),
                ChangeKind::Removed => ("-", RED),
                ChangeKind::Changed => ("~", RED),
            };
            let sig = match (&r.old, &r.new) {
                (Some(o), Some(n)) => format!("{o}  →  {n}"),
                (Some(o), None) => o.clone(),
                (None, Some(n)) => n.clone(),
                (None, None) => String::new(),
            };
            let _ = writeln!(s, "  {style}{mark}{style:#} {}: {} {sig}", r.krate, r.item);
        }
        let _ = writeln!(s, "\n{}", self.summary());
        s
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
        if !self.rust.is_empty() {
            let _ = writeln!(s, "\n### Rust API\n\n```diff");
            for r in &self.rust {
                let line = |mark: char, sig: &Option<String>| {
                    format!(
                        "{mark} {}: {} {}\n",
                        r.krate,
                        r.item,
                        sig.as_deref().unwrap_or("")
                    )
                };
                match r.kind {
                    ChangeKind::Added => s.push_str(&line('+', &r.new)),
                    ChangeKind::Removed => s.push_str(&line('-', &r.old)),
                    ChangeKind::Changed => {
                        s.push_str(&line('-', &r.old));
                        s.push_str(&line('+', &r.new));
                    }
                }
            }
            let _ = writeln!(s, "```");
        }
        s
    }
}
