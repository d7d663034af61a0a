//! The rules the codegen enforces on a spec, each with the message a person editing the spec
//! would read.

use otp_client_codegen::{Spec, Target, generate};

const SPEC: &str = r##"
openapi: 3.0.3
info: { title: rules, version: 1.0.0 }
paths:
  /things/{thingId}:
    get:
      operationId: getThing
      parameters:
        - name: thingId
          in: path
          required: true
          schema: { type: string, format: uuid }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Thing" }
components:
  schemas:
    Thing:
      type: object
      properties:
        name: { type: string }
"##;

#[test]
fn a_uuid_path_parameter_generates() {
    let spec = Spec::parse("rules.yaml", SPEC).unwrap();
    for target in Target::ALL {
        let generated = generate(&spec, target).unwrap();
        assert_eq!(generated.methods, ["get_thing"]);
    }
}

#[test]
fn a_plain_string_path_parameter_is_refused() {
    let text = SPEC.replace("{ type: string, format: uuid }", "{ type: string }");
    let spec = Spec::parse("rules.yaml", &text).unwrap();
    let err = generate(&spec, Target::Async).unwrap_err().to_string();
    assert!(
        err.contains("rules.yaml")
            && err.contains("getThing")
            && err.contains("`thingId`")
            && err.contains("not a UUID"),
        "{err}"
    );
}

#[test]
fn an_operation_without_an_id_is_refused() {
    let text = SPEC.replace("      operationId: getThing\n", "");
    let err = Spec::parse("rules.yaml", &text).unwrap_err().to_string();
    assert!(
        err.contains("GET /things/{thingId}") && err.contains("operationId"),
        "{err}"
    );
}

#[test]
fn the_real_spec_says_which_success_bodies_an_error_body_would_pass_for() {
    let spec = Spec::bundled();
    let lenient: Vec<String> = spec
        .operations()
        .into_iter()
        .filter(|op| op.error_decodes_as_success)
        .map(|op| op.id)
        .collect();
    // Their success schemas require nothing, so `{type, message, httpStatus}` decodes as
    // one; every other success requires `success` or `requestId`.
    assert_eq!(
        lenient,
        ["getWidget", "getChannel", "getChannelLongPolling"],
        "operations whose success body must be looked at before decoding"
    );
}
