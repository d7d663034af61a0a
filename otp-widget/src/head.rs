//! What the back end reads of a request, whatever server parsed it: its method, the path
//! and query relative to the mount, its headers and the socket peer. `http`'s
//! [`request::Parts`](http::request::Parts) is one (any tower host: axum, hyper); the actix-web
//! mount reads actix's request in place, so that no header is copied from one `http` major
//! to the other.

use std::net::SocketAddr;

use http::request::Parts;
use http::{HeaderMap, HeaderName};

/// A request's head as the back end reads it: what a [`ClientIpResolver`] of the
/// application's own is given.
///
/// ```
/// use otp_widget::RequestHead;
/// let request = http::Request::get("/x?y=1").header("x-real-ip", "203.0.113.4");
/// let (parts, ()) = request.body(()).unwrap().into_parts();
/// assert_eq!(parts.header("x-real-ip"), Some(&b"203.0.113.4"[..]));
/// assert_eq!((RequestHead::path(&parts), parts.query()), ("/x", Some("y=1")));
/// assert_eq!(parts.peer(), None); // no `ConnectInfo` or `SocketAddr` extension
/// ```
///
/// [`ClientIpResolver`]: crate::ClientIpResolver
pub trait RequestHead: sealed::Sealed {
    /// The method, as sent (`GET`).
    fn method(&self) -> &str;
    /// The path, relative to where the routes are mounted, as sent (not percent-decoded).
    fn path(&self) -> &str;
    /// The query, without its `?`.
    fn query(&self) -> Option<&str>;
    /// The first value of header `name` (lower case).
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// Calls `each` with every value of header `name` (lower case), in order.
    fn each_header<'h>(&'h self, name: &str, each: &mut dyn FnMut(&'h [u8]));
    /// The socket peer, where the server says it: for an `http` request, axum's
    /// `ConnectInfo<SocketAddr>` extension (feature `axum`), else a `SocketAddr` extension
    /// (what a host without axum inserts); for actix-web, its peer address.
    fn peer(&self) -> Option<SocketAddr>;
}

impl RequestHead for Parts {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(|v| v.as_bytes())
    }

    fn each_header<'h>(&'h self, name: &str, each: &mut dyn FnMut(&'h [u8])) {
        for value in self.headers.get_all(name) {
            each(value.as_bytes());
        }
    }

    fn peer(&self) -> Option<SocketAddr> {
        #[cfg(feature = "axum")]
        if let Some(axum::extract::ConnectInfo(peer)) = self.extensions.get() {
            return Some(*peer);
        }
        self.extensions.get::<SocketAddr>().copied()
    }
}

/// Headers as the guards read them, by a name known in advance (`http`'s constants: no name
/// is parsed per request): a request's head, or a header map.
pub(crate) trait Headers {
    /// The first value of header `name`.
    fn first(&self, name: &HeaderName) -> Option<&[u8]>;
    /// Calls `each` with every value of header `name`, in order.
    fn values<'h>(&'h self, name: &HeaderName, each: &mut dyn FnMut(&'h [u8]));
}

impl<H: RequestHead + ?Sized> Headers for H {
    fn first(&self, name: &HeaderName) -> Option<&[u8]> {
        self.named(name)
    }

    fn values<'h>(&'h self, name: &HeaderName, each: &mut dyn FnMut(&'h [u8])) {
        self.each_named(name, each);
    }
}

impl Headers for HeaderMap {
    fn first(&self, name: &HeaderName) -> Option<&[u8]> {
        self.get(name).map(|v| v.as_bytes())
    }

    fn values<'h>(&'h self, name: &HeaderName, each: &mut dyn FnMut(&'h [u8])) {
        for value in self.get_all(name) {
            each(value.as_bytes());
        }
    }
}

/// The heads this crate reads (the trait may gain methods without breaking anyone), and what
/// it reads of them that is not public: headers by `http`'s typed name.
pub(crate) mod sealed {
    use http::HeaderName;

    pub trait Sealed {
        /// The first value of header `name`.
        fn named(&self, name: &HeaderName) -> Option<&[u8]>;
        /// Calls `each` with every value of header `name`, in order.
        fn each_named<'h>(&'h self, name: &HeaderName, each: &mut dyn FnMut(&'h [u8]));
    }

    impl Sealed for http::request::Parts {
        fn named(&self, name: &HeaderName) -> Option<&[u8]> {
            self.headers.get(name).map(|v| v.as_bytes())
        }

        fn each_named<'h>(&'h self, name: &HeaderName, each: &mut dyn FnMut(&'h [u8])) {
            for value in self.headers.get_all(name) {
                each(value.as_bytes());
            }
        }
    }
}

/// A request's head with `method` and the headers `pairs`, for the guards' tests.
#[cfg(test)]
pub(crate) fn test_head(method: &str, pairs: &[(&str, &str)]) -> Parts {
    let mut request = http::Request::builder().method(method).uri("/");
    for (name, value) in pairs {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap().into_parts().0
}
