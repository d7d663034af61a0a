//! Where a `POST` comes from: a page of another site must not make its visitors' browsers
//! send, resend or complete, whatever cookies they carry (the session cookie is
//! `SameSite=Strict`, but a sibling subdomain is the same site, and some browsers ignore
//! SameSite). Go's `CrossOriginProtection` is the model: a `POST` is refused when
//! `Sec-Fetch-Site` says it is not from the same origin, or, where a browser sends no
//! `Sec-Fetch-Site`, when its `Origin` is not the back end's own host; an origin the
//! application lists (`allowed_origins`) is admitted either way. A request without either
//! header is not a browser's cross-site one, and passes.

use http::{HeaderName, HeaderValue, StatusCode, header};
use otp_client::types::ExceptionType;

use crate::RequestHead;
use crate::head::Headers;
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

    /// Admits a request, or refuses a cross-origin `POST` (`ForbiddenException`, 403)
    /// before anything is counted or sent.
    pub(crate) fn admit(&self, head: &(impl RequestHead + ?Sized)) -> Result<(), Refusal> {
        if matches!(head.method(), "GET" | "HEAD" | "OPTIONS") {
            return Ok(());
        }
        let origin = head.first(&header::ORIGIN);
        if origin.is_some_and(|o| self.allowed.iter().any(|a| a.as_bytes() == o)) {
            return Ok(());
        }
        let same = match head.first(&SEC_FETCH_SITE) {
            Some(b"same-origin" | b"none") => true,
            Some(_) => false,
            None => origin.is_none_or(|o| same_host(o, head.first(&header::HOST))),
        };
        if same {
            return Ok(());
        }
        tracing::info!(origin = ?origin.map(String::from_utf8_lossy), "a cross-origin POST: refused");
        Err(Refusal::of(
            Reason::CrossOrigin,
            ExceptionType::ForbiddenException,
            StatusCode::FORBIDDEN,
        ))
    }
}

/// Where a browser says a request comes from (Fetch Metadata).
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Whether the `Origin` names the request's own `Host` (any scheme: the back end may sit
/// behind a proxy that ends TLS).
fn same_host(origin: &[u8], host: Option<&[u8]>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (std::str::from_utf8(origin), host.map(std::str::from_utf8))
    else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::test_head as request;

    #[test]
    fn cross_origin_posts_are_refused_and_the_rest_pass() {
        let check = OriginCheck::new(vec![HeaderValue::from_static("https://app.example")]);
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
            let post = request("POST", pairs);
            assert_eq!(check.admit(&post).is_ok(), admitted, "{pairs:?}");
            let get = request("GET", pairs);
            assert!(check.admit(&get).is_ok(), "a GET: {pairs:?}");
        }
    }
}
