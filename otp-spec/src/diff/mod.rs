//! What changes between two versions of the spec: each change of the spec grouped by
//! operation and classified breaking or not for a caller of the generated Rust clients, with
//! the Rust API change it causes; rendered as text, Markdown or JSON. `otp spec diff` and
//! `cargo xtask diff` (which also compares the generated clients' public API, item by item)
//! share it.
//!
//! ```
//! let base = r#"
//! openapi: 3.0.3
//! info: { title: t, version: 1.0.0 }
//! paths:
//!   /things:
//!     get:
//!       operationId: listThings
//!       responses: { "204": { description: none } }
//! "#;
//! let old = otp_spec::Spec::parse("old.yaml", base)?;
//! let new = otp_spec::Spec::parse("new.yaml", &base.replace("listThings", "getThings"))?;
//! let report = otp_spec::diff::compare(&old, &new, "old.yaml", "new.yaml");
//! assert!(report.is_breaking());
//! let text = report.render(otp_spec::diff::Format::Markdown);
//! assert!(text.contains("### Breaking"), "{text}");
//! # Ok::<(), otp_spec::SpecError>(())
//! ```

mod report;
mod spec_diff;

use serde::Serialize;

pub use report::Format;

/// One change of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The operationId it belongs to, or `servers`, `security`, `components`.
    pub scope: String,
    /// Whether a caller of the generated client breaks (fails to compile, or calls an
    /// endpoint that is gone).
    pub breaking: bool,
    /// What changed.
    pub what: String,
    /// Why it is (or is not) breaking, in one line.
    pub reason: String,
}

/// How a public item of a generated client changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// It appears: callers are not affected, except where it is a field of a struct with
    /// public fields or a variant of a closed enum (see [`RustChange::breaking`]).
    Added,
    /// It disappears: callers that use it no longer compile.
    Removed,
    /// Its signature changes: callers that use it may no longer compile.
    Changed,
}

/// One public item of a generated client that appears, disappears or changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RustChange {
    /// `otp-client` or `otp-client-blocking`.
    pub krate: String,
    /// How it changes.
    pub kind: ChangeKind,
    /// Whether code that uses the crate may no longer compile: anything removed or changed,
    /// and a field added to a struct with public fields (a struct literal lacks it) or a
    /// variant added to an enum that is not `#[non_exhaustive]` (a `match` lacks it).
    pub breaking: bool,
    /// The item, e.g. `Client::get_channel` or `types::ChannelSettings::lifetime`.
    pub item: String,
    /// Its old signature.
    pub old: Option<String>,
    /// Its new signature.
    pub new: Option<String>,
    /// What a user of the crate must change in their code (empty when nothing).
    pub action: String,
}

/// Everything `diff` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What the old side was (a file, or a revision).
    pub old: String,
    /// What the new side was.
    pub new: String,
    /// The spec's changes, breaking first.
    pub changes: Vec<Change>,
    /// The generated clients' public API changes.
    pub rust: Vec<RustChange>,
    /// When the Rust API could not be compared (a side does not generate), why.
    pub rust_error: Option<String>,
}

impl Report {
    /// Whether anything breaks.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking) || self.rust.iter().any(|r| r.breaking)
    }
}

/// Compares two loaded specs: the spec's changes, breaking first. The Rust API's item-by-item
/// changes (`rust`) are the caller's to add, where it can generate the clients.
pub fn compare(old: &crate::Spec, new: &crate::Spec, old_label: &str, new_label: &str) -> Report {
    let mut changes = spec_diff::diff(old.openapi(), new.openapi());
    changes.sort_by(|a, b| {
        b.breaking
            .cmp(&a.breaking)
            .then_with(|| a.scope.cmp(&b.scope))
    });
    Report {
        old: old_label.to_string(),
        new: new_label.to_string(),
        changes,
        rust: Vec::new(),
        rust_error: None,
    }
}
