//! The report as text (styled for a terminal) and as Markdown: the changes breaking on either
//! side first, grouped by subject, each with its operations and both severities; then the
//! generated API's items, where compared.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use super::{Change, ChangeKind, Impact, Report, RustChange};

const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const BOLD: Style = Style::new().bold();

/// The sections: (breaking, title).
const SECTIONS: [(bool, &str); 2] = [(true, "Breaking"), (false, "Non-breaking")];

/// The changes of one severity, grouped by subject in the order found.
fn grouped(changes: &[Change], breaking: bool) -> Vec<(&str, Vec<&Change>)> {
    let mut groups: Vec<(&str, Vec<&Change>)> = Vec::new();
    for c in changes.iter().filter(|c| c.is_breaking() == breaking) {
        match groups.iter_mut().find(|(subject, _)| *subject == c.subject) {
            Some((_, list)) => list.push(c),
            None => groups.push((&c.subject, vec![c])),
        }
    }
    groups
}

/// The operations a change touches, where they say more than its subject.
fn operations(c: &Change) -> Option<String> {
    let only_itself = c.operations.len() == 1 && c.operations[0] == c.subject;
    (!only_itself && !c.operations.is_empty()).then(|| c.operations.join(", "))
}

fn word(impact: &Impact) -> &'static str {
    if impact.is_breaking() {
        "breaking"
    } else {
        "compatible"
    }
}

impl Report {
    pub(super) fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{BOLD}otp-handler API: {} → {}{BOLD:#}",
            self.old, self.new
        );
        for (breaking, title) in SECTIONS {
            let groups = grouped(&self.changes, breaking);
            if groups.is_empty() {
                continue;
            }
            let style = if breaking { RED } else { GREEN };
            let _ = writeln!(s, "\n{style}{title}{style:#}");
            for (subject, changes) in groups {
                let _ = writeln!(s, "  {BOLD}{subject}{BOLD:#}");
                for c in changes {
                    let mark = if breaking { "✗" } else { "✓" };
                    let _ = writeln!(s, "    {style}{mark}{style:#} {}", c.what);
                    if let Some(ops) = operations(c) {
                        let _ = writeln!(s, "        operations: {ops}");
                    }
                    for (side, impact) in [("wire", &c.wire), ("Rust", &c.rust)] {
                        let style = if impact.is_breaking() { RED } else { GREEN };
                        let _ = writeln!(
                            s,
                            "        {side}: {style}{}{style:#}: {}",
                            word(impact),
                            impact.reason
                        );
                    }
                }
            }
        }
        if let Some(e) = &self.rust_api_error {
            let _ = writeln!(s, "\n{BOLD}Generated API{BOLD:#}\n  not compared: {e}");
        }
        for (breaking, title, changes) in self.rust_api_sections() {
            let style = if breaking { RED } else { GREEN };
            let _ = writeln!(s, "\n{style}{title}{style:#}");
            for r in changes {
                let mark = match r.kind {
                    ChangeKind::Added => "+",
                    ChangeKind::Removed => "-",
                    ChangeKind::Changed => "~",
                };
                let (krate, item, sig) = (&r.krate, &r.item, signature(r));
                let _ = writeln!(s, "  {style}{mark}{style:#} {krate}: {item} {sig}");
                if !r.action.is_empty() {
                    let _ = writeln!(s, "      → {}", r.action);
                }
            }
        }
        let _ = writeln!(s, "\n{}", self.summary());
        s
    }

    /// The generated API's changes by severity, breaking first: (breaking, title, changes),
    /// only the sections that have some.
    fn rust_api_sections(&self) -> Vec<(bool, &'static str, Vec<&RustChange>)> {
        [
            (true, "Generated API: breaking"),
            (false, "Generated API: compatible"),
        ]
        .into_iter()
        .map(|(breaking, title)| {
            let changes = self.rust_api.iter().filter(|r| r.breaking == breaking);
            (breaking, title, changes.collect::<Vec<_>>())
        })
        .filter(|(_, _, changes)| !changes.is_empty())
        .collect()
    }

    pub(super) fn markdown(&self) -> String {
        let mut s = format!(
            "## API changes: `{}` → `{}`\n\n{}\n",
            self.old,
            self.new,
            self.summary()
        );
        for (breaking, title) in SECTIONS {
            let groups = grouped(&self.changes, breaking);
            if groups.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n### {title}\n");
            for (subject, changes) in groups {
                for c in changes {
                    let _ = write!(s, "- **{subject}**: {}", c.what);
                    if let Some(ops) = operations(c) {
                        let _ = write!(s, " (operations: {ops})");
                    }
                    s.push('\n');
                    for (side, impact) in [("wire", &c.wire), ("Rust", &c.rust)] {
                        let w = word(impact);
                        let w = if impact.is_breaking() {
                            format!("**{w}**")
                        } else {
                            w.into()
                        };
                        let _ = writeln!(s, "  - {side}: {w}: {}", impact.reason);
                    }
                }
            }
        }
        if let Some(e) = &self.rust_api_error {
            let _ = writeln!(s, "\n### Generated API\n\nnot compared: {e}");
        }
        for (_, title, changes) in self.rust_api_sections() {
            let _ = writeln!(s, "\n### {title}\n");
            for r in changes {
                let verb = match r.kind {
                    ChangeKind::Added => "added",
                    ChangeKind::Removed => "removed",
                    ChangeKind::Changed => "changed",
                };
                let (krate, item, sig) = (&r.krate, &r.item, signature(r));
                let _ = write!(s, "- `{krate}`: `{item}` {verb}: `{sig}`");
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
