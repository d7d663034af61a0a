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

/// (fixture, subject, wire breaking, Rust breaking, a piece of the `what`, a Rust item that
/// changes). Both sides are read as the build reads them: the bundled overlay applied, which
/// marks none of the fixtures' operations.
type Case = (
    &'static str,
    &'static str,
    bool,
    bool,
    &'static str,
    Option<&'static str>,
);

#[rustfmt::skip]
const CASES: &[Case] = &[
    ("operation-added", "archiveThing", false, false, "operation added", Some("added Client::archive_thing")),
    ("operation-removed", "createThing", true, true, "operation removed", Some("removed Client::create_thing")),
    ("method-changed", "createThing", true, false, "endpoint changed: POST /things → PUT /things", None),
    ("path-changed", "createThing", true, false, "endpoint changed: POST /things → POST /things/new", None),
    ("parameter-required-added", "getThing", true, true, "required query parameter `tenant` added", Some("changed Client::get_thing")),
    ("parameter-optional-added", "getThing", false, false, "optional query parameter `fields` added", Some("added options::GetThingOptions::fields")),
    ("parameter-removed", "getThing", true, true, "query parameter `verbose` removed", Some("removed options::GetThingOptions::verbose")),
    ("parameter-type-changed", "getThing", true, true, "parameter `verbose`: type `boolean` → `string`", Some("changed options::GetThingOptions::verbose")),
    ("parameter-required-changed", "getThing", true, true, "parameter `verbose` is now required", Some("changed Client::get_thing")),
    ("parameter-moved", "getThing", true, false, "parameter `verbose` moved from query to header", None),
    ("request-field-added", "schema NewThing", false, false, "optional field `color` added", Some("added types::NewThing::color")),
    ("response-field-added", "schema Thing", false, false, "optional field `color` added", Some("added types::Thing::color")),
    ("response-field-removed", "schema Thing", true, true, "field `name` removed", Some("removed types::Thing::name")),
    ("field-renamed", "schema Thing", true, true, "field `name` removed (renamed to `title`?)", Some("added types::Thing::title")),
    ("field-now-required", "schema Thing", false, true, "field `name` is now required", Some("changed types::Thing::new()")),
    ("field-type-changed", "schema Thing", true, true, "`id`: type `string(uuid)` → `integer`", Some("changed types::Thing::id")),
    ("field-format-changed", "schema Thing", true, true, "`id`: type `string(uuid)` → `string`", Some("changed types::Thing::id")),
    ("nested-field-changed", "schema Settings", true, true, "field `lifetime` removed", Some("removed types::Settings::lifetime")),
    ("enum-value-added", "schema Kind", false, false, "enum value `huge` added", Some("added types::Kind::Huge")),
    ("enum-value-removed", "schema Kind", false, true, "enum value `large` removed", Some("removed types::Kind::Large")),
    // Every string enum under components/schemas is open, marked or not.
    ("closed-enum-value-added", "schema Kind", false, false, "enum value `huge` added", Some("added types::Kind::Huge")),
    ("status-added", "getThing", false, false, "error status 409 added (ThingBusyException)", None),
    ("status-removed", "createThing", false, false, "error status 400 removed (BadThingException)", None),
    ("exception-added", "exceptions", false, false, "`NameTakenException` newly documented by createThing 400", None),
    ("exception-removed", "exceptions", false, false, "`ThingNotFoundException` no longer documented by getThing 404", None),
    ("server-added", "servers", false, false, "server `stage` (https://stage.example.com/v1) added", None),
    ("server-changed", "servers", true, false, "server `production`: https://api.example.com/v1 → https://api.example.org/v2", None),
    ("security-scheme-changed", "security", true, false, "security scheme `bearer` changed", None),
];

