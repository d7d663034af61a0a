//! What the routes answer, before a mount hands it to its server: a status, headers, and a
//! whole body (every answer of the widget is a small JSON document, or nothing), so that a
//! mount converts it to its server's type without reading a stream.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::Full;

/// An answer of the routes.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    /// `body`, a JSON document, with `status`.
    pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Self {
        // Room for the headers a server and the routes add (`Content-Length`, `Set-Cookie`,
        // `Retry-After`, CORS's) without growing the map.
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Self {
            status,
            headers,
            body: Bytes::from(body),
        }
    }

    /// `status` without a body.
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// As an `http` response.
    pub(crate) fn into_http(self) -> http::Response<Full<Bytes>> {
        let mut response = http::Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}
