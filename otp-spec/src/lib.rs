//! The otp-handler OpenAPI spec as this workspace reads it: operations, their parameters with
//! their locations, summaries, bodies and error examples, parsed once, with `$ref`s resolved in
//! one place. Light (no code generator): the code generator, the sandbox, the CLI and the
//! diff all read the spec through it.
//!
//! ```
//! let spec = otp_spec::Spec::parse("inline.yaml", r#"
//! openapi: 3.0.3
//! info: { title: t, version: 1.0.0 }
//! paths:
//!   /things:
//!     get:
//!       operationId: listThings
//!       summary: List the things
//!       x-widget: server-only
//!       responses: { "204": { description: none } }
//! "#)?;
//! let op = &spec.operations()[0];
//! assert_eq!((op.id.as_str(), op.method_name.as_str()), ("listThings", "list_things"));
//! assert_eq!(op.summary, "List the things");
//! assert_eq!(op.widget, Some(otp_spec::WidgetExposure::ServerOnly));
//! # Ok::<(), otp_spec::SpecError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod diff;
mod error;
pub mod fidelity;
mod locate;
mod model;
mod operation_id;
mod overlay;
mod resolve;

pub use error::SpecError;
pub use locate::{
    CRATE_SPEC_FILE, SPEC_COPY_FILE, SPEC_ENV, build_spec, build_spec_copy,
    overriding_or_bundled_spec,
};
pub use model::{
    BUNDLED_SPEC, BUNDLED_SPEC_NAME, BodyProperty, EXTENSIBLE_ENUM_EXTENSION,
    LONG_POLLING_EXTENSION, NOT_IN_REFERENCE_EXTENSION, Operation, Overlaid, SDK_NOTE_EXTENSION,
    Spec, WIDGET_EXTENSION, WidgetExposure,
};
pub use operation_id::{operation_id_enum, operation_id_enum_of};
pub use overlay::{
    BUNDLED_OVERLAY, BUNDLED_OVERLAY_NAME, OVERLAY_ENV, Overlay, Unmatched, user_overlay_paths,
    user_overlays,
};
pub use resolve::resolve;
