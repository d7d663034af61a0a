//! What the hand-written layer of the crates relies on in the spec, and the check that a spec
//! still has it. A spec given through `OTP_HANDLER_SPEC` that lost one of these pieces stops
//! the build with one message listing each piece and what needs it, instead of a page of
//! rustc errors in code the user never wrote.
//!
//! Anything else may change: operations, parameters, fields, formats and enum values a spec
//! adds are generated, and reach the hand-written layer through the same paths as today's.

use std::fmt;

use openapiv3::{ReferenceOr, SchemaKind, Type};

use crate::{CodegenError, Spec};

/// One piece of the spec the crates rely on.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// An operation, by `operationId`.
    Operation(&'static str),
    /// A path or query parameter of an operation.
    Parameter {
        operation: &'static str,
        name: &'static str,
        location: &'static str,
    },
    /// An operation's JSON request body, of the named schema.
    Body {
        operation: &'static str,
        schema: &'static str,
    },
    /// An operation's success body, of the named schema.
    Success {
        operation: &'static str,
        schema: &'static str,
    },
    /// A property of a schema under `components/schemas`.
    Property {
        schema: &'static str,
        property: &'static str,
    },
    /// A value of a string enum under `components/schemas`.
    Value {
        schema: &'static str,
        value: &'static str,
    },
    /// An operation whose required parameters are exactly these (optional ones may come and
    /// go: they are fields of the operation's options). One more required parameter is an
    /// argument more of the generated method, one fewer an argument less.
    RequiredParameters {
        operation: &'static str,
        names: &'static [&'static str],
    },
    /// A schema the hand-written layer builds with `new(required…)`: exactly these required
    /// properties, in any order (optional ones may come and go: they are setters).
    RequiredProperties {
        schema: &'static str,
        properties: &'static [&'static str],
    },
    /// An operation marked `x-long-polling: true`: its calls are held, with a longer timeout.
    LongPolling(&'static str),
}

const FLOW: &str = "the verification flow (otp-client/src/flow)";
const WAITS: &str = "the waits (otp-client/src/wait.rs)";
const ERRORS: &str = "the error mapping and advice table (otp-client/src/error)";
const WIDGET: &str = "the widget back end (otp-widget/src/routes.rs)";
const CLIENT: &str = "the client (otp-client/src/flow, otp-client-blocking)";

/// The session operations: each takes the session's id in its path.
const SESSION_OPERATIONS: &[(&str, &str)] = &[
    ("getChannel", FLOW),
    ("getChannelLongPolling", WAITS),
    ("getStatus", WAITS),
    ("getStatusLongPolling", WAITS),
    ("checkCode", FLOW),
    ("checkStatusAndComplete", FLOW),
    ("complete", WIDGET),
    ("resend", FLOW),
];

/// The exception types the advice table and the widget name, one arm each.
const EXCEPTION_TYPES: &[&str] = &[
    "ForbiddenException",
    "WidgetNotFoundException",
    "WidgetIsBlockedException",
    "NoAvailableChannelsException",
    "ResendChannelException",
    "AttemptsExpiredException",
    "SessionClosedException",
    "ChannelChangedException",
    "InvalidCodeException",
    "IsCodelessChannelException",
    "SessionNotFoundException",
    "LongPollingTimeoutException",
    "PhoneNumberMismatchException",
    "RestartCooldownActiveException",
    "SessionAlreadyConfirmedException",
    "RateLimitException",
    "BadRequestException",
    "ValidateError",
    "InternalServerErrorException",
    "RequestNotFoundException",
    "CaptchaNotConfirmedException",
    "NoConnectionException",
];

