//! `cargo xtask diff`, run as users run it, on fixture pairs: one per kind of change, each
//! with its expected classification; a realistic change of the real spec; bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

fn diff_json(old: &Path, new: &Path) -> Value {
    let out = xtask(&[
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "json",
        "--allow-breaking",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// (fixture, scope, expected breaking, a piece of the `what`, a Rust item that changes)
const CASES: &[(&str, &str, bool, &str, Option<&str>)] = &[
    (
        "operation-added",
        "archiveThing",
        false,
        "operation added",
        Some("added Client::archive_thing"),
    ),
    (
        "operation-removed",
        "createThing",
        true,
        "operation removed",
        Some("removed Client::create_thing"),
    ),
    (
        "method-changed",
        "createThing",
        true,
        "endpoint changed: POST /things → PUT /things",
        None,
    ),
    (
        "path-changed",
        "createThing",
        true,
        "endpoint changed: POST /things → POST /things/new",
        None,
    ),
    (
        "parameter-required-added",
        "getThing",
        true,
        "required query parameter `tenant` added",
        Some("changed Client::get_thing"),
    ),
    (
        "parameter-optional-added",
        "getThing",
        true,
        "optional query parameter `fields` added",
        Some("changed Client::get_thing"),
    ),
    (
        "parameter-removed",
        "getThing",
        true,
        "query parameter `verbose` removed",
        Some("changed Client::get_thing"),
    ),
    (
        "parameter-type-changed",
        "getThing",
        true,
        "parameter `verbose` type boolean → string",
        Some("changed Client::get_thing"),
    ),
    (
        "parameter-required-changed",
        "getThing",
        true,
        "parameter `verbose` is now required",
        Some("changed Client::get_thing"),
    ),
    (
        "parameter-moved",
        "getThing",
        true,
        "parameter `verbose` moved from query to header",
        None,
    ),
    (
        "request-field-added",
        "createThing",
        true,
        "request body: optional field `color` added",
        Some("added types::NewThing::color"),
    ),
    (
        "response-field-added",
        "getThing",
        false,
        "response 200: optional field `color` added",
        Some("added types::Thing::color"),
    ),
    (
        "response-field-removed",
        "getThing",
        true,
        "response 200: field `name` removed",
        Some("removed types::Thing::name"),
    ),
    (
        "field-renamed",
        "getThing",
        true,
        "field `name` removed (renamed to `title`?)",
        Some("added types::Thing::title"),
    ),
    (
        "field-now-required",
        "getThing",
        true,
        "field `name` is now required",
        Some("changed types::Thing::name"),
    ),
    (
        "field-type-changed",
        "getThing",
        true,
        "response 200.id: type string(uuid) → integer",
        Some("changed types::Thing::id"),
    ),
    (
        "field-format-changed",
        "getThing",
        true,
        "response 200.id: type string(uuid) → string",
        Some("changed types::Thing::id"),
    ),
    (
        "nested-field-changed",
        "getThing",
        true,
        "response 200.settings: field `lifetime` removed",
        Some("removed types::Settings::lifetime"),
    ),
    (
        "enum-value-added",
        "getThing",
        false,
        "response 200.kind: enum value `huge` added",
        Some("added types::Kind::Huge"),
    ),
    (
        "enum-value-removed",
        "getThing",
        true,
        "response 200.kind: enum value `large` removed",
        Some("removed types::Kind::Large"),
    ),
    (
        "closed-enum-value-added",
        "getThing",
        true,
        "response 200.kind: enum value `huge` added",
        None,
    ),
    (
        "status-added",
        "getThing",
        false,
        "error status 409 added (ThingBusyException)",
        None,
    ),
    (
        "status-removed",
        "createThing",
        false,
        "error status 400 removed (BadThingException)",
        None,
    ),
    (
        "exception-added",
        "createThing",
        false,
        "400: exception type NameTakenException added",
        None,
    ),
    (
        "exception-removed",
        "getThing",
        false,
        "404: exception type ThingNotFoundException removed",
        None,
    ),
    (
        "server-added",
        "servers",
        false,
        "server `stage` (https://stage.example.com/v1) added",
        None,
    ),
    (
        "server-changed",
        "servers",
        true,
        "server `production`: https://api.example.com/v1 → https://api.example.org/v2",
        None,
    ),
    (
        "security-scheme-changed",
        "security",
        true,
        "security scheme `bearer` changed",
        None,
    ),
];

#[test]
fn every_kind_of_change_is_found_and_classified() {
    let base = fixtures().join("base.yaml");
    let mut covered = Vec::new();
    for (fixture, scope, breaking, what, rust) in CASES {
        let report = diff_json(&base, &fixtures().join(format!("{fixture}.yaml")));
        let changes = report["changes"].as_array().unwrap();
        let found = changes
            .iter()
            .find(|c| c["scope"] == *scope && c["what"].as_str().unwrap().contains(what));
        let change = found.unwrap_or_else(|| {
            panic!("{fixture}: no {scope} change like `{what}` in {changes:#?}")
        });
        assert_eq!(change["breaking"], *breaking, "{fixture}: {change}");
        // Text and Markdown list it under the same severity as JSON.
        let new = fixtures().join(format!("{fixture}.yaml"));
        let full_what = change["what"].as_str().unwrap();
        for (format, breaking_header, other_header) in [
            ("text", "\nBreaking\n", "\nNon-breaking\n"),
            ("markdown", "\n### Breaking\n", "\n### Non-breaking\n"),
        ] {
            let out = xtask(&[
                "diff",
                base.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                format,
            ]);
            let rendered = String::from_utf8_lossy(&out.stdout);
            let at = rendered
                .find(full_what)
                .unwrap_or_else(|| panic!("{fixture} {format}: `{full_what}` not in:\n{rendered}"));
            let before = &rendered[..at];
            let under_breaking = before
                .rfind(breaking_header)
                .map(|i| i as i64)
                .unwrap_or(-1)
                > before.rfind(other_header).map(|i| i as i64).unwrap_or(-1);
            assert_eq!(
                under_breaking, *breaking,
                "{fixture} {format}: `{full_what}` is under the wrong severity in:\n{rendered}"
            );
        }
        assert!(
            !change["reason"].as_str().unwrap().is_empty(),
            "{fixture}: a reason"
        );
        if let Some(rust) = rust {
            let (kind, item) = rust.split_once(' ').unwrap();
            let rust_changes = report["rust"].as_array().unwrap();
            assert!(
                rust_changes
                    .iter()
                    .any(|r| r["kind"] == kind && r["item"] == item),
                "{fixture}: expected Rust change {rust} in {rust_changes:#?}"
            );
        }
        covered.push(format!("{fixture}.yaml"));
    }
    // Every fixture has a case.
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "base.yaml" || covered.contains(&name),
            "fixture {name} has no case"
        );
    }
}

#[test]
fn the_same_spec_has_no_changes_and_exits_0() {
    let base = fixtures().join("base.yaml");
    let out = xtask(&["diff", base.to_str().unwrap(), base.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 breaking, 0 non-breaking"));
}

#[test]
fn a_breaking_change_exits_1_unless_allowed() {
    let (base, new) = (
        fixtures().join("base.yaml"),
        fixtures().join("operation-removed.yaml"),
    );
    let out = xtask(&["diff", base.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let breaking_at = text.find("Breaking").expect("a breaking section");
    assert!(text.find("Rust API").unwrap() > breaking_at);
    assert!(!text.contains('\u{1b}'), "no colour when not a terminal");
    let out = xtask(&[
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--allow-breaking",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = xtask(&[
        "diff",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("## API changes"), "{md}");
    assert!(
        md.contains("### Breaking") && md.contains("- **createThing**: operation removed"),
        "{md}"
    );
}

#[test]
fn a_realistic_change_of_the_real_spec() {
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/otp-handler.yaml");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    // A renamed field, a new optional query parameter, a new exception type, a removed operation.
    let complete = &spec[spec.find("  /{requestId}/complete:").unwrap()
        ..spec.find("  /{requestId}/resend:").unwrap()];
    let changed = spec
        .replace("        remainingCodeAttempts:", "        remainingAttempts:")
        .replace(
            "      operationId: getStatus\n      x-widget: browser\n      summary: \"Get the verification status (Запросить статус авторизации)\"\n      parameters:\n",
            "      operationId: getStatus\n      x-widget: browser\n      summary: \"Get the verification status (Запросить статус авторизации)\"\n      parameters:\n        - name: locale\n          in: query\n          required: false\n          schema: { type: string }\n",
        )
        .replace(
            "                SessionAlreadyConfirmedException:\n                  $ref: \"#/components/examples/SessionAlreadyConfirmedException\"\n",
            "                SessionAlreadyConfirmedException:\n                  $ref: \"#/components/examples/SessionAlreadyConfirmedException\"\n                RateLimitException:\n                  value: { type: RateLimitException, message: \"Слишком много запросов\", httpStatus: 409 }\n",
        )
        .replace(complete, "");
    assert_ne!(changed, spec);
    let new_path =
        std::env::temp_dir().join(format!("otp-diff-realistic-{}.yaml", std::process::id()));
    std::fs::write(&new_path, changed).unwrap();
    let report = diff_json(&spec_path, &new_path);
    let changes = report["changes"].as_array().unwrap();
    let has = |scope: &str, breaking: bool, what: &str| {
        changes.iter().any(|c| {
            c["scope"] == scope
                && c["breaking"] == breaking
                && c["what"].as_str().unwrap().contains(what)
        })
    };
    assert!(
        has(
            "getChannel",
            true,
            "field `remainingCodeAttempts` removed (renamed to `remainingAttempts`?)"
        ),
        "{changes:#?}"
    );
    assert!(
        has("getStatus", true, "optional query parameter `locale` added"),
        "{changes:#?}"
    );
    assert!(
        has(
            "resend",
            false,
            "409: exception type RateLimitException added"
        ),
        "{changes:#?}"
    );
    assert!(has("complete", true, "operation removed"), "{changes:#?}");
    let rust = report["rust"].as_array().unwrap();
    for (krate, kind, item) in [
        ("otp-client", "removed", "Client::complete"),
        ("otp-client-blocking", "removed", "Client::complete"),
        ("otp-client", "changed", "Client::get_status"),
        ("otp-client-blocking", "changed", "Client::get_status"),
        (
            "otp-client",
            "added",
            "types::OtpHandlerGetChannelResponseDto::remaining_attempts",
        ),
    ] {
        assert!(
            rust.iter()
                .any(|r| r["krate"] == krate && r["kind"] == kind && r["item"] == item),
            "{krate} {kind} {item}: {rust:#?}"
        );
    }
    let _ = std::fs::remove_file(new_path);
}

#[test]
fn bad_input_is_one_clear_line_and_exit_code_2() {
    let unparsable = std::env::temp_dir().join(format!("otp-diff-bad-{}.yaml", std::process::id()));
    std::fs::write(&unparsable, "openapi: [3.0.3\n").unwrap();
    let base = fixtures().join("base.yaml");
    for (args, expected) in [
        (
            vec!["diff", "no/such/spec.yaml"],
            "no/such/spec.yaml: no such file",
        ),
        (
            vec!["diff", unparsable.to_str().unwrap()],
            "not a valid OpenAPI document",
        ),
        (
            vec!["diff", "no-such-revision-xyz", base.to_str().unwrap()],
            "neither a file nor a known git revision",
        ),
    ] {
        let out = xtask(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let _ = std::fs::remove_file(unparsable);
}

#[test]
fn a_field_added_to_a_generated_struct_breaks_its_struct_literals() {
    let base = fixtures().join("base.yaml");
    let report = diff_json(&base, &fixtures().join("response-field-added.yaml"));
    let rust = report["rust"].as_array().unwrap();
    let added = rust
        .iter()
        .find(|r| r["kind"] == "added" && r["item"].as_str().unwrap().matches("::").count() == 2)
        .unwrap_or_else(|| panic!("an added field: {rust:#?}"));
    assert_eq!(added["breaking"], true, "{added}");
    assert!(
        added["action"].as_str().unwrap().contains("struct literal"),
        "{added}"
    );
    // Every format says so: the change is listed under the Rust API's breaking changes.
    let (base, new) = (
        base.to_str().unwrap(),
        fixtures().join("response-field-added.yaml"),
    );
    let item = added["item"].as_str().unwrap();
    for format in ["text", "markdown"] {
        let out = xtask(&["diff", base, new.to_str().unwrap(), "--format", format]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{format}: a breaking change exits 1"
        );
        let report = String::from_utf8_lossy(&out.stdout);
        let breaking = report
            .find("Rust API: breaking")
            .unwrap_or_else(|| panic!("{format}: no breaking Rust API section in:\n{report}"));
        let at = report
            .find(item)
            .unwrap_or_else(|| panic!("{format}: {item} not in:\n{report}"));
        let compatible = report.find("Rust API: compatible").unwrap_or(usize::MAX);
        assert!(
            breaking < at && at < compatible,
            "{format}: {item} is not under the breaking Rust API changes:\n{report}"
        );
        assert!(
            report.contains("must add the new item"),
            "{format}: no action in:\n{report}"
        );
    }
}
