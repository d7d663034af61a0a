//! The workspace's tests, in one binary: each module was a test target of its own, and each
//! linked the whole dependency graph; one binary links it once (as cargo's and
//! rust-analyzer's own suites do). Run one module with `cargo test -p otp-tests --test suite
//! security::`.

mod common;

mod errors;
mod faults;
mod features;
mod fidelity;
mod flow;
mod fuzz_decode;
mod operations;
mod robustness;
mod sandbox_e2e;
mod scenarios;
mod sdk;
mod security;
mod widget;
mod widget_docs;
mod widget_pumping;
