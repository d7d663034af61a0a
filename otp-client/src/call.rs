//! The one path every operation of [`Client`] takes: check the arguments, run progenitor's
//! call inside a tracing span with a fresh [`CallContext`], and turn its error into
//! [`Error`].

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use tracing::Instrument;

use crate::client::ClientState;
use crate::generated::raw;
use crate::mask::MaskedPhone;
use crate::operation::{Escape, Operation};
use crate::redact::Secrets;
use crate::types::ErrorResponse;
use crate::{Client, Error, NextStep, RequestId};

/// The longest string argument a call takes (a phone number, a code): far past any real one,
/// and short enough that a URL that carries it is one every server reads.
pub(crate) const MAX_ARGUMENT_BYTES: usize = 2048;

/// The arguments of a call that the SDK itself looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Args<'a> {
    /// The session the call is about, for its span.
    pub request_id: Option<&'a RequestId>,
    /// The string arguments and required string body fields, by name: refused when blank,
    /// masked in the span, scrubbed from error text.
    pub strings: &'a [(&'static str, &'a str)],
}

/// The state of progenitor's client for one call (its `inner`): the client's state and
/// what the hooks learn about the call. Each call has its own, so the hooks write to their
/// call's context and the call reads it back, with nothing shared between calls.
#[derive(Debug)]
pub(crate) struct Call {
    pub state: Arc<ClientState>,
    context: Mutex<CallContext>,
}

impl Call {
    pub(crate) fn new(state: Arc<ClientState>, operation: &'static Operation) -> Self {
        Self {
            state,
            context: Mutex::new(CallContext::new(operation)),
        }
    }

    /// Runs `f` on the call's context.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut CallContext) -> R) -> R {
        // Never held across an await, nor while anything can panic: a poisoned lock still
        // holds a whole context.
        let mut context = self.context.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut context)
    }

    /// The context of the attempt that ended, leaving a fresh one.
    fn take(&self) -> CallContext {
        self.with(|c| std::mem::replace(c, CallContext::new(c.operation)))
    }
}

impl Clone for Call {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            context: Mutex::new(self.with(|c| c.clone())),
        }
    }
}

/// What the client hooks learn about the call in progress; what only an error needs is
/// boxed apart.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    pub operation: &'static Operation,
    /// Whether any attempt may have reached the service.
    pub maybe_sent: bool,
    pub status: Option<StatusCode>,
    /// What an error needs of the answer; `None` on the way to a success.
    pub answer: Option<Box<Answer>>,
}

/// What the error mapping needs of a response (or of a request that was not sent).
#[derive(Debug, Default, Clone)]
pub(crate) struct Answer {
    pub content_type: Option<String>,
    pub retry_after: Option<Duration>,
    /// Where a redirect pointed, scrubbed.
    pub location: Option<String>,
    /// The body as received (at most the configured cap).
    pub body: Bytes,
    /// Something wrong with the request or the response that progenitor would not see.
    pub fault: Option<Fault>,
}

/// A request that must not be sent, or a response that must not be decoded as if it were
/// fine.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// The request's URL is not its operation's: it was not sent.
    Escape(Escape),
    /// The body is larger than the cap; it was not read past it.
    TooLarge { limit: usize },
    /// The body is not JSON (an HTML page from a proxy, say).
    NotJson,
    /// A success status, with an error body.
    ErrorBody(ErrorResponse),
}

impl CallContext {
    fn new(operation: &'static Operation) -> Self {
        Self {
            operation,
            maybe_sent: false,
            status: None,
            answer: None,
        }
    }

    /// The fault recorded, if any.
    pub(crate) fn fault(&self) -> Option<&Fault> {
        self.answer.as_ref()?.fault.as_ref()
    }
}

