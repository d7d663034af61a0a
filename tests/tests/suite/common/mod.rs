//! What the tests share: the spec, the arguments every call uses, one way to call any
//! operation on either client, and the bodies the mock server answers with.
#![allow(dead_code)]

pub mod drive;
pub mod faulty;
pub mod nginx;
pub mod recording;
pub mod redis;

use otp_client::types::{OtpHandlerCheckCodeRequestDto, OtpHandlerSendRequestDto};
use otp_client::{Error, RequestId};
use otp_client_codegen::{Operation, Spec};
use serde_json::{Value, json};

pub const TOKEN: &str = "test-token-3f9a";
pub const WIDGET_ID: &str = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc";
pub const REQUEST_ID: &str = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6";
pub const RECIPIENT: &str = "+79991234563";
pub const CODE: &str = "1234";

/// [`REQUEST_ID`] as the clients take it.
pub fn id() -> RequestId {
    REQUEST_ID.parse().expect("a session id")
}

/// The spec, loaded the way the build loads it.
pub fn spec() -> Spec {
    Spec::parse("otp_client::SPEC", otp_client::SPEC).expect("the spec loads")
}

pub fn operations() -> Vec<Operation> {
    spec().operations()
}

/// How many (operation, exception type) pairs the spec documents.
pub fn documented_pairs() -> usize {
    operations().iter().map(|o| o.exceptions.len()).sum()
}

/// How many (operation, exception) pairs the spec documents, pinned: a spec change that
/// drops one (or adds one the tests should see) changes this number on purpose.
pub const DOCUMENTED_PAIRS: usize = 63;

/// Which client a test drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Async,
    Blocking,
}

pub const BOTH: [Which; 2] = [Which::Async, Which::Blocking];

pub fn async_client(base_url: &str) -> otp_client::Client {
    async_client_as(base_url, TOKEN)
}

pub fn async_client_as(base_url: &str, token: &str) -> otp_client::Client {
    otp_client::Client::builder(token)
        .base_url(base_url)
        .build()
        .expect("client builds")
}

pub fn blocking_client(base_url: &str) -> otp_client_blocking::Client {
    blocking_client_as(base_url, TOKEN)
}

pub fn blocking_client_as(base_url: &str, token: &str) -> otp_client_blocking::Client {
    otp_client_blocking::Client::builder(token)
        .base_url(base_url)
        .build()
        .expect("client builds")
}

/// The arguments of a call. Its methods are named as the operations' arguments are, so
/// that `for_each_operation!` can pass them by name.
#[derive(Debug, Clone)]
pub struct Args {
    pub widget_id: String,
    pub request_id: String,
    pub recipient: String,
    pub code: String,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            widget_id: WIDGET_ID.into(),
            request_id: REQUEST_ID.into(),
            recipient: RECIPIENT.into(),
            code: CODE.into(),
        }
    }
}

impl Args {
    pub fn widget_id(&self) -> uuid::Uuid {
        self.widget_id.parse().expect("a uuid")
    }

    pub fn request_id(&self) -> RequestId {
        self.request_id.parse().expect("a session id")
    }

    pub fn recipient(&self) -> String {
        self.recipient.clone()
    }

    /// The request body of whichever operation asks for one.
    pub fn body<T: BodyOf>(&self) -> T {
        T::of(self)
    }
}

/// A request body built from a call's arguments.
pub trait BodyOf {
    fn of(args: &Args) -> Self;
}

impl BodyOf for OtpHandlerSendRequestDto {
    fn of(a: &Args) -> Self {
        Self::new(a.recipient.clone(), a.widget_id())
    }
}

impl BodyOf for OtpHandlerCheckCodeRequestDto {
    fn of(a: &Args) -> Self {
        Self::new(a.code.clone())
    }
}

fn to_json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).expect("a response serializes")
}

/// `call_async` and `call_blocking`: every operation of the spec, expanded from the
/// generated list, so a new operation needs nothing here.
macro_rules! dispatch {
    ($({ id: $id:literal, method: $method:ident, params: [$($param:ident),*], $($rest:tt)* })*) => {
        /// Calls operation `op_id` on the async client; the success value comes back as JSON.
        pub async fn call_async(client: &otp_client::Client, op_id: &str, a: &Args) -> Result<Value, Error> {
            match op_id {
                $($id => Ok(to_json(client.$method($(&a.$param()),*).await?)),)*
                other => panic!("`{other}` is not an operation of the spec"),
            }
        }

        /// The same on the blocking client.
        pub fn call_blocking(client: &otp_client_blocking::Client, op_id: &str, a: &Args) -> Result<Value, Error> {
            match op_id {
                $($id => Ok(to_json(client.$method($(&a.$param()),*)?)),)*
                other => panic!("`{other}` is not an operation of the spec"),
            }
        }
    };
}

otp_client::for_each_operation!(dispatch);

/// Calls `op_id` on `which` client against `base_url` (the blocking one on a blocking
/// thread, as a sync application would).
pub async fn call(which: Which, base_url: &str, op_id: &str, args: &Args) -> Result<Value, Error> {
    call_as(which, base_url, TOKEN, op_id, args).await
}

