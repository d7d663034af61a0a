//! The spec's paths matched against a request's: each served operation's template
//! (`/{requestId}/status`), with its method and success status. A segment of the template is
//! either written out or one parameter, which takes one non-empty segment of the path as it
//! was sent (not percent-decoded: the widget's parameters are UUIDs).

use http::StatusCode;
use otp_client::OperationId;

use crate::operations::Operation;

/// The routes of one back end, those with written-out segments first (`/widget/{widgetId}`
/// before `/{requestId}/channel`, as axum's router orders them).
#[derive(Debug)]
pub(crate) struct Paths {
    routes: Vec<Route>,
}

/// One operation's route.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) id: OperationId,
    method: Method,
    segments: Vec<Segment>,
    /// The success status.
    pub(crate) success: StatusCode,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Written(&'static str),
    Param(&'static str),
}

/// The most parameters one path has (the bundled spec's have one); a route with more is not
/// served (logged when the back end is built).
const MAX_PARAMS: usize = 2;

/// The parameters of a matched path, by name.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Params<'p> {
    found: [(&'static str, &'p str); MAX_PARAMS],
    len: usize,
}

impl<'p> Params<'p> {
    /// Parameter `name`'s segment, as sent.
    pub(crate) fn get(&self, name: &str) -> Option<&'p str> {
        self.found[..self.len]
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }
}

impl Paths {
    /// The routes of `served` operations.
    pub(crate) fn new(served: impl IntoIterator<Item = (&'static Operation, OperationId)>) -> Self {
        let mut routes: Vec<Route> = served
            .into_iter()
            .filter_map(|(op, id)| {
                let segments = template(op.path);
                let params = segments.iter().filter(|s| matches!(s, Segment::Param(_)));
                if params.count() > MAX_PARAMS {
                    tracing::warn!(
                        operation = op.id,
                        "a path with more than {MAX_PARAMS} parameters: not served"
                    );
                    return None;
                }
                Some(Route {
                    id,
                    method: Method::of(op.http),
                    segments,
                    success: StatusCode::from_u16(op.success).unwrap_or(StatusCode::OK),
                })
            })
            .collect();
        routes.sort_by_cached_key(|route| {
            route
                .segments
                .iter()
                .map(|s| matches!(s, Segment::Param(_)))
                .collect::<Vec<bool>>()
        });
        Self { routes }
    }

    /// Whether operation `id` is served.
    #[cfg_attr(not(feature = "aide"), allow(dead_code))]
    pub(crate) fn serves(&self, id: OperationId) -> bool {
        self.routes.iter().any(|route| route.id == id)
    }

    /// Each route's path once, as an axum router writes it, its parameters named by position
    /// (`/{p0}/status`): two operations on one path, or two names at one position, are one
    /// axum route (axum refuses either twice), and [`find`](Self::find) then tells them apart.
    #[cfg(feature = "axum")]
    pub(crate) fn axum_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .routes
            .iter()
            .map(|route| {
                let mut param = 0;
                let segments: Vec<String> = route
                    .segments
                    .iter()
                    .map(|segment| match segment {
                        Segment::Written(written) => (*written).to_string(),
                        Segment::Param(_) => {
                            param += 1;
                            format!("{{p{}}}", param - 1)
                        }
                    })
                    .collect();
                format!("/{}", segments.join("/"))
            })
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// The route of a request of `method` for `path`, with the path's parameters.
    pub(crate) fn find<'p>(&self, method: &str, path: &'p str) -> Option<(&Route, Params<'p>)> {
        let method = Method::of(method);
        if method == Method::Other {
            return None;
        }
        let path = path.strip_prefix('/').unwrap_or(path);
        self.routes
            .iter()
            .filter(|route| route.method == method)
            .find_map(|route| Some((route, route.matches(path)?)))
    }
}

impl Route {
    /// The parameters of `path` (without its leading `/`), when it is this route's. Compared
    /// in place, segment by segment: a written segment is compared where it should start (most
    /// routes differ at their first byte), a parameter runs to the next `/`.
    fn matches<'p>(&self, path: &'p str) -> Option<Params<'p>> {
        let mut params = Params::default();
        let mut rest = path;
        let last = self.segments.len().checked_sub(1)?;
        for (i, segment) in self.segments.iter().enumerate() {
            let after = match segment {
                Segment::Written(written) => rest.strip_prefix(written)?,
                Segment::Param(name) => {
                    let end = memchr::memchr(b'/', rest.as_bytes()).unwrap_or(rest.len());
                    let (text, after) = rest.split_at_checked(end)?;
                    if text.is_empty() {
                        return None;
                    }
                    *params.found.get_mut(params.len)? = (name, text);
                    params.len += 1;
                    after
                }
            };
            if i == last {
                return after.is_empty().then_some(params);
            }
            rest = after.strip_prefix('/')?;
        }
        None
    }
}

/// An HTTP method, compared without comparing text on every route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    Trace,
    /// Any other: no route has it.
    Other,
}

