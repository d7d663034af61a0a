//! The one path every operation of [`Client`] takes: check the arguments, run
//! progenitor's call inside a tracing span with a fresh [`CallContext`], and turn its error
//! into [`Error`].

use std::cell::RefCell;
use std::future::Future;
use std::time::Instant;

use bytes::Bytes;
use reqwest::StatusCode;
use tracing::Instrument;

use crate::generated::raw;
use crate::mask::MaskedPhone;
use crate::types::ErrorResponse;
use crate::{Client, Error};

/// What the client hooks learn about the response of the call in progress.
#[derive(Debug, Default)]
pub(crate) struct CallContext {
    pub status: Option<StatusCode>,
    pub content_type: Option<String>,
    /// The body as received (at most the configured cap).
    pub body: Bytes,
    /// Something wrong with the response that progenitor would not see.
    pub fault: Option<Fault>,
}

/// A response that must not be decoded as if it were fine.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The body is larger than the cap; it was not read past it.
    TooLarge { limit: usize },
    /// The body is not JSON (an HTML page from a proxy, say).
    NotJson,
    /// A success status, with an error body.
    ErrorBody(ErrorResponse),
}

tokio::task_local! {
    static CONTEXT: RefCell<CallContext>;
}

/// Runs `f` on the context of the call in progress (from the client hooks).
pub(crate) fn with_context<R>(f: impl FnOnce(&mut CallContext) -> R) -> Option<R> {
    CONTEXT.try_with(|c| f(&mut c.borrow_mut())).ok()
}

impl Client {
    /// Runs one operation. `args` are its string arguments by name, checked before
    /// anything is sent and recorded (masked where personal) in the call's span.
    pub(crate) async fn call<T, F>(
        &self,
        operation_id: &'static str,
        args: &[(&'static str, &str)],
        call: F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<T, raw::Error<ErrorResponse>>>,
    {
        for (name, value) in args {
            let reason = if value.trim().is_empty() {
                "must not be empty"
            } else if matches!(*value, "." | "..") {
                // A dot segment would be resolved by URL parsing and change the path.
                "must not be `.` or `..`"
            } else {
                continue;
            };
            return Err(Error::InvalidArgument {
                name,
                reason: reason.to_string(),
            });
        }
        let arg = |wanted: &str| {
            args.iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, v)| *v)
        };
        let span = tracing::info_span!(
            "otp.call",
            otp.operation = operation_id,
            otp.request_id = arg("request_id").unwrap_or(""),
            otp.recipient = %MaskedPhone(arg("recipient").unwrap_or("")),
            http.status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let (result, context) = CONTEXT
                .scope(RefCell::new(CallContext::default()), async {
                    let result = call.await;
                    (result, CONTEXT.with(|c| c.take()))
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
                    Ok(value)
                }
                Err(raw_error) => {
                    let error = Error::from_raw(raw_error, context);
                    tracing::debug!(error = %error, "otp-handler call failed");
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }
}
