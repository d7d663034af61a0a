//! The generator's fidelity: every component schema of the spec the client was generated from
//! (the bundled one, or `OTP_HANDLER_SPEC`'s: `cargo xtask fidelity FILE`) beside the JSON
//! Schema its Rust type gives of itself (the `schemars` feature), compared by
//! `otp_spec::fidelity`. The differences made on purpose are `otp_spec::fidelity::DELIBERATE`.

use otp_spec::Spec;
use otp_spec::fidelity::{Mismatch, compare, report};
use serde_json::{Map, Value};

/// The generated types' schemas, as the comparison reads them, and the definitions of the
/// types they name.
fn generated() -> (Vec<(&'static str, Value)>, Map<String, Value>) {
    let mut generator = schemars::r#gen::SchemaGenerator::default();
    let schemas = otp_client::schemas(&mut generator)
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).expect("a schema")))
        .collect();
    let definitions = serde_json::to_value(generator.definitions()).expect("definitions");
    let Value::Object(definitions) = definitions else {
        panic!("the definitions are not an object: {definitions}");
    };
    (schemas, definitions)
}

/// What `compare` finds for `changed` that it does not for the spec the client was built
/// from: the tests that change the spec hold whatever spec that is.
fn new_mismatches(changed: &Spec) -> Vec<Mismatch> {
    let (generated, definitions) = generated();
    let before = compare(&spec(otp_client::SPEC), &generated, &definitions);
    compare(changed, &generated, &definitions)
        .into_iter()
        .filter(|m| !before.contains(m))
        .collect()
}

fn spec(text: &str) -> Spec {
    Spec::parse("otp_client::SPEC", text).expect("the spec parses")
}

#[test]
fn every_generated_type_describes_the_documents_its_schema_describes() {
    let spec = spec(otp_client::SPEC);
    let (generated, definitions) = generated();
    let schemas = spec
        .openapi()
        .components
        .as_ref()
        .map_or(0, |c| c.schemas.len());
    assert!(schemas > 0, "the spec has no component schema");
    assert_eq!(generated.len(), schemas, "one generated type per schema");
    let mismatches = compare(&spec, &generated, &definitions);
    assert!(
        mismatches.is_empty(),
        "the generated types differ from the spec:\n{}",
        report(&mismatches)
    );
}

#[test]
fn a_field_whose_type_changed_in_the_spec_is_named() {
    let mut yaml: serde_norway::Value = serde_norway::from_str(otp_client::SPEC).unwrap();
    // The first property of a component schema typed integer, number or boolean (the bundled
    // spec's first is `OtpHandlerGetWidgetResponseDto.isBlocked`), made a string.
    let schemas = yaml["components"]["schemas"].as_mapping_mut().unwrap();
    let changed_at = schemas
        .iter_mut()
        .find_map(|(name, schema)| {
            let properties = schema["properties"].as_mapping_mut()?;
            properties.iter_mut().find_map(|(property, value)| {
                let kind = value["type"].as_str()?.to_string();
                ["integer", "number", "boolean"]
                    .contains(&kind.as_str())
                    .then(|| {
                        *value = serde_norway::from_str("{type: string}").unwrap();
                        (
                            format!("{}.{}", name.as_str().unwrap(), property.as_str().unwrap()),
                            kind,
                        )
                    })
            })
        })
        .expect("the spec has a property typed integer, number or boolean");
    let changed = spec(&serde_norway::to_string(&yaml).unwrap());
    let mismatches = new_mismatches(&changed);
    assert_eq!(mismatches.len(), 1, "{}", report(&mismatches));
    let only = &mismatches[0];
    assert_eq!(only.at, changed_at.0, "{only}");
    assert_eq!(only.spec, "a string", "{only}");
    assert!(only.rust.ends_with(&changed_at.1), "{only}");
}

#[test]
fn a_schema_without_a_generated_type_is_named() {
    let mut yaml: serde_norway::Value = serde_norway::from_str(otp_client::SPEC).unwrap();
    yaml["components"]["schemas"]["Unlisted"] = serde_norway::from_str("{type: string}").unwrap();
    let changed = spec(&serde_norway::to_string(&yaml).unwrap());
    let mismatches = new_mismatches(&changed);
    assert_eq!(
        mismatches.iter().map(|m| m.at.as_str()).collect::<Vec<_>>(),
        ["Unlisted"],
        "{}",
        report(&mismatches)
    );
}
