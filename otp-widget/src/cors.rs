//! CORS for the origins the application lists (`allowed_origins`), with credentials: the
//! session cookie travels with a page's requests from a listed origin (of the same site: it
//! is `SameSite=Strict`). The preflight of a listed origin is answered with the methods
//! (`GET`, `POST`) and the header (`Content-Type`) the widget uses; every answer to a listed
//! origin says it may read it. With no origin listed, nothing of CORS is answered (same
//! origin only), and a preflight is a request for a route that does not exist.

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderValue, StatusCode};

use crate::RequestHead;
use crate::answer::Answer;
use crate::head::Headers;

/// The listed origins (`scheme://host[:port]`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Cors {
    origins: Vec<HeaderValue>,
}

impl Cors {
    pub(crate) fn new(origins: Vec<HeaderValue>) -> Self {
        Self { origins }
    }

    /// The listed origins.
    pub(crate) fn origins(&self) -> &[HeaderValue] {
        &self.origins
    }

    /// The request's `Origin`, when it is listed.
    fn listed(&self, head: &impl RequestHead) -> Option<&HeaderValue> {
        let origin = head.first(&ORIGIN)?;
        self.origins.iter().find(|o| o.as_bytes() == origin)
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), when
    /// origins are listed: what a listed origin may send, and nothing for any other.
    pub(crate) fn preflight(&self, head: &impl RequestHead) -> Option<Answer> {
        if self.origins.is_empty()
            || head.method() != "OPTIONS"
            || head.first(&ACCESS_CONTROL_REQUEST_METHOD).is_none()
        {
            return None;
        }
        let mut answer = Answer::empty(StatusCode::OK);
        if let Some(origin) = self.listed(head) {
            let headers = &mut answer.headers;
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
            headers.insert(
                ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET,POST"),
            );
            headers.insert(
                ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            );
        }
        answer.headers.insert(
            VARY,
            HeaderValue::from_static(
                "origin, access-control-request-method, access-control-request-headers",
            ),
        );
        Some(answer)
    }

    /// Says, on an answer to a listed origin, that its page may read it.
    pub(crate) fn decorate(&self, head: &impl RequestHead, answer: &mut Answer) {
        if self.origins.is_empty() {
            return;
        }
        if let Some(origin) = self.listed(head) {
            answer
                .headers
                .insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            answer.headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        answer
            .headers
            .append(VARY, HeaderValue::from_static("origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::test_head as head;

    #[test]
    fn only_a_listed_origin_is_told_it_may_call() {
        let cors = Cors::new(vec![HeaderValue::from_static("https://app.example")]);
        let preflight = |origin| {
            cors.preflight(&head(
                "OPTIONS",
                &[
                    ("origin", origin),
                    ("access-control-request-method", "POST"),
                ],
            ))
            .expect("a preflight")
        };
        let listed = preflight("https://app.example");
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(
            listed.headers[ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example"
        );
        assert_eq!(listed.headers[ACCESS_CONTROL_ALLOW_CREDENTIALS], "true");
        assert_eq!(listed.headers[ACCESS_CONTROL_ALLOW_METHODS], "GET,POST");
        let other = preflight("https://evil.example");
        assert!(
            other.headers.get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
            "{other:?}"
        );
        assert!(
            other.headers.get(ACCESS_CONTROL_ALLOW_METHODS).is_none(),
            "{other:?}"
        );
        // Not a preflight: an OPTIONS without the method it asks for, a POST.
        assert!(
            cors.preflight(&head("OPTIONS", &[("origin", "https://app.example")]))
                .is_none()
        );
        assert!(
            cors.preflight(&head("POST", &[("access-control-request-method", "POST")]))
                .is_none()
        );
        let mut answer = Answer::empty(StatusCode::OK);
        cors.decorate(
            &head("GET", &[("origin", "https://app.example")]),
            &mut answer,
        );
        assert_eq!(
            answer.headers[ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example"
        );
        let mut answer = Answer::empty(StatusCode::OK);
        cors.decorate(
            &head("GET", &[("origin", "https://evil.example")]),
            &mut answer,
        );
        assert!(answer.headers.get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
        // No origin listed: nothing of CORS.
        let none = Cors::default();
        assert!(
            none.preflight(&head(
                "OPTIONS",
                &[
                    ("origin", "https://app.example"),
                    ("access-control-request-method", "POST")
                ]
            ))
            .is_none()
        );
        let mut answer = Answer::empty(StatusCode::OK);
        none.decorate(
            &head("GET", &[("origin", "https://app.example")]),
            &mut answer,
        );
        assert!(answer.headers.is_empty());
    }
}
