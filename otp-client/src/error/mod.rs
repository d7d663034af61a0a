//! The SDK's error: what went wrong, in which operation, and what to do next.

mod advice;
mod mapping;
mod transport;

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::operation::Operation;
use crate::types::{ChannelStatus, ExceptionType};

pub use advice::NextStep;
pub use transport::TransportFailure;

/// An error from the otp-handler SDK.
///
/// [`Error::kind`] says what happened ([`ErrorKind`]); [`Error::next_step`] says what to do
/// about it, from one table ([`NextStep`]); [`Error::operation`] names the call. Its
/// `Display`, `Debug` and whole [`source`](std::error::Error::source) chain never contain
/// the token, a phone number or a code: request URLs are left out, and body excerpts are
/// scrubbed of the call's secrets.
///
/// ```
/// # fn handle(e: otp_client::Error) {
/// use otp_client::NextStep;
/// match e.next_step() {
///     NextStep::AskCodeAgain { attempts_left } => println!("wrong code; {attempts_left:?} left"),
///     NextStep::RetryLater { retry_after } => println!("try again in {retry_after:?}"),
///     NextStep::StartOver => println!("start a new verification"),
///     other => println!("{e}: {other:?}"),
/// }
/// # }
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    operation: Option<&'static Operation>,
    /// `Retry-After`, when the answer had one.
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// What kind of error an [`Error`] is.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered with an error body (`{type, message, httpStatus}`).
    Api(ApiError),
    /// HTTP 401: the token is missing or wrong.
    Unauthorized {
        /// The server's message, when the 401 had one.
        message: Option<String>,
    },
    /// An argument was refused before anything was sent.
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// The client could not be built from its configuration.
    Config(String),
    /// The request or its answer was lost on the way.
    Transport {
        /// What happened.
        failure: TransportFailure,
        /// Whether the request may have reached the service (`false`: it certainly did not).
        maybe_sent: bool,
    },
    /// The answer was a redirect the client did not follow (none is, by default; see
    /// [`ClientBuilder::follow_same_origin_redirects`](crate::ClientBuilder::follow_same_origin_redirects)).
    /// The service never redirects.
    Redirect {
        /// The redirect's status.
        status: StatusCode,
        /// Where it pointed, without its query and credentials, scrubbed.
        location: Option<String>,
    },
    /// A waiting helper gave up: what it waited for did not happen in time.
    DeadlineExceeded {
        /// How long it waited.
        waited: Duration,
    },
    /// A waiting helper found the channel in a state that will not change: `confirmed`
    /// (finish it) while waiting for something else, or `error` or `closed` (start over).
    ChannelEnded {
        /// The channel's status.
        status: ChannelStatus,
    },
    /// `checkCode` answered `success: false`.
    NotConfirmed,
    /// [`finish`](crate::Client::finish): the service did not confirm the session for this
    /// phone number. It is not confirmed, or was finished before (the service then answers
    /// `false` too). Grant no access.
    NotVerified,
    /// A documented status came with a body that does not decode to its schema.
    Decode {
        /// The response's status.
        status: StatusCode,
        /// The start of the body, scrubbed of the call's secrets.
        body: String,
    },
    /// A status the operation does not declare, without an error body (an HTML page from a
    /// proxy, a 404 from a wrong base path).
    UnexpectedResponse {
        /// The response's status.
        status: StatusCode,
        /// The response's content type.
        content_type: Option<String>,
        /// The start of the body, scrubbed of the call's secrets.
        body: String,
    },
    /// The response body is larger than the configured cap; it was not read past it.
    BodyTooLarge {
        /// The response's status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },
}

/// An error body from the service: `{type, message, httpStatus}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The exception type; `ExceptionType::Unknown` keeps a type this version does not know.
    pub kind: ExceptionType,
    /// The vendor's message (in Russian), verbatim but for the call's secrets, which are
    /// scrubbed.
    pub message: String,
    /// The HTTP status of the response. (`Retry-After`, when the answer had one, is
    /// [`Error::retry_after`].)
    pub status: StatusCode,
    /// For a wrong code, how many more codes the user may enter, when known. The service's
    /// error does not say: the raw `check_code` leaves it `None`, and a session's
    /// [`check_code`](crate::Verification::check_code) fills it from the channel's
    /// `remaining_code_attempts` (the same `u32`).
    pub attempts_left: Option<u32>,
}

impl ApiError {
    /// The exception type's English text (from the spec), if this version knows the type.
    pub fn summary(&self) -> Option<&'static str> {
        self.kind.summary()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind.as_str() {
            "" => "an error without a type",
            kind => kind,
        };
        write!(f, "{kind} (HTTP {})", self.status.as_u16())?;
        if let Some(summary) = self.summary() {
            write!(f, ": {summary}")?;
        }
        if !self.message.is_empty() {
            write!(f, " (the service: «{}»)", self.message)?;
        }
        if let Some(n) = self.attempts_left {
            write!(f, "; {n} attempt(s) left")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self(Box::new(Inner {
            kind,
            operation: None,
            retry_after: None,
            source: None,
        }))
    }