/// The same, authenticating with `token`.
pub async fn call_as(
    which: Which,
    base_url: &str,
    token: &str,
    op_id: &str,
    args: &Args,
) -> Result<Value, Error> {
    match which {
        Which::Async => call_async(&async_client_as(base_url, token), op_id, args).await,
        Which::Blocking => {
            let (base_url, op_id, args) = (base_url.to_string(), op_id.to_string(), args.clone());
            let token = token.to_string();
            tokio::task::spawn_blocking(move || {
                call_blocking(&blocking_client_as(&base_url, &token), &op_id, &args)
            })
            .await
            .expect("the blocking call does not panic")
        }
    }
}

/// A full, valid body of each success schema.
pub fn success_body(schema: &str) -> Value {
    match schema {
        "OtpHandlerGetWidgetResponseDto" => {
            json!({"isBlocked": false, "isActive": true, "name": "Login form"})
        }
        "OtpHandlerSendResponseDto" => json!({"requestId": REQUEST_ID}),
        "OtpHandlerGetChannelResponseDto" => json!({
            "type": "sms", "status": "sent", "label": "SMS", "codeType": "code",
            "payload": {"hint": "check your messages"},
            "settings": {"lifetime": 300, "numberOfTries": 3, "numberOfRestart": 2,
                         "code": {"length": 4, "beautify": false}},
            "remainingCodeAttempts": 3
        }),
        "OtpHandlerGetStatusResponseDto" => json!({"success": true}),
        other => panic!("schema `{other}` has no sample body: add one to success_body"),
    }
}

/// Checks the path the server saw for `op` against the spec's template: as many segments,
/// the fixed ones equal, and each parameter one segment that decodes to the argument.
pub fn assert_path(op: &Operation, args: &Args, seen: &str) {
    let base_segments = "/api/n/otp-handler".split('/').count();
    let seen_segments: Vec<&str> = seen.split('/').skip(base_segments).collect();
    let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
    assert_eq!(
        seen_segments.len(),
        template.len(),
        "{}: path {seen} for template {}",
        op.id,
        op.path
    );
    for (segment, expected) in seen_segments.iter().zip(&template) {
        let expected = match *expected {
            "{requestId}" => args.request_id.as_str(),
            "{widgetId}" => args.widget_id.as_str(),
            fixed => fixed,
        };
        assert_eq!(
            percent_decode(segment),
            expected,
            "{}: segment of {seen}",
            op.id
        );
    }
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

/// The mock server's base URL, as a client is given it.
pub fn base_url(server: &wiremock::MockServer) -> String {
    format!("{}/api/n/otp-handler", server.uri())
}

/// Checks every exchange a recording sandbox had against the spec: the status is one the
/// operation declares; an error body names an exception type the spec lists for that
/// operation and status (a 401 names none); a success body has the schema's required
/// fields and no field the schema lacks.
pub fn assert_conformant(spec: &Spec, exchanges: &[otp_sandbox::Exchange]) {
    assert!(!exchanges.is_empty(), "the sandbox recorded exchanges");
    let ops = spec.operations();
    let schemas = &spec
        .openapi()
        .components
        .as_ref()
        .expect("components")
        .schemas;
    for ex in exchanges {
        let op = ops
            .iter()
            .find(|o| o.id == ex.operation)
            .expect("a known operation");
        let ctx = format!(
            "{} {} {}",
            ex.operation,
            ex.status,
            String::from_utf8_lossy(&ex.body)
        );
        assert!(
            op.statuses.contains(&ex.status),
            "{ctx}: status not declared"
        );
        let body: Value = serde_json::from_slice(&ex.body).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        if ex.status >= 400 {
            let kind = body.get("type").and_then(Value::as_str);
            match (ex.status, kind) {
                (401, None) => {}
                (_, Some(kind)) => assert!(
                    op.exceptions
                        .iter()
                        .any(|(s, e)| *s == ex.status && e == kind),
                    "{ctx}: {kind} is not declared for this status"
                ),
                _ => panic!("{ctx}: an error without a type"),
            }
            assert_eq!(body["httpStatus"], ex.status, "{ctx}");
            continue;
        }
        let (status, schema_name) = op.success.clone().expect("a success");
        assert_eq!(ex.status, status, "{ctx}");
        let Some(openapiv3::ReferenceOr::Item(schema)) = schemas.get(&schema_name) else {
            panic!("{ctx}: schema {schema_name}")
        };
        let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) = &schema.schema_kind
        else {
            panic!("{ctx}: {schema_name} is an object")
        };
        let fields = body.as_object().expect("an object body");
        for key in fields.keys() {
            assert!(
                object.properties.contains_key(key),
                "{ctx}: `{key}` is not in {schema_name}"
            );
        }
        for key in &object.required {
            assert!(
                fields.contains_key(key),
                "{ctx}: required `{key}` is missing"
            );
        }
    }
}

/// The log of this test binary: a global fmt subscriber (events with their span's fields,
/// spans when they close) writing here. Tests share it; each looks for its own request id.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The binary's log, installed on first use.
    pub fn global() -> &'static Captured {
        static LOG: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
        LOG.get_or_init(|| {
            let log = Captured::default();
            let writer = log.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_max_level(tracing::Level::TRACE)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
            log
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The lines that mention `marker`.
    pub fn lines_with(&self, marker: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| l.contains(marker))
            .map(String::from)
            .collect()
    }
}

/// A free loopback port, for a server a test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on loopback `port` (a server a test started); after 10 s,
/// fails naming `what` and what `log` then says.
pub fn wait_until_listening(port: u16, what: &str, log: impl Fn() -> String) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{what} did not listen on port {port} within 10 s{}",
            log()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
