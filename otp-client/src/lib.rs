#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod call;
mod client;
mod context;
mod environment;
mod error;
mod flow;
mod hooks;
mod lean;
mod mask;
mod network;
mod operation;
#[cfg(feature = "phone")]
mod phone;
mod redact;
mod request_id;
mod retry;
#[cfg(feature = "schemars")]
mod schema;
mod state;
mod unlisted;
mod wait;

/// The code progenitor and `otp-client-codegen` generate from the spec: at build time with
/// the `generate` feature, else ahead of time from the bundled spec (`generated/`). Its
/// client carries the crate-private `Call` (the client's state and the call's context), and
/// is crate-private itself: every call goes through the facade's checks and error mapping.
#[allow(missing_docs, private_interfaces, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/otp_client.rs"));
}

/// The OpenAPI document this client was generated from: the bundled spec, or the file that
/// `OTP_HANDLER_SPEC` named at build time, with the `generate` feature (see the README's "When the vendor changes the
/// API"): for a tool that must describe the API this client calls.
///
/// ```
/// assert!(otp_client::SPEC.starts_with("openapi: 3.0"));
/// ```
pub const SPEC: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.yaml"));

pub use builder::ClientBuilder;
pub use client::Client;
pub use environment::Environment;
pub use error::{ApiError, Error, ErrorKind, NextStep, TransportFailure};
pub use flow::{Channel, SavedVerification, Verification, VerificationEvent, Verified};
pub use generated::OperationId;
pub use mask::mask_phone;
#[cfg(feature = "phone")]
pub use phone::{InvalidPhone, NumberType, Phone};
pub use request_id::{InvalidRequestId, RequestId};
pub use retry::RetryPolicy;
pub use unlisted::UnlistedRequest;

/// Every component schema of the spec, by the spec's name, with the JSON Schema of its Rust
/// type (other types it names are `$ref`s into `generator`'s definitions): for a back end
/// that documents its own API with these types, and for the fidelity check
/// (`otp_spec::fidelity`), which compares them with [`SPEC`].
///
/// ```
/// let mut generator = schemars::r#gen::SchemaGenerator::default();
/// let schemas = otp_client::schemas(&mut generator);
/// let (_, status) = schemas
///     .iter()
///     .find(|(name, _)| *name == "OtpHandlerGetStatusResponseDto")
///     .expect("listed");
/// let status = serde_json::to_value(status).unwrap();
/// assert_eq!(status["required"], serde_json::json!(["success"]));
/// ```
#[cfg(feature = "schemars")]
pub fn schemas(
    generator: &mut schemars::r#gen::SchemaGenerator,
) -> Vec<(&'static str, schemars::schema::Schema)> {
    generated::schemas(generator)
}

/// The request and response types of the API, generated from the spec's schemas.
pub mod types {
    pub use crate::generated::open_enums::*;
    pub use crate::generated::raw::types::*;
}

/// Each operation's optional parameters: `GetStatusOptions` for
/// [`Client::get_status_with`], and so on. Every operation has one, with no field where the
/// spec gives it no optional parameter: a parameter a newer spec adds is a field more, and
/// code that builds the options with `new()` and the setters compiles unchanged.
pub mod options {
    pub use crate::generated::options::*;
}

/// What `otp-client-blocking` needs of this crate's internals; not part of the API.
#[doc(hidden)]
pub mod __blocking {
    /// The blocking client's runtime could not start.
    pub fn runtime_error(source: std::io::Error) -> crate::Error {
        crate::Error::config("cannot start the blocking client's runtime").with_source(source)
    }
}
