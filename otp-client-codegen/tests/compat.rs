//! The compatibility gate: a spec that lost what the hand-written layer relies on stops the
//! build with one message listing each missing piece and what needs it.

use otp_client_codegen::{CodegenError, Spec, check_compatibility};
use serde_yaml::Value;

const SPEC: &str = include_str!("../../openapi/otp-handler.yaml");

/// The bundled spec, changed by `edit`, then checked.
fn gate(edit: impl FnOnce(&mut Value)) -> Result<(), String> {
    let mut doc: Value = serde_yaml::from_str(SPEC).unwrap();
    edit(&mut doc);
    let text = serde_yaml::to_string(&doc).unwrap();
    let spec = Spec::parse("newer.yaml", &text).map_err(|e| format!("parse: {e}"))?;
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
        message.contains("`OtpHandlerCheckCodeRequestDto` with exactly the properties `code`"),
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
fn a_parameter_added_to_an_operation_the_crates_call_is_named() {
    let message = gate(|doc| {
        let params = doc["paths"]["/{requestId}/channel"]["get"]["parameters"]
            .as_sequence_mut()
            .unwrap();
        params
            .push(serde_yaml::from_str("{name: lang, in: query, schema: {type: string}}").unwrap());
    })
    .unwrap_err();
    assert!(
        message.contains(
            "`getChannel` with exactly the parameters `requestId` (the spec has `requestId`, `lang`"
        ),
        "{message}"
    );
}

#[test]
fn additions_pass() {
    gate(|doc| {
        let values = doc["components"]["schemas"]["ExceptionType"]["enum"]
            .as_sequence_mut()
            .unwrap();
        values.push(Value::from("BrandNewException"));
        let paths = doc["paths"].as_mapping_mut().unwrap();
        let resend = paths.get("/{requestId}/resend").unwrap().clone();
        let mut cancel = resend;
        cancel["post"]["operationId"] = Value::from("cancel");
        paths.insert(Value::from("/{requestId}/cancel"), cancel);
    })
    .unwrap();
}

#[test]
fn a_spec_without_this_project_s_extensions_is_refused_saying_where_to_start() {
    let message = gate(|doc| {
        let schemas = &mut doc["components"]["schemas"];
        schemas["ExceptionType"]
            .as_mapping_mut()
            .unwrap()
            .remove("x-extensible-enum");
        doc["paths"]["/longPolling/{requestId}/status"]["get"]
            .as_mapping_mut()
            .unwrap()
            .remove("x-long-polling");
    })
    .unwrap_err();
    for piece in [
        "`x-extensible-enum: true` on the schema `ExceptionType`",
        "`x-long-polling: true` on `getStatusLongPolling`",
        "start from the bundled spec",
    ] {
        assert!(message.contains(piece), "{piece} not in: {message}");
    }
}

#[test]
fn a_request_field_made_optional_is_named() {
    let message = gate(|doc| {
        doc["components"]["schemas"]["OtpHandlerSendRequestDto"]["required"] =
            serde_yaml::from_str("[widgetId]").unwrap();
    })
    .unwrap_err();
    assert!(
        message.contains("`OtpHandlerSendRequestDto` with exactly the properties `widgetId`, `recipient`, all required"),
        "{message}"
    );
}
