//! The parsed spec: loading it, checking the rules the generators rely on, and the facts
//! about each operation that the generators, the sandbox, the diff and the tests need.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use heck::ToSnakeCase;
use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

use crate::SpecError;
use crate::overlay::{Overlay, Unmatched};
use crate::resolve;

/// The vendor extension that marks an extensible enum.
pub const EXTENSIBLE_ENUM_EXTENSION: &str = "x-extensible-enum";

/// The vendor extension that marks a long-polling operation.
pub const LONG_POLLING_EXTENSION: &str = "x-long-polling";

/// The extension that says whether the widget back end exposes an operation to browsers:
/// `browser` or `server-only`.
pub const WIDGET_EXTENSION: &str = "x-widget";

/// What `x-widget` says of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WidgetExposure {
    /// `browser`: the widget back end serves it to browsers.
    Browser,
    /// `server-only`: only the application's own back end calls it.
    ServerOnly,
}

impl WidgetExposure {
    /// The extension's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::ServerOnly => "server-only",
        }
    }

    fn parse(value: &serde_json::Value) -> Option<Self> {
        match value.as_str()? {
            "browser" => Some(Self::Browser),
            "server-only" => Some(Self::ServerOnly),
            _ => None,
        }
    }
}

/// A loaded and checked OpenAPI document.
#[derive(Debug, Clone)]
pub struct Spec {
    path: PathBuf,
    openapi: OpenAPI,
}

/// The vendor's file as this SDK bundles it, before any overlay.
pub const BUNDLED_SPEC: &str = include_str!("../openapi.yaml");

/// The bundled spec's name in messages.
pub const BUNDLED_SPEC_NAME: &str = "otp-handler.yaml (bundled)";

/// What [`Spec::load_overlaid`] gives.
#[derive(Debug, Clone)]
pub struct Overlaid {
    /// The merged document, parsed and checked.
    pub spec: Spec,
    /// The merged document's text.
    pub text: String,
    /// The overlays' actions that selected nothing in the vendor's file.
    pub unmatched: Vec<Unmatched>,
}

/// One operation of the spec, as the generators and checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The spec's `operationId`, e.g. `getChannelLongPolling`.
    pub id: String,
    /// The Rust method name both clients use, e.g. `get_channel_long_polling`.
    pub method_name: String,
    /// The HTTP method, upper case.
    pub http_method: String,
    /// The path template, e.g. `/{requestId}/channel`.
    pub path: String,
    /// Every status code the operation declares.
    pub statuses: BTreeSet<u16>,
    /// The statuses whose response says the vendor's reference does not document it
    /// (`x-not-in-reference`, with the reason).
    pub undocumented_statuses: BTreeSet<u16>,
    /// The exception types each error status names in its examples.
    pub exceptions: Vec<(u16, String)>,
    /// Whether the server holds the call (`x-long-polling: true`).
    pub long_polling: bool,
    /// Whether the widget back end exposes it (`x-widget`); `None` where the spec does not
    /// say, and the widget then does not expose it.
    pub widget: Option<WidgetExposure>,
    /// The operation's `summary`, as the spec gives it.
    pub summary: String,
    /// The operation's `description`, as the spec gives it.
    pub description: String,
    /// The parameters: (name as the spec spells it, `path`, `query`, `header` or `cookie`).
    pub parameters: Vec<(String, String)>,
    /// The names of the parameters the spec requires (every path parameter).
    pub required_parameters: Vec<String>,
    /// Each parameter's description, by name.
    pub parameter_descriptions: Vec<(String, String)>,
    /// The properties of the JSON request body, in the schema's order.
    pub body_properties: Vec<BodyProperty>,
    /// The success status and the name of its schema.
    pub success: Option<(u16, String)>,
    /// Whether a body of the operation's error schema would also decode as its success
    /// schema (which then requires nothing the error schema lacks): a client must look at a
    /// success body before decoding it, where otherwise the decoder itself refuses one.
    pub error_decodes_as_success: bool,
    /// The request body's schema name, if the body is a named schema.
    pub body_schema: Option<String>,
    /// The required string properties of the JSON request body, as the spec spells them: a
    /// client refuses to send them empty.
    pub body_required_strings: Vec<String>,
    /// What a caller of the generated method must know beyond the API's own description
    /// (`x-sdk-note`), added to the method's docs.
    pub sdk_note: Option<String>,
}

/// One property of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyProperty {
    /// Its name, as the spec spells it.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Whether the schema requires it.
    pub required: bool,
    /// Whether it is a string (a flag's text is then the value itself, not JSON).
    pub is_string: bool,
}

