//! End-to-end tests of both clients live in `tests/`. This crate's docs are the workspace
//! README, so that its examples are compiled with the tests.
#![doc = include_str!("../README.md")]
