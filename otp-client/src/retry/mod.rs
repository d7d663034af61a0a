//! The retry policy the caller sets ([`RetryPolicy`]): how many attempts, how long to wait
//! before each retry (backoff, `Retry-After`), until when; and, in [`classifier`], the one
//! decision after each failed attempt, which the call's loop asks.

pub(crate) mod classifier;

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How a [`Client`](crate::Client) retries a call that failed on the way.
///
/// Retried: what the error's [`NextStep`](crate::NextStep) says to retry later, when the
/// request certainly did not reach the service (a connection refused, or not opened in
/// time), or may be repeated (the idempotent `GET`s: a connection that broke, a 429, a 5xx).
/// A `POST` (`send`, `checkCode`, …) is never sent twice once it may have arrived: one SMS
/// per `send`, one attempt per `checkCode`; a request that timed out after it was sent is
/// not repeated. A name that does not resolve or a TLS handshake that fails is a
/// configuration to fix, not retried. Retries wait with
/// exponential backoff and full jitter, honour `Retry-After`, and stop at `deadline`.
/// A long-poll re-issued on 408 is not a retry: the helpers do that.
///
/// ```
/// use std::time::Duration;
/// use otp_client::RetryPolicy;
///
/// let patient = RetryPolicy { max_attempts: 5, deadline: Duration::from_secs(30), ..RetryPolicy::default() };
/// let client = otp_client::Client::builder("my-api-token").retry(patient).build()?;
/// let impatient = otp_client::Client::builder("my-api-token").retry(RetryPolicy::none()).build()?;
/// # Ok::<(), otp_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a call is sent at most, the first included (1: no retry).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles for each next one.
    pub base_delay: Duration,
    /// The longest wait before a retry. A `Retry-After` longer than this is never cut short:
    /// the call is not retried, and its error carries the wait
    /// ([`Error::retry_after`](crate::Error::retry_after)).
    pub max_delay: Duration,
    /// No retry starts later than this after the call began.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 100 ms base delay, 2 s cap, 10 s deadline.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            deadline: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first), given the server's
    /// `Retry-After`, if any: full jitter over the exponential backoff, never more than
    /// `max_delay`; or exactly what the server asked for, and `None` (no retry) when it asked
    /// for longer than `max_delay`: a retry never comes earlier than asked.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(asked) = retry_after {
            return (asked <= self.max_delay).then_some(asked);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let ceiling = exp.min(self.max_delay);
        // Computed in seconds and checked: `mul_f64` panics where rounding passes `Duration::MAX`.
        let jittered = ceiling.as_secs_f64() * unit_random();
        Some(Duration::try_from_secs_f64(jittered).map_or(ceiling, |d| d.min(ceiling)))
    }
}

/// A number in [0, 1) from the OS's generator (53 random bits); 1 (no jitter: the whole
/// ceiling) in the unlikely case the OS has none to give.
fn unit_random() -> f64 {
    getrandom::u64().map_or(1.0, |bits| (bits >> 11) as f64 / (1u64 << 53) as f64)
}

/// The `Retry-After` header: seconds, or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_under_an_exponential_ceiling_and_capped() {
        let p = RetryPolicy::default();
        for retry in 1..10 {
            let ceiling = (p.base_delay * 2u32.pow(retry - 1)).min(p.max_delay);
            for _ in 0..50 {
                assert!(p.delay(retry, None).unwrap() <= ceiling);
            }
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(700))),
            Some(Duration::from_millis(700))
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(30))),
            None,
            "asked for longer than max_delay: no retry, never an earlier one"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_policy_and_retry_after_give_a_delay_without_panicking(
            base in proptest::num::u64::ANY,
            max in proptest::num::u64::ANY,
            nanos in 0u32..1_000_000_000,
            retry in proptest::num::u32::ANY,
            asked in proptest::option::of(proptest::num::u64::ANY),
        ) {
            let p = RetryPolicy {
                max_attempts: u32::MAX,
                base_delay: Duration::new(base, nanos),
                max_delay: Duration::new(max, nanos),
                deadline: Duration::MAX,
            };
            let asked = asked.map(Duration::from_secs);
            match p.delay(retry, asked) {
                Some(delay) => {
                    proptest::prop_assert!(delay <= p.max_delay);
                    if let Some(asked) = asked {
                        proptest::prop_assert_eq!(delay, asked);
                    }
                }
                None => proptest::prop_assert!(asked.is_some_and(|a| a > p.max_delay)),
            }
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        h.insert(RETRY_AFTER, later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