#[test]
fn every_kind_of_change_is_found_once_with_both_severities() {
    let base = fixtures().join("base.yaml");
    let mut covered = Vec::new();
    for (fixture, subject, wire, rust, what, rust_item) in CASES {
        let new = fixtures().join(format!("{fixture}.yaml"));
        let report = diff_json(&base, &new);
        let changes = report["changes"].as_array().unwrap();
        let found: Vec<_> = changes
            .iter()
            .filter(|c| c["what"].as_str().unwrap().contains(what))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{fixture}: one change like `{what}` in {changes:#?}"
        );
        let change = found[0];
        assert_eq!(change["subject"], *subject, "{fixture}: {change}");
        let severity = |breaking: bool| if breaking { "breaking" } else { "compatible" };
        assert_eq!(
            change["wire"]["severity"],
            severity(*wire),
            "{fixture}: {change}"
        );
        assert_eq!(
            change["rust"]["severity"],
            severity(*rust),
            "{fixture}: {change}"
        );
        for side in ["wire", "rust"] {
            assert!(
                !change[side]["reason"].as_str().unwrap().is_empty(),
                "{fixture}: a reason for {side}"
            );
        }
        // The generated API agrees with the Rust severities: something of it breaks exactly
        // when a change breaks Rust code.
        let rust_changes = report["rust_api"].as_array().unwrap();
        let api_breaks = rust_changes.iter().any(|r| r["breaking"] == true);
        let spec_breaks_rust = changes.iter().any(|c| c["rust"]["severity"] == "breaking");
        assert_eq!(
            api_breaks, spec_breaks_rust,
            "{fixture}: the generated API {rust_changes:#?} against {changes:#?}"
        );
        if let Some(rust_item) = rust_item {
            let (kind, item) = rust_item.split_once(' ').unwrap();
            assert!(
                rust_changes
                    .iter()
                    .any(|r| r["kind"] == kind && r["item"] == item),
                "{fixture}: expected the generated API change {rust_item} in {rust_changes:#?}"
            );
        }
        // Text and Markdown list it once, under the section of its worse severity.
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
            assert_eq!(
                rendered.matches(full_what).count(),
                1,
                "{fixture} {format}:\n{rendered}"
            );
            let at = rendered.find(full_what).unwrap();
            let before = &rendered[..at];
            let position = |header: &str| before.rfind(header).map_or(-1, |i| i as i64);
            assert_eq!(
                position(breaking_header) > position(other_header),
                *wire || *rust,
                "{fixture} {format}: `{full_what}` is under the wrong section in:\n{rendered}"
            );
            let breaking = changes.iter().any(|c| {
                c["wire"]["severity"] == "breaking" || c["rust"]["severity"] == "breaking"
            });
            assert_eq!(
                out.status.code(),
                Some(if breaking { 1 } else { 0 }),
                "{fixture} {format}"
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
    assert!(text.find("Generated API: breaking").unwrap() > breaking_at);
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
    // A renamed field, a new optional query parameter, an exception type newly documented,
    // a removed operation (which the widget exposed).
    let complete = &spec[spec.find("  /{requestId}/complete:").unwrap()
        ..spec.find("  /{requestId}/resend:").unwrap()];
    let status_parameters = "      operationId: getStatus\n      summary: \"Get the verification status (Запросить статус авторизации)\"\n      parameters:\n";
    let changed = spec
        .replace("        remainingCodeAttempts:", "        remainingAttempts:")
        .replace(
            status_parameters,
            &format!("{status_parameters}        - name: locale\n          in: query\n          required: false\n          schema: {{ type: string }}\n"),
        )
        .replace(
            "                SessionAlreadyConfirmedException:\n                  $ref: \"#/components/examples/SessionAlreadyConfirmedException\"\n",
            "                SessionAlreadyConfirmedException:\n                  $ref: \"#/components/examples/SessionAlreadyConfirmedException\"\n                RateLimitException:\n                  value: { type: RateLimitException, message: \"Слишком много запросов\", httpStatus: 409 }\n",
        )
        .replace(complete, "");
    assert_eq!(
        changed.matches("name: locale").count(),
        1,
        "the parameter is added"
    );
    let new_path =
        std::env::temp_dir().join(format!("otp-diff-realistic-{}.yaml", std::process::id()));
    std::fs::write(&new_path, changed).unwrap();
    let report = diff_json(&spec_path, &new_path);
    let changes = report["changes"].as_array().unwrap();
    let has = |subject: &str, wire: &str, rust: &str, what: &str| {
        changes.iter().any(|c| {
            c["subject"] == subject
                && c["wire"]["severity"] == wire
                && c["rust"]["severity"] == rust
                && c["what"].as_str().unwrap().contains(what)
        })
    };
    assert!(
        has(
            "schema OtpHandlerGetChannelResponseDto",
            "breaking",
            "breaking",
            "field `remainingCodeAttempts` removed (renamed to `remainingAttempts`?)"
        ),
        "{changes:#?}"
    );
    assert!(
        has(
            "getStatus",
            "compatible",
            "compatible",
            "optional query parameter `locale` added"
        ),
        "{changes:#?}"
    );
    assert!(
        has(
            "exceptions",
            "compatible",
            "compatible",
            "`RateLimitException` newly documented by resend 409"
        ),
        "{changes:#?}"
    );
    assert!(
        has("complete", "breaking", "breaking", "operation removed"),
        "{changes:#?}"
    );
    let removed = changes.iter().find(|c| c["subject"] == "complete").unwrap();
    assert!(
        removed["wire"]["reason"]
            .as_str()
            .unwrap()
            .contains("widget"),
        "the widget exposed it: {removed}"
    );
    // Each change once: the renamed field's two halves, the parameter, the exception type,
    // the operation.
    assert_eq!(changes.len(), 5, "{changes:#?}");
    let rust = report["rust_api"].as_array().unwrap();
    for (krate, kind, item) in [
        ("otp-client", "removed", "Client::complete"),
        ("otp-client-blocking", "removed", "Client::complete"),
        ("otp-client", "added", "options::GetStatusOptions::locale"),
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
    assert!(
        !rust.iter().any(|r| r["item"] == "Client::get_status"),
        "an optional parameter leaves the method as it is: {rust:#?}"
    );
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
fn a_field_added_to_a_generated_struct_is_compatible_and_a_required_one_changes_new() {
    let base = fixtures().join("base.yaml");
    let report = diff_json(&base, &fixtures().join("response-field-added.yaml"));
    let rust = report["rust_api"].as_array().unwrap();
    let added = rust
        .iter()
        .find(|r| r["kind"] == "added" && r["item"] == "types::Thing::color")
        .unwrap_or_else(|| panic!("an added field: {rust:#?}"));
    assert_eq!(
        added["breaking"], false,
        "the struct is #[non_exhaustive]: {added}"
    );
    assert!(rust.iter().all(|r| r["breaking"] == false), "{rust:#?}");
    let new = fixtures().join("response-field-added.yaml");
    for format in ["text", "markdown"] {
        let out = xtask(&[
            "diff",
            base.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}: nothing breaks");
        let report = String::from_utf8_lossy(&out.stdout);
        let compatible = report.find("Generated API: compatible").unwrap_or_else(|| {
            panic!("{format}: no compatible generated API section in:\n{report}")
        });
        assert!(
            report[compatible..].contains("types::Thing::color"),
            "{format}:\n{report}"
        );
        assert!(
            !report.contains("Generated API: breaking"),
            "{format}:\n{report}"
        );
    }
    // A field made required changes `new`: that breaks, and says what to do.
    let report = diff_json(&base, &fixtures().join("field-now-required.yaml"));
    let rust = report["rust_api"].as_array().unwrap();
    let constructor = rust
        .iter()
        .find(|r| r["item"] == "types::Thing::new()")
        .unwrap_or_else(|| panic!("`new` changes: {rust:#?}"));
    assert_eq!(constructor["breaking"], true, "{constructor}");
    assert!(
        constructor["action"]
            .as_str()
            .unwrap()
            .contains("new signature"),
        "{constructor}"
    );
}
