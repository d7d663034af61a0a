#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod call;
mod client;
mod error;
mod flow;
mod hooks;
mod mask;
mod retry;
mod wait;

/// The code progenitor and `otp-client-codegen` generate from the spec at build time.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/otp_client.rs"));
}

pub use builder::{ClientBuilder, Environment};
pub use client::{Client, ClientState};
pub use error::{ApiError, Error};
pub use flow::{Channel, Verification, VerificationEvent};
pub use generated::raw::ResponseValue;
pub use mask::mask_phone;
pub use retry::RetryPolicy;

/// The request and response types of the API, generated from the spec's schemas.
pub mod types {
    pub use crate::generated::open_enums::*;
    pub use crate::generated::raw::types::*;
}

/// progenitor's client, unwrapped: every operation returns progenitor's own error type.
/// Use [`Client`] unless you need exactly what progenitor generated.
pub mod raw {
    pub use crate::generated::raw::{Client, Error};
}

/// The methods (snake-case operation names) whose operation the server holds until
/// something changes (long-polling): they get the builder's longer timeout.
pub const LONG_POLLING_METHODS: &[&str] = generated::LONG_POLLING_METHODS;
