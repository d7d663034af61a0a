//! What happens to every request progenitor's client sends: its URL is checked against its
//! operation, the bearer token goes in, long-polling operations get their own timeout, and
//! the response is read (up to the cap) and checked before progenitor decodes it, except the
//! operation's documented JSON success within the cap, which goes to progenitor unread when
//! its decoder refuses an error body (see `exec`).

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};

use crate::call::Call;
use crate::context::{Answer, Fault, error_body};
use crate::generated::raw;
use crate::redact::display_url;
use crate::retry::retry_after;
use reqwest::ResponseBuilderExt;

impl ClientHooks<Call> for raw::Client {
    /// Checks the URL against the operation's before anything else; only then does the
    /// token go on the request.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let call = self.inner();
        let state = &*call.state;
        let (checked, long_polling) = call.with(|c| {
            let verdict = c.operation.check_url(&state.base_url, request.url());
            if let Err(escape) = &verdict {
                c.answer = Some(Box::new(Answer {
                    fault: Some(Fault::Escape(escape.clone())),
                    ..Answer::default()
                }));
            }
            (verdict.is_ok(), c.operation.long_polling)
        });
        if !checked {
            return Err(progenitor_client::Error::InvalidRequest(
                "the request URL is not its operation's".into(),
            ));
        }
        // (progenitor's `api-version` header, which the service does not read, is left out
        // by the codegen's `lean` pass.)
        request
            .headers_mut()
            .insert(AUTHORIZATION, state.authorization.clone());
        if long_polling {
            *request.timeout_mut() = Some(state.long_poll_timeout);
        }
        Ok(())
    }

    /// Sends the request and reads its answer (retries are the call's, one level up).
    ///
    /// Not an `async fn`: one keeps its arguments for as long as it lives, and a held
    /// long-poll would keep the request twice over while it waits. The request goes into
    /// the sending future at once.
    fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        let sending = self.execute_following(request);
        async move {
            let call = self.inner();
            let limit = call.state.max_response_body;
            match sending.await {
                Ok(response) => {
                    let status = response.status();
                    let (documented, decoder_refuses_errors) = call.with(|c| {
                        c.maybe_sent = true;
                        c.status = Some(status);
                        let op = c.operation;
                        let documented = op.success_status == Some(status.as_u16());
                        (documented, documented && !op.error_decodes_as_success)
                    });
                    // The documented success, in JSON, of a known size within the cap, goes to
                    // progenitor as it came when its decoder refuses an error body (the error
                    // mapping then looks at the bytes the decoder kept), and it asks for no wait
                    // an error would carry: no second read, no rebuilt response.
                    let headers = response.headers();
                    let as_it_came = decoder_refuses_errors
                        && !headers.contains_key(RETRY_AFTER)
                        && response.content_length().is_some_and(|n| n <= limit as u64)
                        && headers
                            .get(CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(is_json);
                    if as_it_came {
                        return Ok(response);
                    }
                    // Boxed: only an answer that is not the documented success in one piece is
                    // read here, and its state would otherwise take room in every call's future.
                    Box::pin(read(call, response, limit, documented)).await
                }
                Err(e) => {
                    if !e.is_connect() {
                        call.with(|c| c.maybe_sent = true);
                    }
                    Err(e)
                }
            }
        }
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let faulty = result.is_ok() && self.inner().with(|c| c.fault().is_some());
        if faulty {
            // The call's context says what is wrong; `Error::from_raw` reads it.
            return Err(progenitor_client::Error::Custom("faulty response".into()));
        }
        Ok(())
    }
}

impl raw::Client {
    /// Sends `request`, following redirects as the builder allows: only for a `GET` (a
    /// `POST` is never sent twice), at most as many as allowed, and only to a URL below the
    /// base URL whose path has no encoded `/`, `\` or `.` (which a server that decodes before
    /// resolving would route elsewhere). Anything else comes back as the 3xx it is.
    fn execute_following(
        &self,
        request: reqwest::Request,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + '_ {
        let left = if request.method() == reqwest::Method::GET {
            self.inner().state.redirects
        } else {
            0
        };
        if left == 0 {
            return futures_util::future::Either::Left(self.client().execute(request));
        }
        // Boxed: a call that follows no redirect (every one by default) keeps none of this
        // state in its future while it waits (a held long-poll waits for minutes).
        futures_util::future::Either::Right(Box::pin(self.following(request, left)))
    }

