//! What the client knows of each operation (generated from the spec into `OPERATIONS`), and
//! the check every request passes before it is sent: its URL is the operation's, under the
//! configured base URL, and nowhere else.

use reqwest::Url;
use url::Position;

/// One operation of the spec.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Operation {
    /// The spec's `operationId`, e.g. `getChannel`.
    pub id: &'static str,
    /// The method's name, which progenitor also puts in its `OperationInfo`.
    pub method: &'static str,
    /// Whether the same request may be sent twice (`GET`).
    pub idempotent: bool,
    /// Whether the server holds the request until something changes.
    pub long_polling: bool,
    /// The status of the operation's documented success, if it has one with a JSON body.
    pub success_status: Option<u16>,
    /// Whether an error body would decode as this operation's success body, so that the
    /// response hook must look at a success body before progenitor decodes it.
    pub error_decodes_as_success: bool,
    /// The path under the base URL, segment by segment.
    pub path: &'static [Segment],
    /// The query parameters, by name.
    pub query: &'static [&'static str],
}

/// One segment of an operation's path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A fixed segment (empty for `send`'s `POST /`).
    Literal(&'static str),
    /// A parameter, by the spec's name.
    Param(&'static str),
}

/// Why a request's URL is not its operation's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Escape {
    /// The parameter whose segment is wrong, when one is.
    pub parameter: Option<&'static str>,
    /// What is wrong, without the URL (which may carry a phone number).
    pub reason: &'static str,
}

