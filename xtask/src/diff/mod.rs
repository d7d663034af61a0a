//! `cargo xtask diff OLD [NEW]`: what an API change changes, grouped by operation, each
//! change classified breaking or not for a caller of the generated Rust client, then the
//! public Rust API of both clients that appears, disappears or changes.

mod input;
mod report;
mod rust_api;
mod spec_diff;

use serde::Serialize;

pub use input::load;
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

/// Compares two loaded specs.
pub fn compare(
    old: &otp_client_codegen::Spec,
    new: &otp_client_codegen::Spec,
    old_label: &str,
    new_label: &str,
) -> Report {
    let mut changes = spec_diff::diff(old.openapi(), new.openapi());
    changes.sort_by(|a, b| {
        b.breaking
            .cmp(&a.breaking)
            .then_with(|| a.scope.cmp(&b.scope))
    });
    let (rust, rust_error) = match rust_api::diff(old, new) {
        Ok(rust) => (rust, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Report {
        old: old_label.to_string(),
        new: new_label.to_string(),
        changes,
        rust,
        rust_error,
    }
}