    async fn following(
        &self,
        request: reqwest::Request,
        mut left: usize,
    ) -> reqwest::Result<reqwest::Response> {
        let call = self.inner();
        let state = &*call.state;
        let mut again = request.try_clone();
        let mut response = self.client().execute(request).await?;
        while left > 0 && response.status().is_redirection() {
            let target = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| response.url().join(location).ok())
                .filter(|url| redirect_allowed(&state.base_url, url));
            let (Some(target), Some(mut next)) = (target, again.take()) else {
                break;
            };
            *next.url_mut() = target;
            again = next.try_clone();
            left -= 1;
            call.with(|c| c.maybe_sent = true);
            response = self.client().execute(next).await?;
        }
        Ok(response)
    }
}

/// Whether a redirect to `url` may be followed: below the base URL (its scheme, host, port
/// and path, no credentials), with no encoded separator or dot in what follows the base.
fn redirect_allowed(base: &reqwest::Url, url: &reqwest::Url) -> bool {
    let Some(rest) = crate::operation::below(base, url) else {
        return false;
    };
    let encoded = |needle: &str| {
        rest.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    !["%2f", "%5c", "%2e"].into_iter().any(encoded)
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let suffix = essence.len().checked_sub(5).and_then(|i| essence.get(i..));
    essence.eq_ignore_ascii_case("application/json")
        || suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json"))
}

/// Reads the body (never past `limit`), records what the call's error mapping needs unless
/// it is the operation's `documented` success, and hands progenitor the same response with
/// its body in memory.
async fn read(
    call: &Call,
    mut response: reqwest::Response,
    limit: usize,
    documented: bool,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let mut too_large = response.content_length().is_some_and(|n| n > limit as u64);
    // Most answers come in one chunk: it is the body, with no copy.
    let mut body = bytes::Bytes::new();
    let mut more = bytes::BytesMut::new();
    while !too_large && let Some(chunk) = response.chunk().await? {
        too_large = body.len() + more.len() + chunk.len() > limit;
        if too_large {
            break;
        }
        if body.is_empty() && more.is_empty() {
            body = chunk;
        } else {
            if more.is_empty() {
                more.extend_from_slice(&body);
            }
            more.extend_from_slice(&chunk);
        }
    }
    let body = match (too_large, more.is_empty()) {
        (true, _) => bytes::Bytes::new(),
        (false, true) => body,
        (false, false) => more.freeze(),
    };
    // Status, version, headers and extensions move over as they are; the URL, which reqwest
    // keeps beside them (and would otherwise replace by parsing a placeholder), goes back in
    // as the extension it reads.
    let url = response.url().clone();
    let mut response: http::Response<reqwest::Body> = response.into();
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        response
            .extensions_mut()
            .extend(carrier.into_parts().0.extensions);
    }
    let headers = response.headers();
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let fault = match content_type {
        _ if too_large => Some(Fault::TooLarge { limit }),
        Some(ct) if !is_json(ct) && !body.is_empty() => Some(Fault::NotJson),
        _ if status.is_success() => error_body(&body).map(Fault::ErrorBody),
        _ => None,
    };
    // What an error needs of the answer; the documented success needs none of it.
    if fault.is_some() || !documented {
        let content_type = content_type.map(String::from);
        let location = status
            .is_redirection()
            .then(|| headers.get(LOCATION).and_then(|v| v.to_str().ok()))
            .flatten()
            .map(display_url);
        let asked = retry_after(headers);
        let body = body.clone();
        let answer = Answer {
            content_type,
            location,
            retry_after: asked,
            body,
            fault,
        };
        call.with(|c| c.answer = Some(Box::new(answer)));
    }
    Ok(reqwest::Response::from(
        response.map(|_| reqwest::Body::from(body)),
    ))
}
