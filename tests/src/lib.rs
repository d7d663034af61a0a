//! End-to-end tests of both clients; see `tests/`.
