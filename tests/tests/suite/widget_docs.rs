//! `WidgetBackend::document` (otp-widget's `aide` feature): the widget's routes in an
//! application's own OpenAPI document, as the router serves them.

use otp_spec::{Spec, WidgetExposure};
use serde_json::Value;

fn documented(expose_complete: bool) -> Value {
    let client = otp_client::Client::builder("token").build().unwrap();
    let widget = otp_widget::WidgetBackend::builder(client, [uuid::Uuid::nil()])
        .expose_complete(expose_complete)
        .build()
        .unwrap();
    let mut api = aide::openapi::OpenApi::default();
    widget.document(&mut api, "/otp/").unwrap();
    serde_json::to_value(&api).unwrap()
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_routes_the_widget_serves_are_documented_and_no_other() {
    let spec = Spec::parse("otp_client::SPEC", otp_client::SPEC).unwrap();
    for expose_complete in [true, false] {
        let api = documented(expose_complete);
        let mut served_count = 0;
        let documented_count: usize = api["paths"].as_object().map_or(0, |paths| {
            paths
                .values()
                .map(|item| item.as_object().map_or(0, |m| m.len()))
                .sum()
        });
        for op in spec.operations() {
            let served = op.widget == Some(WidgetExposure::Browser)
                && (op.id != "complete" || expose_complete);
            let at = &api["paths"][format!("/otp{}", op.path)][op.http_method.to_lowercase()];
            assert_eq!(
                at.is_object(),
                served,
                "{} (complete exposed: {expose_complete}): documented {at}",
                op.id
            );
            if served {
                served_count += 1;
                assert_eq!(at["operationId"], op.id.as_str(), "{}", op.id);
                assert!(
                    at["responses"]["429"].is_object(),
                    "{}: the widget's 429",
                    op.id
                );
                // Only a route that takes a body refuses one that is not JSON.
                assert_eq!(
                    at["responses"]["415"].is_object(),
                    at["requestBody"].is_object(),
                    "{}: 415 where a body is taken: {at}",
                    op.id
                );
                // No requirement of its own (the spec's bearer token is the back end's).
                assert!(
                    at["security"].as_array().is_none_or(Vec::is_empty),
                    "{}: {at}",
                    op.id
                );
            }
        }
        // And no other: as many operations documented as served (some are).
        assert!(served_count > 0, "no operation served");
        assert_eq!(documented_count, served_count, "{}", api["paths"]);
    }
}

#[test]
fn every_reference_of_the_documented_routes_resolves_in_the_document() {
    let api = documented(true);
    let mut found = Vec::new();
    refs(&api, &mut found);
    assert!(found.len() > 10, "few references: {found:?}");
    for reference in found {
        let pointer = reference.strip_prefix('#').unwrap_or(reference);
        assert!(
            api.pointer(pointer).is_some(),
            "{reference} does not resolve in the document"
        );
    }
    assert_eq!(
        api["components"]["schemas"]["OtpHandlerGetStatusResponseDto"]["required"],
        serde_json::json!(["success"])
    );
    // `send` takes the captcha token, and says it may ask for one.
    let send = &api["paths"]["/otp/"]["post"];
    let body = serde_json::to_string(&send["requestBody"]).unwrap();
    assert!(body.contains("captchaToken"), "{body}");
    let forbidden = send["responses"]["403"]["description"].as_str().unwrap();
    assert!(
        forbidden.contains("CaptchaNotConfirmedException")
            && forbidden.contains("ForbiddenException"),
        "{forbidden}"
    );
}