/// Everything else, each with what needs it.
const NEEDS: &[(Need, &str)] = &[
    (Need::LongPolling("getChannelLongPolling"), WAITS),
    (Need::LongPolling("getStatusLongPolling"), WAITS),
    (
        Need::RequiredProperties {
            schema: "OtpHandlerSendRequestDto",
            properties: &["widgetId", "recipient"],
        },
        "the flow's and the widget's `send` (otp-client/src/flow, otp-widget/src/routes.rs)",
    ),
    (
        Need::RequiredProperties {
            schema: "OtpHandlerCheckCodeRequestDto",
            properties: &["code"],
        },
        FLOW,
    ),
    (
        Need::RequiredProperties {
            schema: "ErrorResponse",
            properties: &[],
        },
        "the widget's refusals (otp-widget/src/reply.rs)",
    ),
    (
        Need::RequiredParameters {
            operation: "getWidget",
            names: &["widgetId"],
        },
        WIDGET,
    ),
    (
        Need::RequiredParameters {
            operation: "send",
            names: &[],
        },
        FLOW,
    ),
    (Need::Operation("getWidget"), WIDGET),
    (
        Need::Parameter {
            operation: "getWidget",
            name: "widgetId",
            location: "path",
        },
        WIDGET,
    ),
    (Need::Operation("send"), FLOW),
    (
        Need::Body {
            operation: "send",
            schema: "OtpHandlerSendRequestDto",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerSendRequestDto",
            property: "widgetId",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerSendRequestDto",
            property: "recipient",
        },
        FLOW,
    ),
    (
        Need::Success {
            operation: "send",
            schema: "OtpHandlerSendResponseDto",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerSendResponseDto",
            property: "requestId",
        },
        FLOW,
    ),
    (
        Need::Body {
            operation: "checkCode",
            schema: "OtpHandlerCheckCodeRequestDto",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerCheckCodeRequestDto",
            property: "code",
        },
        FLOW,
    ),
    (
        Need::Success {
            operation: "getChannel",
            schema: "OtpHandlerGetChannelResponseDto",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerGetChannelResponseDto",
            property: "type",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerGetChannelResponseDto",
            property: "status",
        },
        WAITS,
    ),
    (
        Need::Property {
            schema: "OtpHandlerGetChannelResponseDto",
            property: "codeType",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "OtpHandlerGetChannelResponseDto",
            property: "remainingCodeAttempts",
        },
        FLOW,
    ),
    (
        Need::Success {
            operation: "getStatus",
            schema: "OtpHandlerGetStatusResponseDto",
        },
        WAITS,
    ),
    (
        Need::Property {
            schema: "OtpHandlerGetStatusResponseDto",
            property: "success",
        },
        FLOW,
    ),
    (
        Need::Property {
            schema: "ErrorResponse",
            property: "type",
        },
        ERRORS,
    ),
    (
        Need::Property {
            schema: "ErrorResponse",
            property: "message",
        },
        ERRORS,
    ),
    (
        Need::Value {
            schema: "ChannelStatus",
            value: "sent",
        },
        FLOW,
    ),
    (
        Need::Value {
            schema: "ChannelStatus",
            value: "confirmed",
        },
        WAITS,
    ),
    (
        Need::Value {
            schema: "ChannelStatus",
            value: "error",
        },
        WAITS,
    ),
    (
        Need::Value {
            schema: "ChannelStatus",
            value: "closed",
        },
        WAITS,
    ),
    (
        Need::Value {
            schema: "CodeType",
            value: "codeless",
        },
        FLOW,
    ),
];

/// One piece the spec lacks, with what needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The piece, in the spec's words (e.g. "the `code` property of `OtpHandlerCheckCodeRequestDto`").
    pub what: String,
    /// What needs it, by crate and module.
    pub needed_by: &'static str,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, needed by {}", self.what, self.needed_by)
    }
}

/// Checks that `spec` has every operation, parameter, body, property and enum value the
/// hand-written layer of the crates relies on; the error lists each one it lacks.
///
/// ```no_run
/// let spec = otp_client_codegen::Spec::load("openapi/otp-handler-next.yaml")?;
/// otp_client_codegen::check_compatibility(&spec)?; // the message lists every missing piece
/// # Ok::<(), otp_client_codegen::CodegenError>(())
/// ```
pub fn check_compatibility(spec: &Spec) -> Result<(), CodegenError> {
    let session = SESSION_OPERATIONS.iter().flat_map(|&(operation, by)| {
        [
            (Need::Operation(operation), by),
            (
                Need::Parameter {
                    operation,
                    name: "requestId",
                    location: "path",
                },
                by,
            ),
        ]
    });
    let exceptions = EXCEPTION_TYPES.iter().map(|&value| {
        (
            Need::Value {
                schema: "ExceptionType",
                value,
            },
            ERRORS,
        )
    });
    let recipient = [
        "getStatus",
        "getStatusLongPolling",
        "checkStatusAndComplete",
    ]
    .into_iter()
    .map(|operation| {
        (
            Need::Parameter {
                operation,
                name: "recipient",
                location: "query",
            },
            CLIENT,
        )
    });
    let exact_session = SESSION_OPERATIONS.iter().map(|&(operation, by)| {
        let names: &'static [&'static str] = match operation {
            "getStatus" | "getStatusLongPolling" | "checkStatusAndComplete" => {
                &["requestId", "recipient"]
            }
            _ => &["requestId"],
        };
        (Need::RequiredParameters { operation, names }, by)
    });
    let missing: Vec<Missing> = session
        .chain(recipient)
        .chain(exact_session)
        .chain(NEEDS.iter().copied())
        .chain(exceptions)
        .filter_map(|(need, needed_by)| missing(spec, need).map(|what| Missing { what, needed_by }))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CodegenError::Incompatible {
            path: spec.path().to_path_buf(),
            missing,
        })
    }
}

