//! The one path every operation of [`Client`] takes: check the arguments, run
//! progenitor's call inside a tracing span, and turn its error into [`Error`].

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

use reqwest::StatusCode;
use tracing::Instrument;

use crate::generated::raw;
use crate::types::ErrorResponse;
use crate::{Client, Error, mask_phone};

tokio::task_local! {
    /// The status of the response the current call received, set by the `post` hook.
    static STATUS: Cell<Option<StatusCode>>;
}

/// Records the status of the current call's response (called by the client hooks).
pub(crate) fn record_status(status: StatusCode) {
    let _ = STATUS.try_with(|cell| cell.set(Some(status)));
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
            otp.recipient = arg("recipient").map(mask_phone).unwrap_or_default(),
            http.status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let (result, status) = STATUS
                .scope(Cell::new(None), async {
                    let result = call.await;
                    (result, STATUS.with(Cell::get))
                })
                .await;
            let span = tracing::Span::current();
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            if let Some(status) = status {
                span.record("http.status", status.as_u16());
            }
            match result {
                Ok(value) => {
                    tracing::debug!("otp-handler call succeeded");
                    Ok(value)
                }
                Err(raw_error) => {
                    let error = Error::from_raw(raw_error, status).await;
                    tracing::debug!(error = %error, "otp-handler call failed");
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }
}
