//! Answers to the browser for a call the client made: the service's status and JSON passed
//! through, its errors as the spec documents them, and the router's own refusal for what is
//! the back end's business.

use std::time::Duration;

use http::StatusCode;
use otp_client::types::ExceptionType;
use otp_client::{Error, ErrorKind};
use serde_json::Value;

use crate::answer::Answer;
use crate::refusal::{Reason, Refusal};

/// The success as the service gave it, or its error (see [`refusal_for`]), with a
/// `Retry-After` of at most `max_retry_after`.
pub(crate) fn forward<T: serde::Serialize>(
    max_retry_after: Duration,
    success: StatusCode,
    result: Result<T, Error>,
) -> Result<Answer, Refusal> {
    let value = result.map_err(|e| refusal_for(max_retry_after, &e))?;
    match serde_json::to_vec(&value) {
        Ok(body) => Ok(Answer::json(success, body)),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize the service's answer");
            Err(Refusal::internal(Reason::Internal))
        }
    }
}

/// What the browser gets for a client error: for the service's error, its type and status
/// with the message the spec documents for the type (never the service's own text, which
/// may name internal hosts or carry a stack trace; empty for a type the spec does not
/// list), and its `Retry-After` capped by `max_retry_after`.
pub(crate) fn refusal_for(max_retry_after: Duration, error: &Error) -> Refusal {
    match error.kind() {
        ErrorKind::Api(api) => Refusal::service(
            api.kind.clone(),
            api.status,
            error.retry_after().map(|wait| wait.min(max_retry_after)),
        ),
        ErrorKind::Transport { .. } => {
            tracing::warn!(error = %error, "the service cannot be reached");
            Refusal::of(
                Reason::ServiceUnreachable,
                ExceptionType::NoConnectionException,
                StatusCode::BAD_GATEWAY,
            )
        }
        ErrorKind::InvalidArgument { .. } => Refusal::invalid(Reason::InvalidRequest),
        _ => {
            // The token, the base URL, an answer that does not match the spec: the back
            // end's to fix, and none of the browser's business.
            tracing::error!(error = %error, "the widget back end cannot forward the call");
            Refusal::internal(Reason::Internal)
        }
    }
}

/// Adds what the vendor's SDK adds to `getWidget`'s answer: whether the calling browser
/// needs a captcha for its next `send`, and which provider.
pub(crate) fn with_captcha(mut widget: Value, required: bool, provider: Option<&str>) -> Value {
    if let Some(object) = widget.as_object_mut() {
        object.insert("captchaIsRequired".into(), Value::Bool(required));
        if let Some(provider) = provider {
            object.insert("captchaProvider".into(), Value::String(provider.into()));
        }
    }
    widget
}
