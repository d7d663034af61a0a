//! The SDK's error type.

use std::fmt;

use reqwest::StatusCode;

use crate::call::{CallContext, Fault};
use crate::generated::raw;
use crate::types::{ErrorResponse, ExceptionType};

/// How much of an unexpected body an error keeps, for the message.
const BODY_SNIPPET: usize = 512;

/// An error from an otp-handler call.
///
/// Documented API errors come as [`Error::Api`], whose [`ApiError::kind`] is one variant
/// per exception type of the spec (and `Unknown` for a type this version does not know
/// yet). The methods say what the vendor prescribes next: [`Error::should_resend`],
/// [`Error::should_refetch_channel`], [`Error::should_repoll`], [`Error::is_session_over`],
/// [`Error::is_retry_safe`]. No variant's `Display` or `Debug` ever contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error body, documented or not.
    #[error("{0}")]
    Api(ApiError),
    /// HTTP 401: the token is missing or wrong (the body, if any, is in `message`).
    #[error("unauthorized (HTTP 401): the API token is missing or wrong")]
    Unauthorized {
        /// The server's message, when the 401 had a body.
        message: Option<String>,
    },
    /// An argument was refused before anything was sent.
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The client could not be built from its configuration.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The request or the response took longer than the configured timeout.
    #[error("the request timed out: {source}")]
    Timeout {
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A waiting helper gave up: what it waited for did not happen in time.
    #[error("gave up waiting after {waited:?}")]
    DeadlineExceeded {
        /// How long it waited.
        waited: std::time::Duration,
    },
    /// The service answered `success: false`: the session is not confirmed (for this
    /// phone number).
    #[error("the session is not confirmed")]
    NotConfirmed,
    /// The service could not be reached, or the connection broke.
    #[error("could not talk to the service: {source}")]
    Transport {
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A documented status came with a body that does not decode to its schema.
    #[error("HTTP {status}: the response body does not match the spec ({source}); body: {body}")]
    Decode {
        /// The response's status, when known.
        status: StatusCode,
        /// The start of the body, for the message.
        body: String,
        /// The decoding error.
        #[source]
        source: serde_json::Error,
    },
    /// A status the spec does not declare for this operation, without an error body
    /// (an HTML page from a proxy, say).
    #[error("unexpected response HTTP {status} ({content_type}): {body}")]
    UnexpectedResponse {
        /// The response's status.
        status: StatusCode,
        /// The response's content type, or `none`.
        content_type: String,
        /// The start of the body, for the message.
        body: String,
    },
    /// The response body is larger than the configured cap; it was not read past it.
    #[error("HTTP {status}: the response body exceeds the {limit}-byte cap")]
    BodyTooLarge {
        /// The response's status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The request could not be built.
    #[error("the request could not be built: {0}")]
    InvalidRequest(String),
}

/// An error body from the service: `{type, message, httpStatus}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The exception type; `ExceptionType::Unknown` keeps a type this version does not know.
    pub kind: ExceptionType,
    /// The vendor's message, verbatim (in Russian).
    pub message: String,
    /// The HTTP status of the response.
    pub status: StatusCode,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (HTTP {}): {}",
            self.kind,
            self.status.as_u16(),
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl Error {
    /// The exception type, for an [`Error::Api`].
    pub fn kind(&self) -> Option<&ExceptionType> {
        match self {
            Error::Api(e) => Some(&e.kind),
            _ => None,
        }
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Error::Decode { status, .. } | Error::UnexpectedResponse { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    fn is(&self, kind: ExceptionType) -> bool {
        self.kind() == Some(&kind)
    }

    /// `ResendChannelException`: the channel expired; call `resend`.
    pub fn should_resend(&self) -> bool {
        self.is(ExceptionType::ResendChannelException)
    }

    /// `ChannelChangedException`: fetch the channel again (`getChannel`) and re-render.
    pub fn should_refetch_channel(&self) -> bool {
        self.is(ExceptionType::ChannelChangedException)
    }

    /// `LongPollingTimeoutException` (HTTP 408): nothing is wrong; issue the long-poll again.
    pub fn should_repoll(&self) -> bool {
        self.is(ExceptionType::LongPollingTimeoutException)
    }

    /// `InvalidCodeException`: the code was wrong; the user may try again while attempts remain.
    pub fn is_invalid_code(&self) -> bool {
        self.is(ExceptionType::InvalidCodeException)
    }

    /// `RestartCooldownActiveException`: too early to resend; wait and try again.
    pub fn is_cooldown(&self) -> bool {
        self.is(ExceptionType::RestartCooldownActiveException)
    }

    /// The session cannot go on: start a new one with `send`. True for every API error
    /// the vendor does not prescribe a way on from (`AttemptsExpiredException`,
    /// `NoAvailableChannelsException`, `SessionClosedException`, …) and for
    /// `SessionAlreadyConfirmedException` (nothing is left to do).
    pub fn is_session_over(&self) -> bool {
        match self {
            Error::Api(_) => {
                !(self.should_resend()
                    || self.should_refetch_channel()
                    || self.should_repoll()
                    || self.is_invalid_code()
                    || self.is_cooldown())
            }
            _ => false,
        }
    }

    /// Whether the same call may simply be made again: timeouts, broken connections,
    /// 408/429/502/503/504. Whether it is safe for a call that is not idempotent (a
    /// `send`, a `checkCode`) is the caller's judgement: the first try may have arrived.
    pub fn is_retry_safe(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Transport { .. } => true,
            _ => self
                .status()
                .is_some_and(|s| matches!(s.as_u16(), 408 | 429 | 502 | 503 | 504)),
        }
    }

    /// Turns progenitor's error into this one, with what the hooks learned of the
    /// response (its status, content type, body, and anything wrong with it).
    pub(crate) fn from_raw(error: raw::Error<ErrorResponse>, context: CallContext) -> Self {
        let status = context.status;
        let content_type = || {
            context
                .content_type
                .clone()
                .unwrap_or_else(|| "none".into())
        };
        let unexpected = |status: StatusCode| Error::UnexpectedResponse {
            status,
            content_type: content_type(),
            body: snippet(&context.body),
        };
        if let (Some(fault), Some(status)) = (&context.fault, status) {
            return match fault {
                Fault::TooLarge { limit } => Error::BodyTooLarge {
                    status,
                    limit: *limit,
                },
                _ if status == StatusCode::UNAUTHORIZED => Error::Unauthorized { message: None },
                Fault::NotJson => unexpected(status),
                Fault::ErrorBody(body) => Self::from_body(status, body.clone()),
            };
        }
        match error {
            raw::Error::ErrorResponse(value) => {
                let status = value.status();
                let body = value.into_inner();
                if body.type_.is_none() && status != StatusCode::UNAUTHORIZED {
                    // An error status whose body names no error (a success body, say).
                    return unexpected(status);
                }
                Self::from_body(status, body)
            }
            raw::Error::InvalidResponsePayload(body, source) => match status {
                Some(StatusCode::UNAUTHORIZED) => Error::Unauthorized { message: None },
                status => Error::Decode {
                    status: status.unwrap_or(StatusCode::OK),
                    body: snippet(&body),
                    source,
                },
            },
            raw::Error::UnexpectedResponse(response) => {
                let status = response.status();
                if status == StatusCode::UNAUTHORIZED {
                    let message = serde_json::from_slice::<ErrorResponse>(&context.body)
                        .ok()
                        .and_then(|b| b.message);
                    return Error::Unauthorized { message };
                }
                // An undeclared status with a well-formed error body (a 429
                // `RateLimitException`, a 500 `InternalServerErrorException`) is still an
                // API error.
                match serde_json::from_slice::<ErrorResponse>(&context.body) {
                    Ok(parsed) if parsed.type_.is_some() => Self::from_body(status, parsed),
                    _ => unexpected(status),
                }
            }
            raw::Error::CommunicationError(source)
            | raw::Error::ResponseBodyError(source)
            | raw::Error::InvalidUpgrade(source) => {
                if source.is_timeout() {
                    Error::Timeout { source }
                } else {
                    Error::Transport { source }
                }
            }
            raw::Error::InvalidRequest(message) | raw::Error::Custom(message) => {
                Error::InvalidRequest(message)
            }
        }
    }

    fn from_body(status: StatusCode, body: ErrorResponse) -> Self {
        if status == StatusCode::UNAUTHORIZED {
            return Error::Unauthorized {
                message: body.message,
            };
        }
        Error::Api(ApiError {
            kind: body
                .type_
                .unwrap_or_else(|| ExceptionType::Unknown(String::new())),
            message: body.message.unwrap_or_default(),
            status,
        })
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(BODY_SNIPPET).collect();
    if text.chars().count() > BODY_SNIPPET {
        out.push('…');
    }
    out
}
