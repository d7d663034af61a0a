//! The report's formats, its one-line verdict, and its JSON.

use serde::Serialize;

use super::{Change, Report, RustChange};

/// How to print the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text, grouped, breaking first; coloured on a terminal.
    Text,
    /// For machines: every change with both severities.
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

/// The report as JSON gives it.
#[derive(Serialize)]
struct Json<'a> {
    old: &'a str,
    new: &'a str,
    /// Whether anything breaks, on either side.
    breaking: bool,
    summary: String,
    changes: &'a [Change],
    rust_api: &'a [RustChange],
    rust_api_error: Option<&'a str>,
}

impl Report {
    /// The verdict in one line, with the semver advice.
    pub fn summary(&self) -> String {
        let count = |f: fn(&Change) -> bool| self.changes.iter().filter(|c| f(c)).count();
        let breaking = count(Change::is_breaking);
        let wire = count(|c| c.wire.is_breaking());
        let rust = count(|c| c.rust.is_breaking());
        let other = self.changes.len() - breaking;
        let api = if self.rust_api.is_empty() {
            String::new()
        } else {
            let api_breaking = self.rust_api.iter().filter(|r| r.breaking).count();
            format!(
                "; generated API: {api_breaking} breaking item(s) of {}",
                self.rust_api.len()
            )
        };
        let bump = if self.is_breaking() {
            "a breaking release (minor while 0.x, else major)"
        } else if self.changes.is_empty() && self.rust_api.is_empty() {
            "no release needed"
        } else {
            "a compatible release (patch while 0.x, else minor)"
        };
        format!(
            "{breaking} breaking, {other} non-breaking change(s) (breaking on the wire: {wire}, for Rust code: {rust}){api}: {bump}"
        )
    }

    /// The report in `format`. Text carries ANSI styles: strip them where the output is not a
    /// terminal ([`strip_styles`](Report::strip_styles), or `anstream`).
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let json = Json {
                    old: &self.old,
                    new: &self.new,
                    breaking: self.is_breaking(),
                    summary: self.summary(),
                    changes: &self.changes,
                    rust_api: &self.rust_api,
                    rust_api_error: self.rust_api_error.as_deref(),
                };
                serde_json::to_string_pretty(&json).unwrap_or_default()
            }
            Format::Markdown => self.markdown(),
            Format::Text => self.text(),
        }
    }

    /// `text` without its ANSI styles.
    pub fn strip_styles(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // `ESC [ parameters letter`: skip to the letter.
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_are_stripped_and_the_text_kept() {
        let styled = format!(
            "{}Breaking{:#} ✗ x",
            anstyle::AnsiColor::Red.on_default().bold(),
            anstyle::AnsiColor::Red.on_default().bold()
        );
        assert_eq!(Report::strip_styles(&styled), "Breaking ✗ x");
    }
}
