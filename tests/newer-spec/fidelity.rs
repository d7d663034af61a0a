//! A user's check that the clients generated from their spec (`OTP_HANDLER_SPEC`) still mean
//! what it says: otp-client's `schemars` feature and `otp_spec::fidelity`, as the README shows.

#[test]
fn the_generated_types_mean_what_the_newer_spec_says() {
    let spec = otp_spec::Spec::parse("OTP_HANDLER_SPEC", otp_client::SPEC).unwrap();
    assert!(
        spec.operations().iter().any(|op| op.id == "cancel"),
        "built from the newer spec (its `cancel` operation)"
    );
    let mut generator = schemars::r#gen::SchemaGenerator::default();
    let schemas: Vec<_> = otp_client::schemas(&mut generator)
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap()))
        .collect();
    let serde_json::Value::Object(definitions) =
        serde_json::to_value(generator.definitions()).unwrap()
    else {
        unreachable!("a map serializes as an object")
    };
    let mismatches = otp_spec::fidelity::compare(&spec, &schemas, &definitions);
    assert!(
        mismatches.is_empty(),
        "{}",
        otp_spec::fidelity::report(&mismatches)
    );
}
