//! The protections of the widget back end, one per file. Each is a type that owns its
//! settings and its store handle, with one entry point that admits a request or returns the
//! [`Refusal`] that says why not:
//!
//! | guard | file | entry point |
//! |---|---|---|
//! | the client's address | `client_ip.rs` | [`client_ip`](client_ip::client_ip) |
//! | the per-client request limit | `request_limit.rs` | [`RequestLimit::admit`](request_limit::RequestLimit::admit) |
//! | the captcha after the free sends | `captcha.rs` | [`CaptchaGate::admit`](captcha::CaptchaGate::admit) |
//! | the send limits and their refunds | `send_limits.rs` | [`SendLimits::charge_send`](send_limits::SendLimits::charge_send) |
//! | the caps on held long-polls | `long_polls.rs` | [`LongPolls::hold`](long_polls::LongPolls::hold) |
//! | the session's browser | `session.rs` | [`SessionBinding::admit`](session::SessionBinding::admit) |
//! | where a `POST` comes from | `origin.rs` | [`OriginCheck::admit`](origin::OriginCheck::admit) |
//! | the body's size and deadline | `body.rs` | [`BodyRules::read`](body::BodyRules::read) |
//!
//! Guards know nothing of the routes or of each other: each reads what it needs of a request
//! through [`RequestHead`](crate::RequestHead), whatever server parsed it, and the routes
//! (`routes.rs`) call them, in order, on the state's field that holds each.

pub(crate) mod body;
pub(crate) mod captcha;
pub(crate) mod client_ip;
pub(crate) mod long_polls;
pub(crate) mod origin;
pub(crate) mod request_limit;
pub(crate) mod send_limits;
pub(crate) mod session;

use std::time::Duration;

use crate::quota::{Hit, QuotaError, QuotaStore};
use crate::refusal::{Reason, Refusal};

/// Counts one more event under `key` in `store`: at once where the store can
/// ([`QuotaStore::hit_now`]), else by waiting for it.
pub(crate) async fn hit(
    store: &dyn QuotaStore,
    key: &str,
    window: Duration,
) -> Result<Hit, QuotaError> {
    match store.hit_now(key, window) {
        Some(hit) => hit,
        None => store.hit(key, window).await,
    }
}

/// A store that cannot answer refuses: the guards fail closed.
pub(crate) fn store_failed(e: QuotaError) -> Refusal {
    tracing::error!(error = %e, "the quota store failed: refusing");
    Refusal::internal(Reason::StoreFailed)
}

/// `RateLimitException` for a count past its limit, for `reason`: wait until its window
/// ends, at most `max_wait`.
pub(crate) fn past_limit(reason: Reason, hit: &Hit, max_wait: Duration) -> Refusal {
    Refusal::rate_limited(reason, hit.resets_in.min(max_wait))
}
