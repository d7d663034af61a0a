//! What to do after an error: one table of the vendor's rules, by exception type, and by
//! status where the body names no type this version knows. The retries, the waiting helpers
//! and the verification flow all read this table.

use std::time::Duration;

use reqwest::StatusCode;

use super::{Error, ErrorKind, TransportFailure};
use crate::types::{ChannelStatus, ExceptionType};

/// What to do after an error, as [`Error::next_step`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextStep {
    /// Nothing is wrong: issue the long-poll again (`LongPollingTimeoutException`), or keep
    /// waiting (a waiting helper's own deadline passed).
    PollAgain,
    /// The channel changed (`ChannelChangedException`): fetch it again (`getChannel`) and
    /// render it.
    RefetchChannel,
    /// The channel expired (`ResendChannelException`): call `resend`.
    Resend,
    /// The code was wrong (`InvalidCodeException`): ask the user for it again.
    AskCodeAgain {
        /// How many more codes the user may enter, when known.
        attempts_left: Option<u32>,
    },
    /// The channel is codeless (`IsCodelessChannelException`): there is no code to check;
    /// wait for the user's confirmation (`getStatusLongPolling`).
    AwaitConfirmation,
    /// Too early to resend (`RestartCooldownActiveException`): wait, then resend.
    WaitCooldown {
        /// How long, when the service said (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// Make the same call again later: the service is overloaded or rate-limits
    /// (`RateLimitException`, 429, 5xx), or the connection failed before the request could
    /// matter.
    RetryLater {
        /// How long to wait, when the service said (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The session is already confirmed (`SessionAlreadyConfirmedException`): finish it.
    Finish,
    /// This session cannot go on (`AttemptsExpiredException`, `NoAvailableChannelsException`,
    /// `SessionClosedException`, `SessionNotFoundException`, an exception type this version
    /// does not know, a finish the service did not confirm): start a new one with `send`.
    StartOver,
    /// The configuration is wrong (the token, the widget, the base URL): starting over
    /// would fail the same way.
    FixConfiguration,
    /// The call's arguments are wrong (a phone number that is not the session's, input the
    /// service or the SDK refused): fix them.
    FixRequest,
    /// A request that must not be repeated blindly (a `POST`) may have reached the service,
    /// and its answer was lost: the outcome is unknown. For `finish`, grant no access; the
    /// service answers `false` to a second one if the first completed the session.
    OutcomeUnknown,
}

/// The step for an exception type this version knows, or `None` for `Unknown`.
fn for_exception(kind: &ExceptionType, retry_after: Option<Duration>) -> Option<NextStep> {
    use ExceptionType as E;
    Some(match kind {
        E::LongPollingTimeoutException => NextStep::PollAgain,
        E::ChannelChangedException => NextStep::RefetchChannel,
        E::ResendChannelException => NextStep::Resend,
        E::InvalidCodeException => NextStep::AskCodeAgain {
            attempts_left: None,
        },
        E::IsCodelessChannelException => NextStep::AwaitConfirmation,
        E::RestartCooldownActiveException => NextStep::WaitCooldown { retry_after },
        E::SessionAlreadyConfirmedException => NextStep::Finish,
        E::AttemptsExpiredException
        | E::NoAvailableChannelsException
        | E::SessionClosedException
        | E::SessionNotFoundException
        | E::RequestNotFoundException => NextStep::StartOver,
        E::ForbiddenException | E::WidgetNotFoundException | E::WidgetIsBlockedException => {
            NextStep::FixConfiguration
        }
        E::PhoneNumberMismatchException
        | E::BadRequestException
        | E::ValidateError
        | E::CaptchaNotConfirmedException => NextStep::FixRequest,
        E::RateLimitException | E::InternalServerErrorException | E::NoConnectionException => {
            NextStep::RetryLater { retry_after }
        }
        E::Unknown(_) => return None,
        // A type that a newer spec (`OTP_HANDLER_SPEC`) adds: its status decides, as for a
        // type no spec lists. For the bundled spec this arm is unreachable, and a test checks
        // that every type it lists has its own step here.
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// The step for a status whose body names no type this version knows.
fn for_status(status: StatusCode, retry_after: Option<Duration>) -> NextStep {
    match status.as_u16() {
        408 => NextStep::PollAgain,
        429 | 500..=599 => NextStep::RetryLater { retry_after },
        401 | 403 => NextStep::FixConfiguration,
        // The vendor's rule for any other error: this session is over.
        _ => NextStep::StartOver,
    }
}

pub(super) fn next_step(error: &Error) -> NextStep {
    let idempotent = error.0.operation.is_none_or(|op| op.idempotent);
    // An answer to a request that must not be repeated, from which it cannot be told
    // whether it was handled: every 5xx but a 503, and a success that could not be read.
    let outcome_unknown = |status: StatusCode| {
        !idempotent
            && (status.is_success()
                || (status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE))
    };
    match error.kind() {
        ErrorKind::Api(api) if outcome_unknown(api.status) => NextStep::OutcomeUnknown,
        ErrorKind::Api(api) => match for_exception(&api.kind, error.retry_after()) {
            // No attempt left: the vendor's "while attempts remain" is over.
            Some(NextStep::AskCodeAgain { .. }) if api.attempts_left == Some(0) => {
                NextStep::StartOver
            }
            Some(NextStep::AskCodeAgain { .. }) => NextStep::AskCodeAgain {
                attempts_left: api.attempts_left,
            },
            Some(step) => step,
            None => for_status(api.status, error.retry_after()),
        },
        ErrorKind::Unauthorized { .. } | ErrorKind::Config(_) | ErrorKind::Redirect { .. } => {
            NextStep::FixConfiguration
        }
        ErrorKind::InvalidArgument { .. } => NextStep::FixRequest,
        // A host that cannot be resolved or trusted fails the same way every time.
        ErrorKind::Transport {
            failure: TransportFailure::Dns | TransportFailure::Tls,
            ..
        } => NextStep::FixConfiguration,
        ErrorKind::Transport { maybe_sent, .. } if *maybe_sent && !idempotent => {
            NextStep::OutcomeUnknown
        }
        ErrorKind::Transport { .. } => NextStep::RetryLater { retry_after: None },
        ErrorKind::DeadlineExceeded { .. } => NextStep::PollAgain,
        ErrorKind::ChannelEnded { status } if *status == ChannelStatus::Confirmed => {
            NextStep::Finish
        }
        ErrorKind::ChannelEnded { .. } => NextStep::StartOver,
        ErrorKind::NotConfirmed => NextStep::AskCodeAgain {
            attempts_left: None,
        },
        ErrorKind::NotVerified => NextStep::StartOver,
        ErrorKind::UnexpectedResponse { status, .. } if *status == StatusCode::NOT_FOUND => {
            // No error body: not the service's 404s, which name their type.
            NextStep::FixConfiguration
        }
        ErrorKind::Decode { status, .. }
        | ErrorKind::UnexpectedResponse { status, .. }
        | ErrorKind::BodyTooLarge { status, .. } => {
            if outcome_unknown(*status) {
                NextStep::OutcomeUnknown
            } else {
                for_status(*status, error.retry_after())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exception_type_of_the_spec_has_its_own_step() {
        let without: Vec<&str> = ExceptionType::KNOWN
            .iter()
            .copied()
            .filter(|name| for_exception(&ExceptionType::from(*name), None).is_none())
            .collect();
        assert!(
            without.is_empty(),
            "exception types of the spec with no step in the advice table: {without:?}"
        );
    }
}
