//! What progenitor's type space says generated code needs of otp-client's optional crates
//! (its `chrono` and `regress` features): nothing for the bundled spec, chrono for a
//! `date-time`, regress for a `pattern`.

use otp_client_codegen::{Needs, Overlay, Spec, Target, generate};
use serde_norway::Value;

const SPEC: &str = include_str!("../../openapi/otp-handler.yaml");

fn needs(edit: impl FnOnce(&mut Value)) -> Needs {
    let mut doc: Value = serde_norway::from_str(SPEC).unwrap();
    edit(&mut doc);
    let text = serde_norway::to_string(&doc).unwrap();
    let spec = Spec::parse_overlaid("newer.yaml", &text, &[Overlay::bundled()])
        .unwrap()
        .spec;
    generate(&spec, Target::Async).unwrap().needs
}

fn property(doc: &mut Value, schema: &str, name: &str, yaml: &str) {
    doc["components"]["schemas"][schema]["properties"][name] =
        serde_norway::from_str(yaml).unwrap();
}

#[test]
fn the_bundled_spec_needs_neither_chrono_nor_regress() {
    let needs = needs(|_| {});
    assert!(!needs.chrono && !needs.regress, "{needs:?}");
}

#[test]
fn a_date_time_needs_chrono_and_a_pattern_regress() {
    let dated = needs(|doc| {
        property(
            doc,
            "OtpHandlerGetStatusResponseDto",
            "expiresAt",
            "{type: string, format: date-time}",
        )
    });
    assert!(dated.chrono && !dated.regress, "{dated:?}");
    let patterned = needs(|doc| {
        property(
            doc,
            "OtpHandlerSendRequestDto",
            "lang",
            "{type: string, pattern: '^[a-z]{2}$'}",
        )
    });
    assert!(!patterned.chrono && patterned.regress, "{patterned:?}");
}
