//! Calling an operation the spec this client was generated from does not list: the escape
//! hatch for a user who cannot regenerate (see `OTP_HANDLER_SPEC`, with the `generate` feature, for the way that can).
//!
//! The request takes the same path as every generated operation: its URL is checked against
//! the shape it declares before anything is sent, the token goes on it only then, error text
//! is scrubbed of the token and of the call's strings, and the retry rules and error mapping
//! are the same (a `POST` that may have been sent is never repeated).

use std::sync::Mutex;

use progenitor_client::{ClientHooks, OperationInfo, ResponseValue};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};

use crate::call::Args;
use crate::generated::raw;
use crate::operation::{Operation, Segment};
use crate::types::ErrorResponse;
use crate::{Client, Error, RequestId};

/// An operation this client does not list, described so that its URL can only be its own:
/// fixed segments chosen in code, session ids typed, query values and a JSON body free.
///
/// ```no_run
/// # async fn run(client: otp_client::Client, id: otp_client::RequestId) -> Result<(), otp_client::Error> {
/// use otp_client::UnlistedRequest;
/// // `POST /{requestId}/cancel`, which a newer vendor spec adds.
/// let request = UnlistedRequest::post().request_id(id).segment("cancel");
/// let answer: serde_json::Value = client.call_unlisted(&request).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UnlistedRequest {
    method: Method,
    path: Vec<Part>,
    query: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
    long_polling: bool,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(&'static str),
    Id(RequestId),
}

/// At most this many distinct unlisted operations per process: each is described once, for
/// the life of the process, as the generated ones are.
const MAX_SHAPES: usize = 64;

impl UnlistedRequest {
    /// A `GET`: idempotent, so retried like the generated `GET`s.
    pub fn get() -> Self {
        Self::new(Method::GET)
    }

    /// A `POST`: never repeated once it may have reached the service.
    pub fn post() -> Self {
        Self::new(Method::POST)
    }

    fn new(method: Method) -> Self {
        Self {
            method,
            path: Vec::new(),
            query: Vec::new(),
            body: None,
            long_polling: false,
        }
    }

    /// Appends a fixed path segment: ASCII letters, digits, `-` and `_` only (checked when the
    /// request is made). `""` alone is the API's root (`send`'s `POST /`).
    pub fn segment(mut self, segment: &'static str) -> Self {
        self.path.push(Part::Literal(segment));
        self
    }

    /// Appends a session id as a path segment.
    pub fn request_id(mut self, id: RequestId) -> Self {
        self.path.push(Part::Id(id));
        self
    }

    /// Adds a query parameter; `name` as `segment` takes, `value` any text (encoded, and
    /// scrubbed from error text).
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Sends `body` as JSON; its string values are scrubbed from error text.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The server holds the call until something changes: it gets the long-poll timeout.
    pub fn long_polling(mut self) -> Self {
        self.long_polling = true;
        self
    }

    /// The request's shape, checked: what its URL must be.
    fn shape(&self) -> Result<Shape, Error> {
        let plain = |name: &'static str, what: &'static str| {
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if ok {
                Ok(())
            } else {
                Err(Error::invalid_argument(
                    what,
                    "only ASCII letters, digits, `-` and `_`",
                ))
            }
        };
        let root = matches!(self.path.as_slice(), [Part::Literal("")]);
        if self.path.is_empty() {
            return Err(Error::invalid_argument("path", "no segment"));
        }
        let mut path = Vec::with_capacity(self.path.len());
        for part in &self.path {
            path.push(match part {
                Part::Literal(literal) => {
                    if !root {
                        plain(literal, "segment")?;
                    }
                    ShapePart::Literal(literal)
                }
                Part::Id(_) => ShapePart::Id,
            });
        }
        let mut query = Vec::with_capacity(self.query.len());
        for (name, _) in &self.query {
            plain(name, "query")?;
            if query.contains(name) {
                return Err(Error::invalid_argument("query", "a name given twice"));
            }
            query.push(*name);
        }
        Ok(Shape {
            method: self.method.clone(),
            path,
            query,
            long_polling: self.long_polling,
        })
    }

    /// The URL below the base URL, as progenitor would write it.
    fn url(&self, base: &str) -> String {
        let mut url = base.to_string();
        for part in &self.path {
            url.push('/');
            match part {
                Part::Literal(literal) => url.push_str(literal),
                Part::Id(id) => url.push_str(&id.to_string()),
            }
        }
        url
    }

