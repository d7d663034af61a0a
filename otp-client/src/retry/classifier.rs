//! The retry decision, in one place: after each failed attempt, the call's loop asks
//! [`RetryClassifier::classify`] and does what the [`RetryAction`] says, sending the request
//! again after the wait it names or returning the error.
//!
//! Modelled on smithy-rs's `ClassifyRetry`: the failure is classified first, from the
//! advice table (`error/advice.rs`, whose [`NextStep::RetryLater`] is the one list of
//! what is worth another try) and from whether the request may be sent twice; then the
//! [`RetryPolicy`]'s budget (attempts, `Retry-After`, deadline) decides whether a retry
//! still fits.

use std::time::Duration;

use super::RetryPolicy;
use crate::error::{Error, NextStep};
use crate::operation::Operation;

/// One failed attempt of a call, as the retry decision sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FailedAttempt<'a> {
    /// The call's operation: whether its request may be sent twice.
    pub operation: &'static Operation,
    /// The attempt's error; it says whether this or an earlier attempt may have reached the
    /// service.
    pub error: &'a Error,
    /// Which attempt failed: 1 for the first.
    pub number: u32,
    /// How long ago the call's first attempt began.
    pub elapsed: Duration,
}

/// What the call does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryAction {
    /// Send the same request again, after waiting `after`.
    Retry {
        /// The wait before the retry: the server's `Retry-After`, or the jittered backoff.
        after: Duration,
    },
    /// Return the attempt's error.
    DontRetry(NoRetry),
}

/// Why a failed attempt is not retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoRetry {
    /// The error's next step is not [`NextStep::RetryLater`]: another try would fail the
    /// same way (a wrong code, a bad token, a host that does not resolve), or a `POST` whose
    /// outcome is unknown.
    NotTransient,
    /// The request timed out once sent: it would only time out again within the caller's
    /// patience.
    TimedOutOnceSent,
    /// A request that must not be sent twice (a `POST`) may have reached the service.
    MayHaveArrived,
    /// The policy's attempts are spent.
    AttemptsSpent,
    /// The server asked for a longer wait (`Retry-After`) than the policy's `max_delay`: a
    /// retry never comes earlier than asked.
    WaitTooLong,
    /// The retry would start past the policy's deadline.
    PastDeadline,
}

/// The retry decision of a call made under `policy`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryClassifier<'p> {
    policy: &'p RetryPolicy,
}

impl<'p> RetryClassifier<'p> {
    /// The decision for calls made under `policy`.
    pub(crate) fn new(policy: &'p RetryPolicy) -> Self {
        Self { policy }
    }

    /// What to do after `attempt` failed: retry, after which wait, or not, and why. The
    /// failure decides first ([`NoRetry::NotTransient`], [`NoRetry::TimedOutOnceSent`],
    /// [`NoRetry::MayHaveArrived`]), then the policy's budget.
    pub(crate) fn classify(&self, attempt: &FailedAttempt<'_>) -> RetryAction {
        if let Err(why) = may_repeat(attempt.operation, attempt.error) {
            return RetryAction::DontRetry(why);
        }
        let policy = self.policy;
        if attempt.number >= policy.max_attempts {
            return RetryAction::DontRetry(NoRetry::AttemptsSpent);
        }
        let Some(after) = policy.delay(attempt.number, attempt.error.retry_after()) else {
            return RetryAction::DontRetry(NoRetry::WaitTooLong);
        };
        if attempt.elapsed.saturating_add(after) > policy.deadline {
            return RetryAction::DontRetry(NoRetry::PastDeadline);
        }
        RetryAction::Retry { after }
    }
}

