//! What the hooks learn about one call in progress ([`CallContext`]): whether a request may
//! have been sent, the status, and what an error needs of the answer, with anything wrong
//! with it ([`Fault`]). The hooks write it, the error mapping reads it; it imports neither.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::operation::{Escape, Operation};
use crate::types::ErrorResponse;

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
    /// The context of a call of `operation` before its first attempt.
    pub(crate) fn new(operation: &'static Operation) -> Self {
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

/// A success body that is in fact an error (`{type, message, httpStatus}`, nothing else):
/// the hooks record it as a [`Fault::ErrorBody`], and the error mapping looks for it in a
/// body that did not decode.
pub(crate) fn error_body(body: &[u8]) -> Option<ErrorResponse> {
    // Most success bodies are not: skip the parse unless the tell-tale key is there.
    if !body.windows(12).any(|w| w == b"\"httpStatus\"") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let error_shaped = object.contains_key("type")
        && object.contains_key("httpStatus")
        && object
            .keys()
            .all(|k| matches!(k.as_str(), "type" | "message" | "httpStatus"));
    if !error_shaped {
        return None;
    }
    serde_json::from_value(value).ok()
}
