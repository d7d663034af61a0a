//! The one path every operation of [`Client`](crate::Client) takes ([`run`]): check the
//! arguments, run progenitor's call inside a tracing span with a fresh [`CallContext`], turn
//! its error into [`Error`], and make it again when the [`RetryClassifier`] says so. Also
//! [`Call`], the state progenitor's client carries for one call.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use progenitor_client::ResponseValue;
use tracing::Instrument;

use crate::context::CallContext;
use crate::error::Error;
use crate::generated::raw;
use crate::mask::MaskedPhone;
use crate::operation::Operation;
use crate::redact::Secrets;
use crate::request_id::RequestId;
use crate::retry::classifier::{FailedAttempt, RetryAction, RetryClassifier};
use crate::state::ClientState;
use crate::types::ErrorResponse;

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

/// Runs one call through `raw`, progenitor's client for it ([`Client::raw`]): checks
/// `args`, then sends the request `call` makes, in a span, and maps its error; makes it
/// again when the [`RetryClassifier`] says so (a request is only rebuilt when it is
/// retried). What [`Client::call`] runs.
///
/// [`Client::raw`]: crate::Client::raw
/// [`Client::call`]: crate::Client::call
pub(crate) async fn run<T, F, Fut>(raw: &raw::Client, args: Args<'_>, call: F) -> Result<T, Error>
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
        let state = &*slot.state;
        let classifier = RetryClassifier::new(&state.retry);
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
                token: state.token(),
                values: args.strings,
            };
            let error = Error::from_raw(raw_error, context, secrets);
            maybe_sent |= error.may_have_been_sent();
            // The next attempt's error says whether any attempt may have been sent.
            slot.with(|c| c.maybe_sent = maybe_sent);
            let failed = FailedAttempt {
                operation,
                error: &error,
                number: attempt,
                elapsed: started.elapsed(),
            };
            let delay = match classifier.classify(&failed) {
                RetryAction::Retry { after } => after,
                RetryAction::DontRetry(why) => {
                    span_of_call.record("latency_ms", started.elapsed().as_millis() as u64);
                    tracing::debug!(error = %error, no_retry = ?why, "otp-handler call failed");
                    return Err(error);
                }
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