    pub(crate) fn with_operation(mut self, operation: &'static Operation) -> Self {
        self.0.operation = Some(operation);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.0.source = Some(source.into());
        self
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config(message.into()))
    }

    pub(crate) fn invalid_argument(name: &'static str, reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument {
            name,
            reason: reason.into(),
        })
    }

    /// What happened.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The operation that failed (its `operationId`, e.g. `checkCode`), when the error comes
    /// from a call.
    pub fn operation(&self) -> Option<&'static str> {
        self.0.operation.map(|op| op.id)
    }

    /// The service's error body, for [`ErrorKind::Api`].
    pub fn api(&self) -> Option<&ApiError> {
        match &self.0.kind {
            ErrorKind::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The exception type, for [`ErrorKind::Api`].
    pub fn exception(&self) -> Option<&ExceptionType> {
        self.api().map(|e| &e.kind)
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.0.kind {
            ErrorKind::Api(e) => Some(e.status),
            ErrorKind::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            ErrorKind::Decode { status, .. }
            | ErrorKind::UnexpectedResponse { status, .. }
            | ErrorKind::BodyTooLarge { status, .. }
            | ErrorKind::Redirect { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the request timed out (connecting or waiting for the answer).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::Transport {
                failure: TransportFailure::TimedOut,
                ..
            }
        )
    }

    /// Whether the request may have reached the service: `false` only when it certainly did
    /// not (it was refused before sending, or no connection could be opened). A `POST` that
    /// may have been sent must not be repeated blindly.
    pub fn may_have_been_sent(&self) -> bool {
        match &self.0.kind {
            ErrorKind::Transport { maybe_sent, .. } => *maybe_sent,
            ErrorKind::InvalidArgument { .. } | ErrorKind::Config(_) => false,
            ErrorKind::DeadlineExceeded { .. } => true,
            _ => self.0.operation.is_some(),
        }
    }

    /// How long the service (or a proxy) asked to wait before trying again, if it did
    /// (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }

    /// What to do next, from the one table of the vendor's rules (see [`NextStep`]).
    pub fn next_step(&self) -> NextStep {
        advice::next_step(self)
    }

    pub(crate) fn set_attempts_left(&mut self, attempts: Option<u32>) {
        if let ErrorKind::Api(api) = &mut self.0.kind {
            api.attempts_left = attempts;
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = self.0.operation {
            write!(f, "{}: ", op.id)?;
        }
        match &self.0.kind {
            ErrorKind::Api(e) => write!(f, "{e}"),
            ErrorKind::Unauthorized { .. } => {
                f.write_str("unauthorized (HTTP 401): the API token is missing or wrong")
            }
            ErrorKind::InvalidArgument { name, reason } => {
                write!(f, "invalid argument `{name}`: {reason}")
            }
            ErrorKind::Config(message) => write!(f, "invalid client configuration: {message}"),
            ErrorKind::Transport {
                failure,
                maybe_sent,
            } => {
                let reached = if *maybe_sent {
                    "the request may have reached the service"
                } else {
                    "the request did not reach the service"
                };
                write!(f, "{failure}; {reached}")
            }
            ErrorKind::Redirect { status, location } => {
                let location = location.as_deref().unwrap_or("an unnamed place");
                write!(
                    f,
                    "the answer is a redirect (HTTP {}) to {location}, not followed: the service never redirects (is the base URL right?)",
                    status.as_u16()
                )
            }
            ErrorKind::DeadlineExceeded { waited } => {
                write!(f, "gave up waiting after {:.1} s", waited.as_secs_f64())
            }
            ErrorKind::ChannelEnded { status } => write!(
                f,
                "the channel is `{status}`: it will not change any more"
            ),
            ErrorKind::NotConfirmed => f.write_str("the service answered `success: false`"),
            ErrorKind::NotVerified => f.write_str(
                "the service did not confirm this session for this phone number (it is not confirmed, or it was finished before): grant no access",
            ),
            ErrorKind::Decode { status, body } => write!(
                f,
                "HTTP {}: the answer does not match the spec; body: {body}",
                status.as_u16()
            ),
            ErrorKind::UnexpectedResponse {
                status,
                content_type,
                body,
            } => {
                let content_type = content_type.as_deref().unwrap_or("no content type");
                write!(
                    f,
                    "unexpected answer HTTP {} ({content_type})",
                    status.as_u16()
                )?;
                if *status == StatusCode::NOT_FOUND {
                    f.write_str(
                        ", without an error body: is the base URL right? It must end in the API's path, /api/n/otp-handler",
                    )?;
                }
                if body.is_empty() {
                    Ok(())
                } else {
                    write!(f, "; body: {body}")
                }
            }
            ErrorKind::BodyTooLarge { status, limit } => write!(
                f,
                "HTTP {}: the answer exceeds the {limit}-byte cap",
                status.as_u16()
            ),
        }?;
        match self.0.retry_after {
            Some(wait) => write!(f, "; asked to wait {} s (Retry-After)", wait_seconds(wait)),
            None => Ok(()),
        }
    }
}

/// Whole seconds, rounded up: a wait is never shown shorter than it is.
fn wait_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("operation", &self.operation())
            .field("kind", &self.0.kind)
            .field("source", &self.0.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<crate::InvalidRequestId> for Error {
    fn from(e: crate::InvalidRequestId) -> Self {
        Self::invalid_argument("request_id", e.to_string())
    }
}