impl Method {
    fn of(method: &str) -> Self {
        match method.as_bytes() {
            b"GET" => Self::Get,
            b"POST" => Self::Post,
            b"PUT" => Self::Put,
            b"PATCH" => Self::Patch,
            b"DELETE" => Self::Delete,
            b"HEAD" => Self::Head,
            b"OPTIONS" => Self::Options,
            b"TRACE" => Self::Trace,
            _ => Self::Other,
        }
    }
}

/// A path template's segments (`/` is one empty written segment).
fn template(path: &'static str) -> Vec<Segment> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name),
                None => Segment::Written(segment),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::OPERATIONS;

    /// The operations the spec marks `browser`: those a back end serves (`routes`' own
    /// tests check its table's choice).
    fn browser_operations() -> impl Iterator<Item = (&'static Operation, OperationId)> {
        OPERATIONS
            .iter()
            .filter(|op| op.browser)
            .filter_map(|op| Some((op, OperationId::from_id(op.id)?)))
    }

    #[test]
    fn each_path_finds_its_route_and_its_parameter() {
        let paths = Paths::new(browser_operations());
        let id = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6";
        for (method, path, op, param) in [
            ("POST", "/".to_string(), Some(OperationId::Send), None),
            ("POST", String::new(), Some(OperationId::Send), None),
            (
                "GET",
                "/widget/abc".into(),
                Some(OperationId::GetWidget),
                Some(("widgetId", "abc")),
            ),
            // Written-out segments first: `widget` is not a session id.
            (
                "GET",
                "/widget/channel".into(),
                Some(OperationId::GetWidget),
                Some(("widgetId", "channel")),
            ),
            (
                "GET",
                format!("/{id}/channel"),
                Some(OperationId::GetChannel),
                Some(("requestId", id)),
            ),
            (
                "GET",
                format!("/longPolling/{id}/status"),
                Some(OperationId::GetStatusLongPolling),
                Some(("requestId", id)),
            ),
            (
                "POST",
                format!("/{id}/checkCode"),
                Some(OperationId::CheckCode),
                Some(("requestId", id)),
            ),
            (
                "POST",
                format!("/{id}/resend"),
                Some(OperationId::Resend),
                Some(("requestId", id)),
            ),
            // The wrong method, a trailing slash, an empty parameter, an extra segment.
            ("GET", "/".into(), None, None),
            ("POST", format!("/{id}/channel"), None, None),
            ("GET", format!("/{id}/channel/"), None, None),
            ("GET", "//channel".into(), None, None),
            ("GET", "/widget/a/b".into(), None, None),
            ("GET", "/a/b/c/d/e/f/g/h/i/j".into(), None, None),
            ("GET", "/nowhere".into(), None, None),
        ] {
            let found = paths.find(method, &path);
            assert_eq!(found.as_ref().map(|(r, _)| r.id), op, "{method} {path}");
            if let (Some((_, params)), Some((name, value))) = (found, param) {
                assert_eq!(params.get(name), Some(value), "{method} {path}");
                assert_eq!(params.get("other"), None);
            }
        }
    }

    #[test]
    fn a_hostile_path_finds_no_route_and_no_panic() {
        let paths = Paths::new(browser_operations());
        let long = "/a".repeat(100_000);
        for path in [
            "//",
            "///",
            "/widget/",
            "/widget//",
            "/%2e%2e/channel",
            "/é/status",
            "/\u{0}/status",
            "/longPolling//status",
            "/longPolling/x/",
            long.as_str(),
        ] {
            for method in ["GET", "POST", "get", "", "OPTIONS", "GETX"] {
                // Found or not, never a panic; what is found has non-empty parameters of
                // one segment each.
                if let Some((route, params)) = paths.find(method, path) {
                    let values = params.found[..params.len].iter().map(|(_, v)| *v);
                    for value in values {
                        assert!(
                            !value.is_empty() && !value.contains('/'),
                            "{method} {path:.40}"
                        );
                    }
                    assert!(path.len() < 100, "{method} {path:.40}: {:?}", route.id);
                }
            }
        }
        // A parameter is any non-empty segment, as sent: the route's guard then decides
        // (a session id that is not a UUID is no session).
        assert_eq!(
            paths
                .find("GET", "/%2e%2e/channel")
                .map(|(r, p)| (r.id, p.get("requestId"))),
            Some((OperationId::GetChannel, Some("%2e%2e")))
        );
    }

    #[cfg(feature = "axum")]
    #[test]
    fn axum_is_given_each_path_once_with_its_parameters_by_position() {
        let paths = Paths::new(browser_operations()).axum_paths();
        for path in [
            "/",
            "/widget/{p0}",
            "/{p0}/status",
            "/longPolling/{p0}/channel",
        ] {
            assert!(paths.iter().any(|p| p == path), "{path} in {paths:?}");
        }
        let mut unique = paths.clone();
        unique.dedup();
        assert_eq!(unique, paths);
    }
}