impl Client {
    /// Runs one call through `raw`, progenitor's client for it ([`Client::raw`]): checks
    /// `args`, then sends the request `call` makes, in a span, and maps its error; makes it
    /// again when the [`RetryPolicy`](crate::RetryPolicy) and the error's next step say so (a
    /// request is only rebuilt when it is retried).
    pub(crate) async fn call<T, F, Fut>(
        &self,
        raw: &raw::Client,
        args: Args<'_>,
        call: F,
    ) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, raw::Error<ErrorResponse>>>,
    {
        let slot = progenitor_client::ClientInfo::inner(raw);
        let operation = slot.with(|c| c.operation);
        for (name, value) in args.strings {
            if value.chars().all(char::is_whitespace) {
                return Err(
                    Error::invalid_argument(name, "must not be empty").with_operation(operation)
                );
            }
            if value.len() > MAX_ARGUMENT_BYTES {
                return Err(Error::invalid_argument(
                    name,
                    format!("longer than {MAX_ARGUMENT_BYTES} bytes"),
                )
                .with_operation(operation));
            }
        }
        let recipient = args
            .strings
            .iter()
            .find(|(name, _)| *name == "recipient")
            .map_or("", |(_, v)| *v);
        let span = tracing::info_span!(
            "otp.call",
            otp.operation = operation.id,
            otp.request_id = tracing::field::Empty,
            otp.recipient = %MaskedPhone(recipient),
            http.status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        if let Some(id) = args.request_id {
            span.record("otp.request_id", tracing::field::display(id));
        }
        // Recorded on directly: cheaper than asking for the current span.
        let span_of_call = span.clone();
        async move {
            let started = Instant::now();
            let policy = &self.state().retry;
            let mut attempt = 1;
            let mut maybe_sent = false;
            loop {
                let result = call().await;
                let context = slot.take();
                if let Some(status) = context.status {
                    span_of_call.record("http.status", status.as_u16());
                }
                let raw_error = match result {
                    Ok(value) => {
                        span_of_call.record("latency_ms", started.elapsed().as_millis() as u64);
                        tracing::debug!("otp-handler call succeeded");
                        return Ok(value.into_inner());
                    }
                    Err(raw_error) => raw_error,
                };
                let secrets = Secrets {
                    token: self.state().token(),
                    values: args.strings,
                };
                let error = Error::from_raw(raw_error, context, secrets);
                maybe_sent |= error.may_have_been_sent();
                // The next attempt's error says whether any attempt may have been sent.
                slot.with(|c| c.maybe_sent = maybe_sent);
                let delay = policy.delay(attempt, error.retry_after());
                let Some(delay) = delay.filter(|delay| {
                    attempt < policy.max_attempts
                        && retryable(operation, &error)
                        && started.elapsed().saturating_add(*delay) <= policy.deadline
                }) else {
                    span_of_call.record("latency_ms", started.elapsed().as_millis() as u64);
                    tracing::debug!(error = %error, "otp-handler call failed");
                    return Err(error);
                };
                tracing::warn!(
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    status = error.status().map(|s| s.as_u16()),
                    error = %error,
                    "retrying"
                );
                // Boxed: only a retry waits, and the timer would otherwise take room in every
                // call's future for the whole call.
                Box::pin(tokio::time::sleep(delay)).await;
                attempt += 1;
            }
        }
        .instrument(span)
        .await
    }
}

/// Whether a failed call may simply be made again, by the next-step table: what it says to
/// retry later, for a request that may be repeated (a `GET`), or that certainly did not
/// reach the service. A request that timed out once sent is not repeated: it would only
/// time out again within the caller's patience (a connection not opened in time is).
fn retryable(operation: &Operation, error: &Error) -> bool {
    let sent = error.may_have_been_sent();
    matches!(error.next_step(), NextStep::RetryLater { .. })
        && !(error.is_timeout() && sent)
        && (operation.idempotent || !sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::OPERATIONS;
    use crate::{ErrorKind, TransportFailure};

    fn operation(id: &str) -> &'static Operation {
        OPERATIONS.iter().find(|op| op.id == id).unwrap()
    }

    fn timed_out(maybe_sent: bool) -> Error {
        Error::new(ErrorKind::Transport {
            failure: TransportFailure::TimedOut,
            maybe_sent,
        })
    }

    #[test]
    fn a_connection_not_opened_in_time_is_retried_for_every_operation() {
        for id in ["getStatus", "send", "checkCode"] {
            assert!(retryable(operation(id), &timed_out(false)), "{id}");
        }
    }

    #[test]
    fn a_request_that_timed_out_once_sent_is_not_repeated() {
        for id in ["getStatus", "send", "checkCode"] {
            assert!(!retryable(operation(id), &timed_out(true)), "{id}");
        }
    }
}