/// What is missing of `need`, said in the spec's words; `None` when the spec has it.
fn missing(spec: &Spec, need: Need) -> Option<String> {
    let operation = |id: &str| spec.operations().into_iter().find(|op| op.id == id);
    match need {
        Need::Operation(id) => operation(id)
            .is_none()
            .then(|| format!("the operation `{id}`")),
        Need::Parameter {
            operation: id,
            name,
            location,
        } => {
            let op = operation(id)?;
            (!op.parameters
                .iter()
                .any(|(n, l)| n == name && l == location))
            .then(|| format!("the {location} parameter `{name}` of `{id}`"))
        }
        Need::Body {
            operation: id,
            schema,
        } => {
            let op = operation(id)?;
            (op.body_schema.as_deref() != Some(schema))
                .then(|| format!("`{id}`'s JSON request body of schema `{schema}`"))
        }
        Need::Success {
            operation: id,
            schema,
        } => {
            let op = operation(id)?;
            (op.success.as_ref().map(|(_, s)| s.as_str()) != Some(schema))
                .then(|| format!("`{id}`'s JSON success body of schema `{schema}`"))
        }
        Need::Property { schema, property } => match schema_kind(spec, schema) {
            None => Some(format!(
                "the schema `{schema}` (with its `{property}` property)"
            )),
            Some(SchemaKind::Type(Type::Object(o))) if o.properties.contains_key(property) => None,
            Some(_) => Some(format!("the `{property}` property of `{schema}`")),
        },
        Need::Value { schema, value } => match schema_kind(spec, schema) {
            None => Some(format!("the schema `{schema}` (with its value `{value}`)")),
            Some(SchemaKind::Type(Type::String(s)))
                if s.enumeration.iter().flatten().any(|v| v == value) =>
            {
                None
            }
            Some(_) => Some(format!("the value `{value}` of `{schema}`")),
        },
        Need::RequiredParameters {
            operation: id,
            names,
        } => {
            let op = operation(id)?;
            let found: Vec<&str> = op
                .parameters
                .iter()
                .filter(|(name, l)| l != "cookie" && op.required_parameters.contains(name))
                .map(|(n, _)| n.as_str())
                .collect();
            let same = found.len() == names.len() && names.iter().all(|n| found.contains(n));
            (!same).then(|| {
                format!(
                    "`{id}` with the required parameters {} (the spec requires {}; a parameter \
                     made required, or one removed, changes the generated method's arguments)",
                    listed(names),
                    listed(&found)
                )
            })
        }
        Need::RequiredProperties { schema, properties } => match schema_kind(spec, schema) {
            Some(SchemaKind::Type(Type::Object(o))) => {
                let found: Vec<&str> = o.required.iter().map(String::as_str).collect();
                let same =
                    found.len() == properties.len() && properties.iter().all(|p| found.contains(p));
                (!same).then(|| {
                    format!(
                        "`{schema}` with the required properties {} (the spec requires {}; \
                         the crates build it with `{schema}::new`, whose arguments are the \
                         required properties)",
                        listed(properties),
                        listed(&found)
                    )
                })
            }
            _ => Some(format!("the object schema `{schema}`")),
        },
        Need::LongPolling(id) => {
            let op = operation(id)?;
            (!op.long_polling).then(|| {
                format!(
                    "`{}: true` on `{id}` (the bundled overlay marks it; an overlay of \
                     {} removed it)",
                    crate::LONG_POLLING_EXTENSION,
                    otp_spec::OVERLAY_ENV
                )
            })
        }
    }
}

/// `names` as the spec would list them, for messages.
fn listed(names: &[impl AsRef<str>]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The kind of the schema named `name` under `components/schemas`, given in place.
fn schema_kind<'s>(spec: &'s Spec, name: &str) -> Option<&'s SchemaKind> {
    match spec.openapi().components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(schema) => Some(&schema.schema_kind),
        ReferenceOr::Reference { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The advice table has an arm for each exception type of the bundled spec (a test in
    /// otp-client checks it), so the gate must require each one: the two lists are the same.
    #[test]
    fn the_gate_requires_every_exception_type_of_the_bundled_spec() {
        let spec = Spec::bundled();
        let Some(SchemaKind::Type(Type::String(s))) = schema_kind(&spec, "ExceptionType") else {
            panic!("ExceptionType is not a string enum in the bundled spec");
        };
        let mut listed: Vec<&str> = s.enumeration.iter().flatten().map(String::as_str).collect();
        let mut required = EXCEPTION_TYPES.to_vec();
        listed.sort_unstable();
        required.sort_unstable();
        assert_eq!(
            listed, required,
            "the spec's ExceptionType and the gate's list differ"
        );
    }
}
