//! The widget's routes in an application's own OpenAPI document, for applications that
//! document their API with [aide](https://docs.rs/aide) (the `aide` feature).
//!
//! Each route is described as the spec describes its operation (summary, description,
//! parameters, bodies, the documented errors and their examples), with what the widget adds
//! (`send`'s `captchaToken`, its 403 for a captcha, the 429 of its limits, the 415 of a body
//! that is not JSON where the route takes a body), under the prefix the router is mounted
//! at, without the spec's bearer-token requirement (the back end holds the token, browsers
//! never see it; a requirement the application's document sets for every operation applies
//! to these too, as aide writes no empty one). The request and answer types are described
//! by their Rust types (`otp_client::schemas`, schemars), as aide describes the
//! application's own.

use aide::openapi::{Components, OpenApi, Paths, SchemaObject};
use schemars::r#gen::SchemaSettings;
use serde_json::{Map, Value};

use crate::WidgetBackend;

/// Why the routes could not be described: the spec the client was generated from did not
/// read as the document it must be.
#[derive(Debug, thiserror::Error)]
#[error("the spec's description of the widget routes does not read: {0}")]
pub struct DocumentError(String);

/// The spec's component sections that operations may refer to, copied as they are.
const SECTIONS: [&str; 5] = [
    "parameters",
    "responses",
    "examples",
    "requestBodies",
    "headers",
];

impl WidgetBackend {
    /// Adds the routes of [`router`](Self::router), mounted at `prefix` (as given to
    /// `Router::nest`, e.g. `/otp`), to `api`, with the components they refer to: the
    /// spec's parameters, responses and examples, and the schemas of the request and answer
    /// types (from the Rust types). An entry of `api` of the same name is replaced.
    ///
    /// The routes carry no security requirement of their own (the back end holds the token),
    /// and aide writes no empty one: a requirement `api` sets for every operation applies to
    /// them too.
    ///
    /// ```
    /// # let client = otp_client::Client::builder("token").build().unwrap();
    /// let widget_id = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().unwrap();
    /// let widget = otp_widget::WidgetBackend::builder(client, [widget_id]).build().unwrap();
    /// let mut api = aide::openapi::OpenApi::default();
    /// widget.document(&mut api, "/otp").unwrap();
    /// let paths = api.paths.unwrap();
    /// assert!(paths.paths.contains_key("/otp/{requestId}/status"));
    /// assert!(!paths.paths.contains_key("/otp/checkStatusAndComplete/{requestId}"));
    /// ```
    pub fn document(&self, api: &mut OpenApi, prefix: &str) -> Result<(), DocumentError> {
        let bad = |e: &dyn std::fmt::Display| DocumentError(e.to_string());
        let spec: Value = serde_norway::from_str(otp_client::SPEC).map_err(|e| bad(&e))?;
        let prefix = prefix.trim_end_matches('/');
        let mut paths = Map::new();
        let served = crate::operations::OPERATIONS.iter().filter(|op| {
            otp_client::OperationId::from_id(op.id).is_some_and(|id| self.state.paths.serves(id))
        });
        for &crate::operations::Operation { http, path, .. } in served {
            let Some(mut operation) = spec["paths"][path][http.to_lowercase()]
                .as_object()
                .cloned()
            else {
                continue;
            };
            // The back end holds the token: a browser needs none. (aide writes no empty
            // requirement: a document-wide one applies here as to any other operation.)
            operation.remove("security");
            // Parameters the spec gives the whole path belong to each of its operations.
            if let Some(shared) = spec["paths"][path]["parameters"].as_array() {
                let own = operation
                    .entry("parameters")
                    .or_insert_with(|| Value::Array(vec![]));
                if let Value::Array(own) = own {
                    own.extend(shared.iter().cloned());
                }
            }
            widget_additions(&mut operation);
            let item = paths
                .entry(format!("{prefix}{path}"))
                .or_insert_with(|| Value::Object(Map::new()));
            item[http.to_lowercase()] = Value::Object(operation);
        }
        let paths: Paths = serde_json::from_value(Value::Object(paths)).map_err(|e| bad(&e))?;
        let mut sections = Map::new();
        for section in SECTIONS {
            if let Some(entries) = spec["components"][section].as_object() {
                sections.insert(section.into(), Value::Object(entries.clone()));
            }
        }
        let copied: Components =
            serde_json::from_value(Value::Object(sections)).map_err(|e| bad(&e))?;
        // As aide describes an application's own types: JSON Schema draft 7, each type a
        // component schema.
        let mut generator = SchemaSettings::draft07()
            .with(|s| s.definitions_path = "#/components/schemas/".into())
            .into_generator();
        let schemas = otp_client::schemas(&mut generator);
        let components = api.components.get_or_insert_default();
        components.parameters.extend(copied.parameters);
        components.responses.extend(copied.responses);
        components.examples.extend(copied.examples);
        components.request_bodies.extend(copied.request_bodies);
        components.headers.extend(copied.headers);
        let definitions = generator.take_definitions().into_iter();
        for (name, schema) in schemas
            .into_iter()
            .map(|(name, schema)| (name.to_string(), schema))
            .chain(definitions)
        {
            let object = SchemaObject {
                json_schema: schema,
                example: None,
                external_docs: None,
            };
            components.schemas.insert(name, object);
        }
        api.paths.get_or_insert_default().paths.extend(paths.paths);
        Ok(())
    }
}

/// What the widget answers beyond the spec's operation: its own refusals, and `send`'s
/// captcha token.
fn widget_additions(operation: &mut Map<String, Value>) {
    let error = |description: &str| {
        serde_json::json!({
            "description": description,
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorResponse"},
            }},
        })
    };
    let responses = operation
        .entry("responses")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(responses) = responses {
        responses.entry("429").or_insert_with(|| {
            error("RateLimitException: the widget's per-IP request limit, or a send limit")
        });
    }
    // A route that takes a body takes only JSON (`complete` and `resend` take none).
    if operation.contains_key("requestBody")
        && let Some(Value::Object(responses)) = operation.get_mut("responses")
    {
        responses
            .entry("415")
            .or_insert_with(|| error("the body is not `application/json`"));
    }
    if operation.get("operationId").and_then(Value::as_str) != Some("send") {
        return;
    }
    let body = &mut operation["requestBody"]["content"]["application/json"]["schema"];
    if !body.is_null() {
        *body = serde_json::json!({"allOf": [body.take(), {
            "type": "object",
            "properties": {"captchaToken": {
                "type": "string",
                "description": "The captcha provider's token, once the widget asks for one \
                                (`captchaIsRequired`).",
            }},
        }]});
    }
    let captcha = "CaptchaNotConfirmedException (the widget's: a captcha is needed, or its \
                   token was refused)";
    if let Some(Value::Object(responses)) = operation.get_mut("responses") {
        match responses.get_mut("403") {
            // The service's 403s stay; the description names the widget's too.
            Some(Value::Object(forbidden)) => {
                let said = forbidden
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let description = format!("{said}; {captcha}");
                forbidden.insert("description".into(), Value::String(description));
            }
            _ => {
                responses.insert("403".into(), error(captcha));
            }
        }
    }
}
