//! From progenitor's error, and what the hooks learned of the call, to the SDK's.

use reqwest::StatusCode;

use super::{ApiError, Error, ErrorKind, transport};
use crate::context::{Answer, CallContext, Fault, error_body};
use crate::generated::raw;
use crate::redact::{Secrets, scrub};
use crate::types::{ErrorResponse, ExceptionType};

/// How much of an unexpected body an error keeps, for the message.
const BODY_SNIPPET: usize = 512;

impl Error {
    /// Turns progenitor's error into this one, with what the hooks learned of the response
    /// (its status, content type, body, and anything wrong with it), scrubbing `secrets`
    /// from every text that came from the other side.
    pub(crate) fn from_raw(
        error: raw::Error<ErrorResponse>,
        context: CallContext,
        secrets: Secrets<'_>,
    ) -> Self {
        let mut context = context;
        let answer = context.answer.take().map_or_else(Answer::default, |a| *a);
        Self::map(error, &context, &answer, secrets)
            .with_operation(context.operation)
            .with_retry_after(answer.retry_after)
    }

    fn map(
        error: raw::Error<ErrorResponse>,
        context: &CallContext,
        answer: &Answer,
        secrets: Secrets<'_>,
    ) -> Self {
        let body = || snippet(&answer.body, secrets);
        let unexpected = |status: StatusCode| {
            Error::new(ErrorKind::UnexpectedResponse {
                status,
                content_type: answer
                    .content_type
                    .as_deref()
                    .map(|t| scrub_short(t, secrets)),
                body: body(),
            })
        };
        let api = |status: StatusCode, response: ErrorResponse| {
            if status == StatusCode::UNAUTHORIZED {
                return Error::new(ErrorKind::Unauthorized {
                    message: response.message.map(|m| scrub(&m, secrets)),
                });
            }
            Error::new(ErrorKind::Api(ApiError {
                kind: match response.type_ {
                    // A type this version does not know is the other side's text.
                    Some(ExceptionType::Unknown(text)) => {
                        ExceptionType::Unknown(scrub_short(&text, secrets))
                    }
                    Some(kind) => kind,
                    None => ExceptionType::Unknown(String::new()),
                },
                message: response
                    .message
                    .map(|m| scrub(&m, secrets))
                    .unwrap_or_default(),
                status,
                attempts_left: None,
            }))
        };
        if let Some(Fault::Escape(escape)) = &answer.fault {
            let name = escape.parameter.unwrap_or("request URL");
            return Error::invalid_argument(name, escape.reason);
        }
        if let Some(status) = context.status.filter(|s| s.is_redirection()) {
            return Error::new(ErrorKind::Redirect {
                status,
                location: answer.location.as_deref().map(|l| scrub_short(l, secrets)),
            });
        }
        if let (Some(fault), Some(status)) = (&answer.fault, context.status) {
            return match fault {
                Fault::TooLarge { limit } => Error::new(ErrorKind::BodyTooLarge {
                    status,
                    limit: *limit,
                }),
                _ if status == StatusCode::UNAUTHORIZED => {
                    Error::new(ErrorKind::Unauthorized { message: None })
                }
                Fault::NotJson => unexpected(status),
                Fault::ErrorBody(response) => api(status, response.clone()),
                Fault::Escape(_) => unreachable!("handled above"),
            };
        }
        match error {
            raw::Error::ErrorResponse(value) => {
                let status = value.status();
                let response = value.into_inner();
                if response.type_.is_none() && status != StatusCode::UNAUTHORIZED {
                    // An error status whose body names no error (a success body, say).
                    return unexpected(status);
                }
                api(status, response)
            }
            raw::Error::InvalidResponsePayload(payload, source) => match context.status {
                Some(StatusCode::UNAUTHORIZED) => {
                    Error::new(ErrorKind::Unauthorized { message: None })
                }
                // An error status with no body at all has no error body to decode.
                Some(status) if !status.is_success() && answer.body.is_empty() => {
                    unexpected(status)
                }
                status => match status.zip(error_body(&payload)) {
                    // A success that is an error, which the decoder refused (the response
                    // hook passes such a body on unread where it knows the decoder will).
                    Some((status, response)) => api(status, response),
                    // serde's message quotes the value it could not read: scrubbed too.
                    None => Error::new(ErrorKind::Decode {
                        status: status.unwrap_or(StatusCode::OK),
                        body: snippet(&payload, secrets),
                    })
                    .with_source(Scrubbed(scrub(&source.to_string(), secrets))),
                },
            },
            raw::Error::UnexpectedResponse(response) => {
                let status = response.status();
                // An undeclared status with a well-formed error body (a 429
                // `RateLimitException`, a 500 `InternalServerErrorException`) is still an
                // API error; a 401 is one whatever its body.
                match serde_json::from_slice::<ErrorResponse>(&answer.body) {
                    Ok(parsed) if parsed.type_.is_some() || status == StatusCode::UNAUTHORIZED => {
                        api(status, parsed)
                    }
                    _ if status == StatusCode::UNAUTHORIZED => {
                        Error::new(ErrorKind::Unauthorized { message: None })
                    }
                    _ => unexpected(status),
                }
            }
            raw::Error::CommunicationError(source)
            | raw::Error::ResponseBodyError(source)
            | raw::Error::InvalidUpgrade(source) => {
                if source.is_builder() {
                    return Error::invalid_argument("request", "the request could not be built")
                        .with_source(source.without_url());
                }
                let failure = transport::classify(&source);
                let maybe_sent = context.maybe_sent || !source.is_connect();
                Error::new(ErrorKind::Transport {
                    failure,
                    maybe_sent,
                })
                // The URL would carry the phone number of a status call.
                .with_source(source.without_url())
            }
            raw::Error::InvalidRequest(message) | raw::Error::Custom(message) => {
                Error::invalid_argument("request", scrub(&message, secrets))
            }
        }
    }
}

/// The most of a short text from the other side (a type, a content type, a location) that
/// an error keeps.
const SHORT_TEXT: usize = 200;

/// A short text from the other side, scrubbed and cut.
fn scrub_short(text: &str, secrets: Secrets<'_>) -> String {
    let text = scrub(text, secrets);
    match text.char_indices().nth(SHORT_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The start of a body, as text, scrubbed (before it is cut, so that no secret is cut in
/// half and left partly in clear).
fn snippet(body: &[u8], secrets: Secrets<'_>) -> String {
    let text = scrub(&String::from_utf8_lossy(body), secrets);
    let mut out: String = text.chars().take(BODY_SNIPPET).collect();
    if text.chars().count() > BODY_SNIPPET {
        out.push('…');
    }
    out
}

/// An error from the other side's data (serde's, quoting what it read), as text scrubbed of
/// the call's secrets.
struct Scrubbed(String);

impl std::fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Scrubbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Scrubbed {}
