//! The one path every operation of [`Client`] takes: check the arguments, run progenitor's
//! call inside a tracing span with a fresh [`CallContext`], and turn its error into
//! [`Error`].

use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use tracing::Instrument;

use crate::generated::raw;
use crate::mask::MaskedPhone;
use crate::operation::{Escape, Operation};
use crate::redact::Secrets;
use crate::types::ErrorResponse;
use crate::{Client, Error, RequestId};

/// The arguments of a call that the SDK itself looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Args<'a> {
    /// The session the call is about, for its span.
    pub request_id: Option<&'a RequestId>,
    /// The string arguments and required string body fields, by name: refused when blank,
    /// masked in the span, scrubbed from error text.
    pub strings: &'a [(&'static str, &'a str)],
}

/// What the client hooks learn about the call in progress.
#[derive(Debug)]
pub(crate) struct CallContext {
    pub operation: &'static Operation,
    /// Whether any attempt may have reached the service.
    pub maybe_sent: bool,
    pub status: Option<StatusCode>,
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
#[derive(Debug)]
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
            content_type: None,
            retry_after: None,
            location: None,
            body: Bytes::new(),
            fault: None,
        }
    }

    /// Forgets the previous attempt's response (but not whether it may have been sent).
    pub(crate) fn next_attempt(&mut self) {
        *self = Self {
            maybe_sent: self.maybe_sent,
            ..Self::new(self.operation)
        };
    }
}

tokio::task_local! {
    static CONTEXT: RefCell<CallContext>;
}

/// Runs `f` on the context of the call in progress (from the client hooks); `None` outside
/// a call.
pub(crate) fn with_context<R>(f: impl FnOnce(&mut CallContext) -> R) -> Option<R> {
    CONTEXT.try_with(|c| f(&mut c.borrow_mut())).ok()
}

impl Client {
    /// Runs operation `operation`: checks `args`, runs `call` in a span, and maps its error.
    pub(crate) async fn call<T, F>(
        &self,
        operation: &'static Operation,
        args: Args<'_>,
        call: F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<ResponseValue<T>, raw::Error<ErrorResponse>>>,
    {
        for (name, value) in args.strings {
            if value.trim().is_empty() {
                return Err(
                    Error::invalid_argument(name, "must not be empty").with_operation(operation)
                );
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
        async move {
            let started = Instant::now();
            let (result, context) = CONTEXT
                .scope(RefCell::new(CallContext::new(operation)), async {
                    let result = call.await;
                    (
                        result,
                        CONTEXT.with(|c| c.replace(CallContext::new(operation))),
                    )
                })
                .await;
            let span = tracing::Span::current();
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            if let Some(status) = context.status {
                span.record("http.status", status.as_u16());
            }
            match result {
                Ok(value) => {
                    tracing::debug!("otp-handler call succeeded");
                    Ok(value.into_inner())
                }
                Err(raw_error) => {
                    let secrets = Secrets {
                        token: self.state().token(),
                        values: args.strings,
                    };
                    let error = Error::from_raw(raw_error, context, secrets);
                    tracing::debug!(error = %error, "otp-handler call failed");
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }
}
