//! Answers to the browser: the service's status and JSON passed through, and the router's
//! own refusals in the service's error shape, `{type, message, httpStatus}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use otp_client::types::{ErrorResponse, ExceptionType};
use otp_client::{Error, ErrorKind};
use serde_json::Value;

use crate::backend::Shared;

/// An answer in the service's error shape.
#[derive(Debug)]
pub(crate) struct Refusal {
    kind: ExceptionType,
    status: StatusCode,
    message: String,
    retry_after: Option<std::time::Duration>,
}

impl Refusal {
    /// A refusal of `kind`, with the status and message the spec gives it (the vendor's
    /// words), or `fallback` when the spec has none.
    pub(crate) fn of(kind: ExceptionType, fallback: StatusCode) -> Self {
        let status = kind
            .http_status()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(fallback);
        let message = kind.vendor_message().unwrap_or_default().to_string();
        Self {
            kind,
            status,
            message,
            retry_after: None,
        }
    }

    /// Its status.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The same refusal with another status.
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Says how long to wait (`Retry-After`).
    pub(crate) fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// `ValidateError`: input the router cannot read.
    pub(crate) fn invalid() -> Self {
        Self::of(ExceptionType::ValidateError, StatusCode::BAD_REQUEST)
    }

    /// `InternalServerErrorException`: the back end failed (its configuration, its store).
    pub(crate) fn internal() -> Self {
        Self::of(
            ExceptionType::InternalServerErrorException,
            StatusCode::INTERNAL_SERVER_ERROR,
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = ErrorResponse::new()
            .type_(self.kind)
            .message(self.message)
            .http_status(self.status.as_u16());
        let mut response = (self.status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            let seconds = wait
                .as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0));
            if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// The answer to the browser for a call the client made: the success as the service gave
/// it, or its error as the service gave it; the router's own refusal for what is the back
/// end's business (its token, its connection, its configuration).
pub(crate) fn forward<T: serde::Serialize>(
    shared: &Shared,
    success: StatusCode,
    result: Result<T, Error>,
) -> Response {
    match result {
        Ok(value) => match serde_json::to_vec(&value) {
            Ok(body) => {
                // Built as it is sent: `(status, headers, body).into_response()` would set
                // `application/octet-stream` for the bytes first, then replace it.
                let mut response = Response::new(axum::body::Body::from(body));
                *response.status_mut() = success;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize the service's answer");
                Refusal::internal().into_response()
            }
        },
        Err(e) => refusal_for(shared, &e).into_response(),
    }
}

/// What the browser gets for a client error: for the service's error, its type and status
/// with the message the spec documents for the type (never the service's own text, which
/// may name internal hosts or carry a stack trace; empty for a type the spec does not
/// list), and its `Retry-After` capped by the back end's setting.
pub(crate) fn refusal_for(shared: &Shared, error: &Error) -> Refusal {
    match error.kind() {
        ErrorKind::Api(api) => Refusal {
            kind: api.kind.clone(),
            status: api.status,
            message: api.kind.vendor_message().unwrap_or_default().to_string(),
            retry_after: error
                .retry_after()
                .map(|wait| wait.min(shared.max_retry_after)),
        },
        ErrorKind::Transport { .. } => {
            tracing::warn!(error = %error, "the service cannot be reached");
            Refusal::of(
                ExceptionType::NoConnectionException,
                StatusCode::BAD_GATEWAY,
            )
        }
        ErrorKind::InvalidArgument { .. } => Refusal::invalid(),
        _ => {
            // The token, the base URL, an answer that does not match the spec: the back
            // end's to fix, and none of the browser's business.
            tracing::error!(error = %error, "the widget back end cannot forward the call");
            Refusal::internal()
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
