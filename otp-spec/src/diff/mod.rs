//! What changes between two versions of the spec, as the build sees them (overlays applied):
//! each change once, with every operation it touches and two severities, each with its
//! reason: one for the wire (a caller built before, the widget's browsers, against the
//! service the new document describes) and one for Rust code that uses the generated
//! clients once they are regenerated. Rendered as text, Markdown or JSON. `otp spec diff`,
//! the light `otp-spec diff` binary and `cargo xtask diff` (which also compares the
//! generated clients' public API, item by item) share it.
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
//! // The same endpoint under another id: compatible on the wire, breaking for Rust code.
//! let renamed = &report.changes[0];
//! assert_eq!(renamed.what, "operation renamed: listThings → getThings (GET /things)");
//! assert_eq!(renamed.operations, ["listThings", "getThings"]);
//! assert!(!renamed.wire.is_breaking() && renamed.rust.is_breaking());
//! assert!(report.is_breaking());
//! let text = report.render(otp_spec::diff::Format::Markdown);
//! assert!(text.contains("### Breaking"), "{text}");
//! # Ok::<(), otp_spec::SpecError>(())
//! ```

mod changes;
mod exceptions;
mod global;
mod marks;
mod operations;
mod properties;
mod reach;
mod render;
mod report;
mod responses;
mod run;
mod rust_type;
mod schemas;

use serde::Serialize;

pub use report::Format;
pub use run::{Outcome, Request, load, run};

/// How much a change matters, on one side (the wire, or Rust code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing that worked stops working.
    Compatible,
    /// Something that worked stops working: a call fails, or code no longer compiles.
    Breaking,
}

/// One severity of a change, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Breaking or compatible.
    pub severity: Severity,
    /// Why, in one line.
    pub reason: String,
}

impl Impact {
    /// A breaking impact, for `reason`.
    pub fn breaking(reason: impl Into<String>) -> Self {
        Self {
            severity: Severity::Breaking,
            reason: reason.into(),
        }
    }

    /// A compatible impact, for `reason`.
    pub fn compatible(reason: impl Into<String>) -> Self {
        Self {
            severity: Severity::Compatible,
            reason: reason.into(),
        }
    }

    /// Breaking when `breaking`, else compatible; the reason for each.
    pub fn either(breaking: bool, if_breaking: &str, if_compatible: &str) -> Self {
        if breaking {
            Self::breaking(if_breaking)
        } else {
            Self::compatible(if_compatible)
        }
    }

    /// Whether it breaks.
    pub fn is_breaking(&self) -> bool {
        self.severity == Severity::Breaking
    }
}

/// One change of the spec, listed once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What it is about: an operationId, `schema NAME` (a schema under
    /// `components/schemas`), `exceptions` (the exception types an operation documents),
    /// `servers` or `security`.
    pub subject: String,
    /// What changed.
    pub what: String,
    /// Every operation it touches: the operation itself, or each operation whose request or
    /// response reaches the schema (empty for `servers` and `security`, which touch all).
    pub operations: Vec<String>,
    /// For the wire: a caller built before (or a browser of the widget) talking to the
    /// service the new document describes.
    pub wire: Impact,
    /// For Rust code that uses the generated clients, once regenerated from the new document.
    pub rust: Impact,
}

impl Change {
    /// Whether it breaks on either side.
    pub fn is_breaking(&self) -> bool {
        self.wire.is_breaking() || self.rust.is_breaking()
    }
}

/// How a public item of a generated client changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// It appears: callers are not affected, except where it is a field of a struct that is
    /// not `#[non_exhaustive]` or a variant of a closed enum (see [`RustChange::breaking`]).
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
    /// and a field added to a struct that is not `#[non_exhaustive]` (a struct literal lacks
    /// it) or a variant added to an enum that is not (a `match` lacks it).
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
#[derive(Debug, Clone)]
pub struct Report {
    /// What the old side was (a file, or a revision).
    pub old: String,
    /// What the new side was.
    pub new: String,
    /// The spec's changes, each once, breaking (on either side) first.
    pub changes: Vec<Change>,
    /// The generated clients' public API, item by item (where the caller generates them:
    /// `cargo xtask diff`).
    pub rust_api: Vec<RustChange>,
    /// When the generated API could not be compared (a side does not generate), why.
    pub rust_api_error: Option<String>,
}

impl Report {
    /// Whether anything breaks: on the wire, for Rust code, or in the generated API.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(Change::is_breaking) || self.rust_api.iter().any(|r| r.breaking)
    }
}

/// Compares two loaded specs (load them with the overlays applied, as the build sees them:
/// [`load`]): each change once, breaking first. The generated API's item-by-item changes
/// (`rust_api`) are the caller's to add, where it can generate the clients.
pub fn compare(old: &crate::Spec, new: &crate::Spec, old_label: &str, new_label: &str) -> Report {
    let mut changes = changes::Changes::default();
    operations::diff(&mut changes, old, new);
    schemas::diff_components(&mut changes, old.openapi(), new.openapi());
    exceptions::diff(&mut changes, old.openapi(), new.openapi());
    global::diff(&mut changes, old.openapi(), new.openapi());
    let mut changes = changes.into_vec();
    // Stable: within a severity, in the order found (operations in the spec's order first).
    changes.sort_by_key(|c| !c.is_breaking());
    Report {
        old: old_label.to_string(),
        new: new_label.to_string(),
        changes,
        rust_api: Vec::new(),
        rust_api_error: None,
    }
}