/// The vendor extension that marks a response the vendor's reference does not list, with
/// the reason it is in the spec anyway.
pub const NOT_IN_REFERENCE_EXTENSION: &str = "x-not-in-reference";

/// The vendor extension that carries a note for the SDK's docs of an operation.
pub const SDK_NOTE_EXTENSION: &str = "x-sdk-note";

impl Spec {
    /// Reads, parses and checks the spec at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SpecError> {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path).map_err(|source| SpecError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&path, &text)
    }

    /// Parses and checks a spec held in memory; `path` is only used in messages.
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Self, SpecError> {
        let path = path.as_ref().to_path_buf();
        let openapi: OpenAPI = serde_norway::from_str(text).map_err(|e| SpecError::Parse {
            path: path.clone(),
            location: e.location().map(|l| (l.line(), l.column())),
            message: e.to_string(),
        })?;
        let spec = Self { path, openapi };
        spec.check()?;
        Ok(spec)
    }

    /// Reads the vendor's spec at `path` and applies `overlays` to it, in order: the document
    /// as the build sees it. Returns the spec, the merged document's text (what a build
    /// bundles and the contract tools read) and the overlays' actions that selected nothing.
    pub fn load_overlaid(
        path: impl AsRef<Path>,
        overlays: &[Overlay],
    ) -> Result<Overlaid, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_overlaid(path, &text, overlays)
    }

    /// [`Spec::load_overlaid`] for a spec held in memory; `path` is only used in messages.
    pub fn parse_overlaid(
        path: impl AsRef<Path>,
        text: &str,
        overlays: &[Overlay],
    ) -> Result<Overlaid, SpecError> {
        let path = path.as_ref();
        let parse_error = |e: serde_norway::Error| SpecError::Parse {
            path: path.to_path_buf(),
            location: e.location().map(|l| (l.line(), l.column())),
            message: e.to_string(),
        };
        let mut doc: serde_norway::Value = serde_norway::from_str(text).map_err(parse_error)?;
        let unmatched = overlays.iter().flat_map(|o| o.apply(&mut doc)).collect();
        let merged = serde_norway::to_string(&doc).map_err(parse_error)?;
        let spec = Self::parse(path, &merged)?;
        Ok(Overlaid {
            spec,
            text: merged,
            unmatched,
        })
    }

    /// The bundled vendor spec with the bundled overlay: what a build without
    /// `OTP_HANDLER_SPEC` or `OTP_HANDLER_OVERLAY` generates from.
    pub fn bundled() -> Self {
        Self::parse_overlaid(BUNDLED_SPEC_NAME, BUNDLED_SPEC, &[Overlay::bundled()])
            .expect("the bundled spec and overlay are checked by this crate's tests")
            .spec
    }

    /// The spec's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parsed document.
    pub fn openapi(&self) -> &OpenAPI {
        &self.openapi
    }

    fn invalid(&self, at: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError::Invalid {
            path: self.path.clone(),
            at: at.into(),
            message: message.into(),
        }
    }

    fn check(&self) -> Result<(), SpecError> {
        if !self.openapi.openapi.starts_with("3.0.") {
            return Err(self.invalid(
                "openapi",
                format!(
                    "version {} is not 3.0.x, the only one progenitor reads",
                    self.openapi.openapi
                ),
            ));
        }
        for (path, method, op) in self.openapi.operations() {
            let at = format!("{} {path}", method.to_uppercase());
            if op.operation_id.as_deref().unwrap_or("").is_empty() {
                return Err(self.invalid(at, "the operation has no operationId"));
            }
            if let Some(value) = op.extensions.get(WIDGET_EXTENSION)
                && WidgetExposure::parse(value).is_none()
            {
                return Err(self.invalid(
                    at,
                    format!(
                        "{WIDGET_EXTENSION} is {value}, where it takes `browser` or `server-only`"
                    ),
                ));
            }
            // progenitor needs one schema for all errors (and one for all successes).
            for (kind, range) in [("success", 200..300), ("error", 400..600)] {
                let mut schemas = BTreeSet::new();
                for (code, resp) in &op.responses.responses {
                    let n = status_number(code);
                    if !range.contains(&n) {
                        continue;
                    }
                    let resp = self.resolve_response(resp).ok_or_else(|| {
                        self.invalid(
                            &at,
                            format!("response {n} refers to a response that does not exist"),
                        )
                    })?;
                    let schema = resp
                        .content
                        .get("application/json")
                        .and_then(|m| m.schema.as_ref())
                        .map(|s| match s {
                            ReferenceOr::Reference { reference } => reference.clone(),
                            ReferenceOr::Item(_) => format!("inline schema of {n}"),
                        })
                        .unwrap_or_else(|| "no body".to_string());
                    schemas.insert(schema);
                }
                if schemas.len() > 1 {
                    let list = schemas.into_iter().collect::<Vec<_>>().join(", ");
                    return Err(self.invalid(
                        at,
                        format!("every {kind} response of an operation must share one schema, found: {list}"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn resolve_response<'a>(
        &'a self,
        resp: &'a ReferenceOr<openapiv3::Response>,
    ) -> Option<&'a openapiv3::Response> {
        resolve(
            resp,
            "#/components/responses/",
            |c| &c.responses,
            &self.openapi,
        )
    }

    fn resolve_parameter<'a>(
        &'a self,
        p: &'a ReferenceOr<openapiv3::Parameter>,
    ) -> Option<&'a openapiv3::Parameter> {
        resolve(
            p,
            "#/components/parameters/",
            |c| &c.parameters,
            &self.openapi,
        )
    }

    /// The object schema named `name` under `components/schemas`.
    fn object_schema(&self, name: &str) -> Option<&openapiv3::ObjectType> {
        let schema = self
            .openapi
            .components
            .as_ref()?
            .schemas
            .get(name)?
            .as_item()?;
        object_type(schema)
    }

    /// The status and JSON schema of the first response of `op` whose status `pick`s.
    fn response_schema<'a>(
        &'a self,
        op: &'a openapiv3::Operation,
        pick: impl Fn(u16) -> bool,
    ) -> Option<(u16, &'a ReferenceOr<openapiv3::Schema>)> {
        op.responses.responses.iter().find_map(|(code, resp)| {
            let n = status_number(code);
            if !pick(n) {
                return None;
            }
            let schema = self
                .resolve_response(resp)?
                .content
                .get("application/json")?
                .schema
                .as_ref()?;
            Some((n, schema))
        })
    }

    /// The name of the JSON schema of the first response of `op` whose status `pick`s.
    fn response_schema_name<'a>(
        &'a self,
        op: &'a openapiv3::Operation,
        pick: impl Fn(u16) -> bool,
    ) -> Option<&'a str> {
        schema_name(self.response_schema(op, pick)?.1)
    }

    /// See [`Operation::error_decodes_as_success`]; true where either schema is unknown.
    fn error_decodes_as_success(&self, op: &openapiv3::Operation) -> bool {
        let success = self.response_schema_name(op, |n| (200..300).contains(&n));
        let error = self.response_schema_name(op, |n| n >= 400);
        let (Some(success), Some(error)) = (
            success.and_then(|name| self.object_schema(name)),
            error.and_then(|name| self.object_schema(name)),
        ) else {
            return true;
        };
        success
            .required
            .iter()
            .all(|name| error.properties.contains_key(name))
    }

    fn body_schema_ref(op: &openapiv3::Operation) -> Option<&ReferenceOr<openapiv3::Schema>> {
        op.request_body
            .as_ref()
            .and_then(|b| b.as_item())
            .and_then(|b| b.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
    }

    /// The object schema of `op`'s JSON body, if it has one.
    fn body_object<'a>(
        &'a self,
        op: &'a openapiv3::Operation,
    ) -> Option<&'a openapiv3::ObjectType> {
        let schema = Self::body_schema_ref(op)?;
        match schema_name(schema) {
            Some(name) => self.object_schema(name),
            None => object_type(schema.as_item()?),
        }
    }

    fn body_properties(&self, op: &openapiv3::Operation) -> Vec<BodyProperty> {
        let Some(object) = self.body_object(op) else {
            return Vec::new();
        };
        object
            .properties
            .iter()
            .map(|(name, schema)| BodyProperty {
                name: name.clone(),
                description: schema
                    .as_item()
                    .and_then(|s| s.schema_data.description.clone())
                    .unwrap_or_default(),
                required: object.required.contains(name),
                is_string: string_type(schema).is_some(),
            })
            .collect()
    }

    fn body_required_strings(&self, op: &openapiv3::Operation) -> Vec<String> {
        let Some(object) = self.body_object(op) else {
            return Vec::new();
        };
        object
            .required
            .iter()
            .filter(|name| {
                object
                    .properties
                    .get(*name)
                    .and_then(string_type)
                    .is_some_and(|s| matches!(s.format, openapiv3::VariantOrUnknownOrEmpty::Empty))
            })
            .cloned()
            .collect()
    }

    /// Every operation, in the order of the spec.
    pub fn operations(&self) -> Vec<Operation> {
        self.openapi
            .operations()
            .map(|(path, method, op)| {
                let id = op.operation_id.clone().unwrap_or_default();
                let mut statuses = BTreeSet::new();
                let mut undocumented_statuses = BTreeSet::new();
                let mut exceptions = Vec::new();
                for (code, resp) in &op.responses.responses {
                    let n = status_number(code);
                    statuses.insert(n);
                    if self
                        .resolve_response(resp)
                        .is_some_and(|r| r.extensions.contains_key(NOT_IN_REFERENCE_EXTENSION))
                    {
                        undocumented_statuses.insert(n);
                    }
                    let examples = self
                        .resolve_response(resp)
                        .and_then(|r| r.content.get("application/json"))
                        .map(|m| m.examples.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default();
                    exceptions.extend(examples.into_iter().map(|e| (n, e)));
                }
                let (parameters, parameter_descriptions) = op
                    .parameters
                    .iter()
                    .filter_map(|p| self.resolve_parameter(p))
                    .map(|p| {
                        let location = match p {
                            openapiv3::Parameter::Path { .. } => "path",
                            openapiv3::Parameter::Query { .. } => "query",
                            openapiv3::Parameter::Header { .. } => "header",
                            openapiv3::Parameter::Cookie { .. } => "cookie",
                        };
                        let data = p.parameter_data_ref();
                        (
                            (data.name.clone(), location.to_string()),
                            (
                                data.name.clone(),
                                data.description.clone().unwrap_or_default(),
                            ),
                        )
                    })
                    .unzip();
                let required_parameters = op
                    .parameters
                    .iter()
                    .filter_map(|p| self.resolve_parameter(p))
                    .map(|p| p.parameter_data_ref())
                    .filter(|data| data.required)
                    .map(|data| data.name.clone())
                    .collect();
                let success = self
                    .response_schema(op, |n| (200..300).contains(&n))
                    .map(|(n, schema)| (n, schema_name(schema).unwrap_or_default().to_string()));
                Operation {
                    summary: op.summary.clone().unwrap_or_default(),
                    description: op.description.clone().unwrap_or_default(),
                    parameter_descriptions,
                    body_properties: self.body_properties(op),
                    body_schema: match Self::body_schema_ref(op) {
                        Some(ReferenceOr::Reference { reference }) => reference
                            .strip_prefix("#/components/schemas/")
                            .map(str::to_string),
                        _ => None,
                    },
                    body_required_strings: self.body_required_strings(op),
                    sdk_note: op
                        .extensions
                        .get(SDK_NOTE_EXTENSION)
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    error_decodes_as_success: self.error_decodes_as_success(op),
                    parameters,
                    required_parameters,
                    success,
                    method_name: id.to_snake_case(),
                    id,
                    http_method: method.to_uppercase(),
                    path: path.to_string(),
                    statuses,
                    undocumented_statuses,
                    exceptions,
                    widget: op
                        .extensions
                        .get(WIDGET_EXTENSION)
                        .and_then(WidgetExposure::parse),
                    long_polling: op
                        .extensions
                        .get(LONG_POLLING_EXTENSION)
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false),
                }
            })
            .collect()
    }

    /// The `summary` of the example named `name`, if any: the English text of an
    /// exception type.
    pub fn example_summary(&self, name: &str) -> Option<String> {
        match self.openapi.components.as_ref()?.examples.get(name)? {
            ReferenceOr::Item(e) => e.summary.clone(),
            ReferenceOr::Reference { .. } => None,
        }
    }

    /// The example error body the spec gives for an exception type, if any.
    pub fn error_example(&self, exception: &str) -> Option<serde_json::Value> {
        match self.openapi.components.as_ref()?.examples.get(exception)? {
            ReferenceOr::Item(e) => e.value.clone(),
            ReferenceOr::Reference { .. } => None,
        }
    }
}

fn status_number(code: &StatusCode) -> u16 {
    match code {
        StatusCode::Code(n) => *n,
        StatusCode::Range(r) => *r * 100,
    }
}

/// The name of a schema under `components/schemas` that `schema` refers to.
fn schema_name(schema: &ReferenceOr<openapiv3::Schema>) -> Option<&str> {
    match schema {
        ReferenceOr::Reference { reference } => reference.strip_prefix("#/components/schemas/"),
        ReferenceOr::Item(_) => None,
    }
}

/// `schema` as an object type, if it is one.
fn object_type(schema: &openapiv3::Schema) -> Option<&openapiv3::ObjectType> {
    match &schema.schema_kind {
        openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) => Some(object),
        _ => None,
    }
}

/// A property's schema as a string type, if it is one given in place.
fn string_type(schema: &ReferenceOr<Box<openapiv3::Schema>>) -> Option<&openapiv3::StringType> {
    match &schema.as_item()?.schema_kind {
        openapiv3::SchemaKind::Type(openapiv3::Type::String(s)) => Some(s),
        _ => None,
    }
}
