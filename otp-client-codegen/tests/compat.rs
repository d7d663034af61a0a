//! The compatibility gate: a spec that lost what the hand-written layer relies on stops the
//! build with one message listing each missing piece and what needs it.

use otp_client_codegen::{CodegenError, Overlay, Spec, check_compatibility};
use serde_norway::Value;

const SPEC: &str = include_str!("../../openapi/otp-handler.yaml");

/// The bundled spec, changed by `edit`, then checked.
fn gate(edit: impl FnOnce(&mut Value)) -> Result<(), String> {
    let mut doc: Value = serde_norway::from_str(SPEC).unwrap();
    edit(&mut doc);
    let text = serde_norway::to_string(&doc).unwrap();
    let spec = Spec::parse_overlaid("newer.yaml", &text, &[Overlay::bundled()])
        .map_err(|e| format!("parse: {e}"))?
        .spec;
    match check_compatibility(&spec) {
        Ok(()) => Ok(()),
        Err(e @ CodegenError::Incompatible { .. }) => Err(e.to_string()),
        Err(other) => panic!("not the gate's error: {other}"),
    }
}

#[test]
fn the_bundled_spec_passes() {
    assert_eq!(gate(|_| {}), Ok(()));
}

#[test]
fn a_spec_without_send_is_refused_naming_it_and_what_needs_it() {
    let message = gate(|doc| {
        doc["paths"].as_mapping_mut().unwrap().remove("/");
    })
    .unwrap_err();
    assert!(
        message.starts_with("newer.yaml: this spec lacks or changes 1 thing(s)"),
        "{message}"
    );
    assert!(
        message.contains(
            "\n  - the operation `send`, needed by the verification flow (otp-client/src/flow)"
        ),
        "{message}"
    );
}

#[test]
fn a_check_code_body_without_code_is_refused_naming_the_property() {
    let message = gate(|doc| {
        let dto = &mut doc["components"]["schemas"]["OtpHandlerCheckCodeRequestDto"];
        dto["properties"].as_mapping_mut().unwrap().remove("code");
        dto.as_mapping_mut().unwrap().remove("required");
    })
    .unwrap_err();
    assert!(
        message.contains("\n  - the `code` property of `OtpHandlerCheckCodeRequestDto`, needed by the verification flow"),
        "{message}"
    );
    assert!(
        message.contains(
            "`OtpHandlerCheckCodeRequestDto` with the required properties `code` (the spec requires none"
        ),
        "{message}"
    );
}

#[test]
fn every_missing_piece_is_listed_at_once() {
    let message = gate(|doc| {
        let paths = doc["paths"].as_mapping_mut().unwrap();
        paths.remove("/{requestId}/resend");
        paths.remove("/widget/{widgetId}");
        let values = doc["components"]["schemas"]["ChannelStatus"]["enum"]
            .as_sequence_mut()
            .unwrap();
        values.retain(|v| v.as_str() != Some("confirmed"));
    })
    .unwrap_err();
    for piece in [
        "the operation `resend`",
        "the operation `getWidget`",
        "the value `confirmed` of `ChannelStatus`",
    ] {
        assert!(message.contains(piece), "{piece} not in: {message}");
    }
}

#[test]
fn a_parameter_made_required_is_named_once() {
    let message = gate(|doc| {
        let params = doc["paths"]["/{requestId}/channel"]["get"]["parameters"]
            .as_sequence_mut()
            .unwrap();
        params.push(
            serde_norway::from_str(
                "{name: lang, in: query, required: true, schema: {type: string}}",
            )
            .unwrap(),
        );
    })
    .unwrap_err();
    assert!(
        message.starts_with("newer.yaml: this spec lacks or changes 1 thing(s)"),
        "{message}"
    );
    assert!(
        message.contains(
            "`getChannel` with the required parameters `requestId` (the spec requires `requestId`, `lang`"
        ),
        "{message}"
    );
}

#[test]
fn a_property_made_required_in_a_body_the_crates_build_is_named_once() {
    let message = gate(|doc| {
        let dto = &mut doc["components"]["schemas"]["OtpHandlerSendRequestDto"];
        dto["properties"]["lang"] = serde_norway::from_str("{type: string}").unwrap();
        dto["required"] = serde_norway::from_str("[widgetId, recipient, lang]").unwrap();
    })
    .unwrap_err();
    assert!(
        message.starts_with("newer.yaml: this spec lacks or changes 1 thing(s)"),
        "{message}"
    );
    assert!(
        message.contains("`OtpHandlerSendRequestDto` with the required properties `widgetId`, `recipient` (the spec requires `widgetId`, `recipient`, `lang`"),
        "{message}"
    );
}

/// Every change the service calls compatible passes the gate, on the vendor's file as
/// published (none of this project's `x-` marks: the bundled overlay brings them).
#[test]
fn compatible_changes_to_the_vendor_s_file_pass() {
    gate(|doc| {
        strip_extensions(doc);
        let values = doc["components"]["schemas"]["ExceptionType"]["enum"]
            .as_sequence_mut()
            .unwrap();
        values.push(Value::from("BrandNewException"));
        let schemas = &mut doc["components"]["schemas"];
        schemas["OtpHandlerSendRequestDto"]["properties"]["lang"] =
            serde_norway::from_str("{type: string}").unwrap();
        schemas["OtpHandlerGetStatusResponseDto"]["properties"]["expiresAt"] =
            serde_norway::from_str("{type: string, format: date-time}").unwrap();
        let lang: Value =
            serde_norway::from_str("{name: lang, in: query, schema: {type: string}}").unwrap();
        let status = &mut doc["paths"]["/{requestId}/status"]["get"];
        status["parameters"]
            .as_sequence_mut()
            .unwrap()
            .push(lang.clone());
        status["responses"]["429"] =
            serde_norway::from_str("{$ref: '#/components/responses/Forbidden'}").unwrap();
        doc["paths"]["/"]["post"]["parameters"] = Value::Sequence(vec![lang]);
        let paths = doc["paths"].as_mapping_mut().unwrap();
        let resend = paths.get("/{requestId}/resend").unwrap().clone();
        let mut attempts = resend;
        attempts["post"]["operationId"] = Value::from("getAttempts");
        paths.insert(Value::from("/{requestId}/attempts"), attempts);
    })
    .unwrap();
}

fn strip_extensions(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            map.retain(|key, _| !key.as_str().is_some_and(|k| k.starts_with("x-")));
            map.values_mut().for_each(strip_extensions);
        }
        Value::Sequence(items) => items.iter_mut().for_each(strip_extensions),
        _ => {}
    }
}

#[test]
fn a_request_field_made_optional_is_named() {
    let message = gate(|doc| {
        doc["components"]["schemas"]["OtpHandlerSendRequestDto"]["required"] =
            serde_norway::from_str("[widgetId]").unwrap();
    })
    .unwrap_err();
    assert!(
        message.contains("`OtpHandlerSendRequestDto` with the required properties `widgetId`, `recipient` (the spec requires `widgetId`"),
        "{message}"
    );
}