    /// The call's strings, for scrubbing: the query values and the body's string values.
    fn strings(&self) -> Vec<(&'static str, &str)> {
        fn walk<'v>(value: &'v serde_json::Value, out: &mut Vec<(&'static str, &'v str)>) {
            match value {
                serde_json::Value::String(s) => out.push(("body", s)),
                serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        let mut out: Vec<(&'static str, &str)> =
            self.query.iter().map(|(n, v)| (*n, v.as_str())).collect();
        if let Some(body) = &self.body {
            walk(body, &mut out);
        }
        // Blank strings hide nothing, and an unlisted operation may take them.
        out.retain(|(_, v)| !v.trim().is_empty());
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ShapePart {
    Literal(&'static str),
    Id,
}

/// What an unlisted operation's URL must be; the key of its `Operation`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    method: Method,
    path: Vec<ShapePart>,
    query: Vec<&'static str>,
    long_polling: bool,
}

impl Shape {
    /// The `Operation` of this shape: made once, then shared, like the generated ones.
    fn operation(self) -> Result<&'static Operation, Error> {
        static KNOWN: Mutex<Vec<(Shape, &'static Operation)>> = Mutex::new(Vec::new());
        let mut known = KNOWN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, op)) = known.iter().find(|(shape, _)| *shape == self) {
            return Ok(op);
        }
        if known.len() >= MAX_SHAPES {
            return Err(Error::invalid_argument(
                "request",
                format!("more than {MAX_SHAPES} distinct unlisted operations in one process"),
            ));
        }
        let template: Vec<String> = self
            .path
            .iter()
            .map(|p| match p {
                ShapePart::Literal(l) => l.to_string(),
                ShapePart::Id => "{requestId}".to_string(),
            })
            .collect();
        let id: &'static str =
            Box::leak(format!("unlisted {} /{}", self.method, template.join("/")).into_boxed_str());
        let path: &'static [Segment] = Box::leak(
            self.path
                .iter()
                .map(|p| match p {
                    ShapePart::Literal(l) => Segment::Literal(l),
                    ShapePart::Id => Segment::Param("requestId"),
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let query: &'static [&'static str] = Box::leak(self.query.clone().into_boxed_slice());
        let operation: &'static Operation = Box::leak(Box::new(Operation {
            id,
            method: "call_unlisted",
            idempotent: self.method == Method::GET,
            long_polling: self.long_polling,
            success_status: None,
            error_decodes_as_success: true,
            path,
            query,
        }));
        known.push((self, operation));
        Ok(operation)
    }
}

impl Client {
    /// Calls an operation this client's spec does not list, with every guarantee of the
    /// generated ones (the URL checked before sending, the token only then, scrubbed errors,
    /// the same retries and error mapping), and returns its JSON answer (`null` for an empty
    /// one). Prefer regenerating from the newer spec (`OTP_HANDLER_SPEC`, `generate`): it gives the
    /// operation a typed method.
    pub async fn call_unlisted(
        &self,
        request: &UnlistedRequest,
    ) -> Result<serde_json::Value, Error> {
        let operation = request.shape()?.operation()?;
        let strings = request.strings();
        let request_id = request.path.iter().find_map(|p| match p {
            Part::Id(id) => Some(id),
            Part::Literal(_) => None,
        });
        let args = Args {
            request_id,
            strings: &strings,
        };
        let raw = self.raw(operation);
        self.call(&raw, args, || Box::pin(send(&raw, request, operation.id)))
            .await
    }
}

/// Sends `request` through the hooks, as a generated method does.
async fn send(
    raw: &raw::Client,
    request: &UnlistedRequest,
    operation_id: &'static str,
) -> Result<ResponseValue<serde_json::Value>, progenitor_client::Error<ErrorResponse>> {
    use progenitor_client::ClientInfo;
    let mut builder = raw
        .client()
        .request(request.method.clone(), request.url(raw.baseurl()))
        .header(ACCEPT, HeaderValue::from_static("application/json"));
    if !request.query.is_empty() {
        builder = builder.query(&request.query);
    }
    if let Some(body) = &request.body {
        builder = builder.json(body);
    }
    let mut built = builder.build()?;
    let info = OperationInfo { operation_id };
    raw.pre(&mut built, &info).await?;
    let result = raw.exec(built, &info).await;
    raw.post(&result, &info).await?;
    let response = result?;
    let status = response.status();
    if status.is_success() {
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(progenitor_client::Error::ResponseBodyError)?;
        let value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| progenitor_client::Error::InvalidResponsePayload(bytes.clone(), e))?
        };
        Ok(ResponseValue::new(value, status, headers))
    } else if status.is_client_error() || status.is_server_error() {
        Err(progenitor_client::Error::ErrorResponse(
            crate::lean::decode(response).await?,
        ))
    } else {
        Err(progenitor_client::Error::UnexpectedResponse(response))
    }
}
