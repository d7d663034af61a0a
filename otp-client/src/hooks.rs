//! What happens to every request progenitor's client sends: the bearer token goes in,
//! long-polling operations get their own timeout, failures on the way are retried as the
//! [`RetryPolicy`](crate::RetryPolicy) says, and the response is read (up to the cap) and
//! checked before progenitor decodes it.

use std::time::Instant;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{ResponseBuilderExt, StatusCode};

use crate::call::{Fault, with_context};
use crate::client::ClientState;
use crate::error::is_retryable_status;
use crate::generated::raw;
use crate::redact::display_url;
use crate::retry::retry_after;
use crate::types::ErrorResponse;

impl ClientHooks<ClientState> for raw::Client {
    /// Checks the URL against the operation's before anything else; only then does the
    /// token go on the request.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let state = self.inner();
        let checked = with_context(|c| {
            let verdict = c.operation.check_url(&state.base_url, request.url());
            if let Err(escape) = &verdict {
                c.fault = Some(Fault::Escape(escape.clone()));
            }
            (verdict.is_ok(), c.operation.long_polling)
        });
        // Outside a call (never, as the raw client is the crate's own) nothing is sent.
        let Some((true, long_polling)) = checked else {
            return Err(progenitor_client::Error::InvalidRequest(
                "the request URL is not its operation's".into(),
            ));
        };
        request
            .headers_mut()
            .insert(AUTHORIZATION, state.authorization.clone());
        if long_polling {
            *request.timeout_mut() = Some(state.long_poll_timeout);
        }
        Ok(())
    }

    async fn exec(
        &self,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let state = self.inner();
        let policy = &state.retry;
        let idempotent = with_context(|c| c.operation.idempotent).unwrap_or(false);
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let spare = (attempt < policy.max_attempts)
                .then(|| request.try_clone())
                .flatten();
            let result = match self.client().execute(request).await {
                Ok(response) => {
                    with_context(|c| c.maybe_sent = true);
                    read(response, state.max_response_body).await
                }
                Err(e) => {
                    if !e.is_connect() {
                        with_context(|c| c.maybe_sent = true);
                    }
                    Err(e)
                }
            };
            let retry = match &result {
                Err(e) if e.is_connect() => Some(("connection failed", None)),
                Err(e) if idempotent && !e.is_timeout() => Some(("connection broke", None)),
                Ok(r) if idempotent && is_retryable_status(r.status()) => {
                    Some(("service unavailable", retry_after(r.headers())))
                }
                _ => None,
            };
            let (Some((reason, asked)), Some(next)) = (retry, spare) else {
                return result;
            };
            let delay = policy.delay(attempt, asked);
            if started.elapsed() + delay > policy.deadline {
                return result;
            }
            let status = result.as_ref().ok().map(|r| r.status().as_u16());
            tracing::warn!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                reason,
                status,
                "retrying"
            );
            tokio::time::sleep(delay).await;
            with_context(|c| c.next_attempt());
            request = next;
            attempt += 1;
        }
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let faulty = result.is_ok() && with_context(|c| c.fault.is_some()).unwrap_or(false);
        if faulty {
            // The call's context says what is wrong; `Error::from_raw` reads it.
            return Err(progenitor_client::Error::Custom("faulty response".into()));
        }
        Ok(())
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// Reads the body (never past `limit`), records what the call's error mapping needs, and
/// hands progenitor an equivalent response.
async fn read(mut response: reqwest::Response, limit: usize) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let location = if status.is_redirection() {
        response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(display_url)
    } else {
        None
    };
    let asked = retry_after(response.headers());
    with_context(|c| {
        c.status = Some(status);
        c.content_type = content_type.clone();
        c.location = location;
        c.retry_after = asked;
    });
    let mut too_large = response.content_length().is_some_and(|n| n > limit as u64);
    let mut body = bytes::BytesMut::new();
    while !too_large && let Some(chunk) = response.chunk().await? {
        too_large = body.len() + chunk.len() > limit;
        if !too_large {
            body.extend_from_slice(&chunk);
        }
    }
    let body = body.freeze();
    let fault = match &content_type {
        _ if too_large => Some(Fault::TooLarge { limit }),
        Some(ct) if !is_json(ct) && !body.is_empty() => Some(Fault::NotJson),
        _ if status.is_success() => error_body(&body).map(Fault::ErrorBody),
        _ => None,
    };
    let body = if too_large { bytes::Bytes::new() } else { body };
    with_context(|c| {
        c.fault = fault;
        c.body = body.clone();
    });
    // The same response, its body now in memory: status, version, headers and URL move over.
    let mut builder = http::Response::builder()
        .status(status)
        .version(response.version())
        .url(response.url().clone());
    if let Some(headers) = builder.headers_mut() {
        *headers = std::mem::take(response.headers_mut());
    }
    Ok(builder
        .body(body)
        .map(reqwest::Response::from)
        .unwrap_or_else(|_| empty(StatusCode::BAD_GATEWAY)))
}

/// A success body that is in fact an error (`{type, message, httpStatus}`, nothing else).
fn error_body(body: &[u8]) -> Option<ErrorResponse> {
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

/// An empty response: what progenitor gets should rebuilding a response from the parts of
/// a valid one ever fail (it cannot), rather than a panic.
fn empty(status: StatusCode) -> reqwest::Response {
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() = status;
    reqwest::Response::from(response)
}