impl Operation {
    /// Checks the URL a request is about to be sent to: the base URL's origin and path as
    /// its prefix, then exactly the operation's segments (each parameter one non-empty
    /// segment), only the operation's query parameters (each once), no fragment and no
    /// credentials. That each parameter's segment decodes to its argument holds by type:
    /// the codegen accepts only UUID-typed path parameters.
    pub(crate) fn check_url(&self, base: &Url, url: &Url) -> Result<(), Escape> {
        let escape = |parameter, reason| Err(Escape { parameter, reason });
        if url.fragment().is_some() {
            return escape(None, "the request URL has a fragment");
        }
        let Some(rest) = below(base, url) else {
            return escape(None, "the request would leave the base URL");
        };
        let mut segments = split(rest.as_bytes(), b'/');
        for expected in self.path {
            let Some(segment) = segments.next() else {
                return escape(None, "the request path is shorter than the operation's");
            };
            match expected {
                Segment::Literal(literal) if segment == literal.as_bytes() => {}
                Segment::Literal(_) => {
                    return escape(None, "the request path is not the operation's");
                }
                // A URL parser has already turned `\\` into `/` and resolved dot segments,
                // so what is left to see is an empty segment; anything that split or removed
                // one changed the count or the fixed segments.
                Segment::Param(name) if segment.is_empty() => {
                    return escape(Some(name), "it is empty");
                }
                Segment::Param(_) => {}
            }
        }
        if segments.next().is_some() {
            return escape(
                None,
                "an argument spans more than one path segment (a `/` or `\\` in it?)",
            );
        }
        // The keys as sent, not decoded: a key spelled another way (`recip%69ent`) is not
        // the operation's, and is refused.
        let query = url.query().unwrap_or("").as_bytes();
        let keys = || {
            split(query, b'&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| memchr::memchr(b'=', pair).map_or(pair, |at| &pair[..at]))
        };
        if keys().any(|key| !self.query.iter().any(|name| name.as_bytes() == key)) {
            return escape(
                None,
                "the request has a query parameter the operation lacks",
            );
        }
        for name in self.query {
            match keys().filter(|key| *key == name.as_bytes()).count() {
                1 => {}
                0 => return escape(Some(name), "it is missing from the query"),
                _ => return escape(Some(name), "it appears more than once in the query"),
            }
        }
        Ok(())
    }
}

/// `bytes` split at each `separator`, as `<[u8]>::split` splits them, each found by
/// `memchr` (sixteen or thirty-two bytes at a time, where the slice's own `split` tests one
/// byte at a time: this check runs on every call).
fn split(bytes: &[u8], separator: u8) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr(separator, current) {
            Some(at) => {
                rest = Some(&current[at + 1..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The path below the base URL (without its leading `/`) when `url` has the base URL's
/// scheme, host, port and path as its prefix, with no credentials; `None` otherwise.
pub(crate) fn below<'u>(base: &Url, url: &'u Url) -> Option<&'u str> {
    // Both are serialized the same way (scheme, host, port, path): the base's
    // serialization as a prefix is the same origin and path, and leaves no room for
    // credentials, which would come before the host. (The URL keeps where its parts start:
    // slicing by them scans nothing.)
    let base = base.as_str();
    url[..Position::AfterPath]
        .strip_prefix(base.strip_suffix('/').unwrap_or(base))?
        .strip_prefix('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET_STATUS: Operation = Operation {
        id: "getStatus",
        method: "get_status",
        idempotent: true,
        long_polling: false,
        success_status: Some(200),
        error_decodes_as_success: false,
        path: &[Segment::Param("requestId"), Segment::Literal("status")],
        query: &["recipient"],
    };

    fn check(url: &str) -> Result<(), Escape> {
        let base = Url::parse("https://api.example/api/n/otp-handler").unwrap();
        GET_STATUS.check_url(&base, &Url::parse(url).unwrap())
    }

    #[test]
    fn splits_as_the_slice_s_own_split() {
        for text in [
            "",
            "/",
            "a",
            "a/",
            "/a",
            "a//b",
            "abc/def/ghi",
            "//",
            "a/b/c/",
        ] {
            let ours: Vec<&[u8]> = split(text.as_bytes(), b'/').collect();
            let std: Vec<&[u8]> = text.as_bytes().split(|&b| b == b'/').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn accepts_exactly_the_operations_url() {
        check("https://api.example/api/n/otp-handler/abc/status?recipient=%2B7999").unwrap();
    }

    #[test]
    fn refuses_every_way_out() {
        let escapes = [
            // `..\..\x` as the id: the parser reads `\` as `/` and resolves the dots.
            "https://api.example/api/n/otp-handler/..\\..\\x/status?recipient=1",
            "https://api.example/api/n/x/status?recipient=1",
            "https://api.example/api/n/otp-handler/a/b/status?recipient=1",
            "https://api.example/api/n/otp-handler/status?recipient=1",
            "https://api.example/api/n/otp-handler//status?recipient=1",
            "https://api.example/api/n/otp-handler/abc/channel?recipient=1",
            "https://api.example/api/n/otp-handler/abc/status/x?recipient=1",
            "https://other.example/api/n/otp-handler/abc/status?recipient=1",
            "http://api.example/api/n/otp-handler/abc/status?recipient=1",
            "https://api.example:8443/api/n/otp-handler/abc/status?recipient=1",
            "https://u:p@api.example/api/n/otp-handler/abc/status?recipient=1",
            "https://api.example/api/n/otp-handler/abc/status?recipient=1#x",
            "https://api.example/api/n/otp-handler/abc/status",
            "https://api.example/api/n/otp-handler/abc/status?recipient=1&recipient=2",
            "https://api.example/api/n/otp-handler/abc/status?recipient=1&x=2",
            "https://api.example/api/n/otp-handler-x/abc/status?recipient=1",
            "https://api.example/api/n/otp-handler/abc/status?recip%69ent=1",
        ];
        for url in escapes {
            assert!(check(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn below_is_the_base_urls_origin_and_path_and_nothing_else() {
        let base = Url::parse("https://api.example/api/n/otp-handler").unwrap();
        let below = |url: &str| below(&base, &Url::parse(url).unwrap()).map(str::to_owned);
        assert_eq!(
            below("https://API.example:443/api/n/otp-handler/a/status?x=1").as_deref(),
            Some("a/status")
        );
        for url in [
            "http://api.example/api/n/otp-handler/a",
            "https://api.example.evil/api/n/otp-handler/a",
            "https://api.example:444/api/n/otp-handler/a",
            "https://u@api.example/api/n/otp-handler/a",
            "https://api.example/api/n/otp-handler",
            "https://api.example/api/n/otp-handlerx/a",
            "https://api.example/api/n/x",
        ] {
            assert_eq!(below(url), None, "{url} is not below the base URL");
        }
    }
}