/// Whether the failure itself allows the same request again, whatever the budget: what the
/// advice table says to retry later, for a request that may be repeated (a `GET`) or that
/// certainly did not reach the service. A request that timed out once sent is not repeated
/// (a connection not opened in time is).
fn may_repeat(operation: &Operation, error: &Error) -> Result<(), NoRetry> {
    if !matches!(error.next_step(), NextStep::RetryLater { .. }) {
        return Err(NoRetry::NotTransient);
    }
    let sent = error.may_have_been_sent();
    if sent && error.is_timeout() {
        return Err(NoRetry::TimedOutOnceSent);
    }
    if sent && !operation.idempotent {
        return Err(NoRetry::MayHaveArrived);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::*;
    use crate::error::{ApiError, ErrorKind, TransportFailure};
    use crate::generated::OPERATIONS;
    use crate::types::ExceptionType;

    const GET: &str = "getStatus";
    const POSTS: [&str; 2] = ["send", "checkCode"];

    fn op(id: &str) -> &'static Operation {
        OPERATIONS.iter().find(|op| op.id == id).unwrap()
    }

    fn api(id: &str, status: u16, kind: ExceptionType) -> Error {
        Error::new(ErrorKind::Api(ApiError {
            kind,
            message: String::new(),
            status: StatusCode::from_u16(status).unwrap(),
            attempts_left: None,
        }))
        .with_operation(op(id))
    }

    /// An error body with no type: its status decides.
    fn status(id: &str, status: u16) -> Error {
        api(id, status, ExceptionType::Unknown(String::new()))
    }

    fn transport(id: &str, failure: TransportFailure, maybe_sent: bool) -> Error {
        Error::new(ErrorKind::Transport {
            failure,
            maybe_sent,
        })
        .with_operation(op(id))
    }

    fn html(id: &str, code: u16) -> Error {
        Error::new(ErrorKind::UnexpectedResponse {
            status: StatusCode::from_u16(code).unwrap(),
            content_type: Some("text/html".into()),
            body: String::new(),
        })
        .with_operation(op(id))
    }

    /// The decision under `policy` for attempt `number` of `error`'s call, `elapsed` after
    /// it began.
    fn decide(policy: &RetryPolicy, error: &Error, number: u32, elapsed: Duration) -> RetryAction {
        let operation = op(error.operation().unwrap());
        let attempt = FailedAttempt {
            operation,
            error,
            number,
            elapsed,
        };
        RetryClassifier::new(policy).classify(&attempt)
    }

    /// The decision after a first attempt, under the default policy.
    fn first(error: &Error) -> RetryAction {
        decide(&RetryPolicy::default(), error, 1, Duration::ZERO)
    }

    /// Retried, within the first retry's backoff ceiling (the default 100 ms).
    fn assert_retried(action: RetryAction, error: &Error) {
        match action {
            RetryAction::Retry { after } => {
                assert!(after <= Duration::from_millis(100), "{after:?}: {error}")
            }
            other => panic!("{error}: {other:?}, not retried"),
        }
    }

    #[test]
    fn a_transient_failure_of_a_get_is_retried() {
        let transient = [
            status(GET, 503),
            status(GET, 500),
            status(GET, 429),
            api(GET, 429, ExceptionType::RateLimitException),
            api(GET, 500, ExceptionType::InternalServerErrorException),
            html(GET, 502),
            transport(GET, TransportFailure::ConnectionReset, true),
            transport(GET, TransportFailure::Other, true),
            transport(GET, TransportFailure::ConnectionRefused, false),
            transport(GET, TransportFailure::TimedOut, false),
        ];
        for error in &transient {
            assert_retried(first(error), error);
        }
    }

    #[test]
    fn a_post_is_retried_only_when_it_certainly_did_not_arrive() {
        for id in POSTS {
            for failure in [
                TransportFailure::ConnectionRefused,
                TransportFailure::Connect,
            ] {
                let error = transport(id, failure, false);
                assert_retried(first(&error), &error);
            }
            // An answer that says to retry later, so the request arrived.
            for error in [
                status(id, 503),
                api(id, 429, ExceptionType::RateLimitException),
            ] {
                assert_eq!(
                    first(&error),
                    RetryAction::DontRetry(NoRetry::MayHaveArrived),
                    "{error}"
                );
            }
            // The advice table says the outcome is unknown, not to retry later.
            for error in [
                transport(id, TransportFailure::ConnectionReset, true),
                status(id, 500),
                html(id, 502),
            ] {
                assert_eq!(error.next_step(), NextStep::OutcomeUnknown, "{error}");
                assert_eq!(
                    first(&error),
                    RetryAction::DontRetry(NoRetry::NotTransient),
                    "{error}"
                );
            }
        }
    }

    #[test]
    fn a_connection_not_opened_in_time_is_retried_for_every_operation() {
        for id in [GET].into_iter().chain(POSTS) {
            let error = transport(id, TransportFailure::TimedOut, false);
            assert_retried(first(&error), &error);
        }
    }

    #[test]
    fn a_request_that_timed_out_once_sent_is_not_repeated() {
        let get = transport(GET, TransportFailure::TimedOut, true);
        assert_eq!(
            first(&get),
            RetryAction::DontRetry(NoRetry::TimedOutOnceSent)
        );
        for id in POSTS {
            let post = transport(id, TransportFailure::TimedOut, true);
            assert_eq!(first(&post), RetryAction::DontRetry(NoRetry::NotTransient));
        }
    }

    #[test]
    fn what_the_advice_table_does_not_say_to_retry_later_is_not_retried() {
        let lasting = [
            transport(GET, TransportFailure::Dns, false),
            transport(GET, TransportFailure::Tls, false),
            Error::new(ErrorKind::Unauthorized { message: None }).with_operation(op(GET)),
            api(GET, 400, ExceptionType::InvalidCodeException),
            api(GET, 404, ExceptionType::SessionNotFoundException),
            // A 429 whose type says to wait for the cooldown, then resend: not the same call.
            api(GET, 429, ExceptionType::RestartCooldownActiveException),
            status(GET, 408),
            status(GET, 400),
            html(GET, 404),
            Error::invalid_argument("recipient", "must not be empty").with_operation(op(GET)),
        ];
        for error in &lasting {
            assert_eq!(
                first(error),
                RetryAction::DontRetry(NoRetry::NotTransient),
                "{error}"
            );
        }
    }

    #[test]
    fn retry_after_is_the_wait_exactly_and_one_past_max_delay_is_no_retry() {
        let asked = |wait: Duration| status(GET, 503).with_retry_after(Some(wait));
        for wait in [
            Duration::ZERO,
            Duration::from_millis(700),
            Duration::from_secs(2),
        ] {
            assert_eq!(first(&asked(wait)), RetryAction::Retry { after: wait });
        }
        assert_eq!(
            first(&asked(Duration::from_millis(2001))),
            RetryAction::DontRetry(NoRetry::WaitTooLong)
        );
    }

    #[test]
    fn the_attempts_are_counted_the_first_included() {
        let policy = RetryPolicy::default();
        let error = status(GET, 503);
        let second = decide(&policy, &error, 2, Duration::ZERO);
        assert!(
            matches!(second, RetryAction::Retry { after } if after <= Duration::from_millis(200)),
            "{second:?}"
        );
        assert_eq!(
            decide(&policy, &error, 3, Duration::ZERO),
            RetryAction::DontRetry(NoRetry::AttemptsSpent)
        );
        assert_eq!(
            decide(&RetryPolicy::none(), &error, 1, Duration::ZERO),
            RetryAction::DontRetry(NoRetry::AttemptsSpent)
        );
    }

    #[test]
    fn no_retry_starts_past_the_deadline() {
        let policy = RetryPolicy::default();
        let error = status(GET, 503).with_retry_after(Some(Duration::from_millis(700)));
        assert_eq!(
            decide(&policy, &error, 1, Duration::from_millis(9300)),
            RetryAction::Retry {
                after: Duration::from_millis(700)
            },
            "a retry that starts at the deadline is made"
        );
        assert_eq!(
            decide(&policy, &error, 1, Duration::from_millis(9301)),
            RetryAction::DontRetry(NoRetry::PastDeadline)
        );
    }
}
