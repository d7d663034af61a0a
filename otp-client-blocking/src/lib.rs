#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod flow;

/// The blocking methods, generated from the spec with otp-client's code (at build time with
/// the `generate` feature).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/otp_client_blocking.rs"));
}

pub use client::{Client, ClientBuilder};
pub use flow::{Events, Verification};
pub use otp_client::{
    ApiError, Channel, Environment, Error, ErrorKind, InvalidRequestId, NextStep, RequestId,
    RetryPolicy, SavedVerification, TransportFailure, UnlistedRequest, VerificationEvent, Verified,
    mask_phone, options, types,
};
