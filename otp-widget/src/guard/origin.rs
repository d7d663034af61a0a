//! Where a `POST` comes from: a page of another site must not make its visitors' browsers
//! send, resend or complete, whatever cookies they carry (the session cookie is
//! `SameSite=Strict`, but a sibling subdomain is the same site, and some browsers ignore
//! SameSite). Go's `CrossOriginProtection` is the model: a `POST` is refused when
//! `Sec-Fetch-Site` says it is not from the same origin, or, where a browser sends no
//! `Sec-Fetch-Site`, when its `Origin` is not the back end's own host; an origin the
//! application lists (`allowed_origins`) is admitted either way. A request without either
//! header is not a browser's cross-site one, and passes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use otp_client::types::ExceptionType;

use crate::guard::Holds;
use crate::refusal::{Reason, Refusal};

/// The guard.
#[derive(Debug, Clone, Default)]
pub(crate) struct OriginCheck {
    /// The origins the application lists (`scheme://host[:port]`).
    allowed: Vec<HeaderValue>,
}

impl OriginCheck {
    pub(crate) fn new(allowed: Vec<HeaderValue>) -> Self {
        Self { allowed }
    }

    /// Admits a request of `method` with `headers`, or refuses a cross-origin `POST`
    /// (`ForbiddenException`, 403) before anything is counted or sent.
    pub(crate) fn admit(&self, method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(());
        }
        let origin = headers.get(header::ORIGIN);
        if origin.is_some_and(|o| self.allowed.contains(o)) {
            return Ok(());
        }
        let same = match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
            Some(b"same-origin" | b"none") => true,
            Some(_) => false,
            None => origin.is_none_or(|o| same_host(o, headers.get(header::HOST))),
        };
        if same {
            return Ok(());
        }
        tracing::info!(origin = ?origin, "a cross-origin POST: refused");
        Err(Refusal::of(
            Reason::CrossOrigin,
            ExceptionType::ForbiddenException,
            StatusCode::FORBIDDEN,
        ))
    }
}

/// Whether the `Origin` names the request's own `Host` (any scheme: the back end may sit
/// behind a proxy that ends TLS).
fn same_host(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), host.map(HeaderValue::to_str)) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

/// A request [`OriginCheck`] admits.
pub(crate) struct SameOrigin;

impl<S: Holds<OriginCheck> + Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Refusal> {
        s.part().admit(&parts.method, &parts.headers)?;
        Ok(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn cross_origin_posts_are_refused_and_the_rest_pass() {
        let check = OriginCheck::new(vec![HeaderValue::from_static("https://app.example")]);
        let post = Method::POST;
        for (pairs, admitted) in [
            (&[][..], true),
            (&[("sec-fetch-site", "same-origin")][..], true),
            (&[("sec-fetch-site", "none")][..], true),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://evil.example"),
                ][..],
                false,
            ),
            (
                &[
                    ("sec-fetch-site", "same-site"),
                    ("origin", "https://sub.app.example"),
                ][..],
                false,
            ),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://app.example"),
                ][..],
                true,
            ),
            (
                &[("origin", "https://evil.example"), ("host", "app.example")][..],
                false,
            ),
            (
                &[("origin", "https://back.example"), ("host", "back.example")][..],
                true,
            ),
            (&[("origin", "null"), ("host", "back.example")][..], false),
        ] {
            let h = headers(pairs);
            assert_eq!(check.admit(&post, &h).is_ok(), admitted, "{pairs:?}");
            assert!(check.admit(&Method::GET, &h).is_ok(), "a GET: {pairs:?}");
        }
    }
}
