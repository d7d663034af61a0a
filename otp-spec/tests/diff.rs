//! The diff on every kind of change: each change listed once, with its operations and its
//! two severities (the wire, Rust code), in JSON, text and Markdown alike; the overlay's marks
//! an operation loses; the real spec's exception types.

use otp_spec::diff::{Change, Format, Report, Severity, compare};
use otp_spec::{Overlay, Spec};

use Severity::{Breaking as B, Compatible as C};

const BASE: &str = include_str!("fixtures/base.yaml");

/// `text` with `from` (which occurs once) replaced by `to`.
fn rep(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` occurs once");
    text.replacen(from, to, 1)
}

/// `text` less what runs from `start` up to `end`.
fn cut(text: &str, start: &str, end: &str) -> String {
    let a = text.find(start).expect("start");
    let b = a + text[a..].find(end).expect("end");
    format!("{}{}", &text[..a], &text[b..])
}

/// Both sides as the build sees them: the bundled overlay, then `overlays`.
fn diff_with(old: &str, new: &str, overlays: &[Overlay]) -> Report {
    let mut all = vec![Overlay::bundled()];
    all.extend_from_slice(overlays);
    let load = |name, text| Spec::parse_overlaid(name, text, &all).unwrap().spec;
    compare(&load("old.yaml", old), &load("new.yaml", new), "old", "new")
}

fn diff(old: &str, new: &str) -> Report {
    diff_with(old, new, &[])
}

/// The one change whose text contains `what`.
fn the_change<'a>(report: &'a Report, what: &str) -> &'a Change {
    let found: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.what.contains(what))
        .collect();
    assert_eq!(found.len(), 1, "`{what}` once in {:#?}", report.changes);
    found[0]
}

const ALL: &[&str] = &["getThing", "listThings", "createThing"];

struct Case {
    name: &'static str,
    edit: fn(&str) -> String,
    subject: &'static str,
    what: &'static str,
    wire: Severity,
    rust: Severity,
    operations: &'static [&'static str],
    /// How many changes the edit makes in all.
    total: usize,
}

const VERBOSE: &str = "        - name: verbose\n          in: query\n          required: false\n          schema: { type: boolean }\n";
const THING_NOTE: &str = "        note: { type: string }\n        size:";
const NEW_THING_NOTE: &str = "        note: { type: string }\n        kind:";

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { name: "operation added", edit: |s| rep(s, "  /things:\n", "  /archive:\n    post:\n      operationId: archiveThing\n      responses:\n        \"204\": { description: archived }\n  /things:\n"),
        subject: "archiveThing", what: "operation added (POST /archive)", wire: C, rust: C, operations: &["archiveThing"], total: 2 },
    Case { name: "operation removed", edit: |s| cut(s, "    post:\n      operationId: createThing", "components:"),
        subject: "createThing", what: "operation removed (POST /things)", wire: B, rust: B, operations: &["createThing"], total: 1 },
    Case { name: "operation renamed", edit: |s| rep(s, "operationId: createThing", "operationId: makeThing"),
        subject: "makeThing", what: "operation renamed: createThing → makeThing", wire: C, rust: B, operations: &["createThing", "makeThing"], total: 1 },
    Case { name: "endpoint changed", edit: |s| rep(s, "  /things/{thingId}:\n", "  /things/{thingId}/v2:\n"),
        subject: "getThing", what: "endpoint changed: GET /things/{thingId} → GET /things/{thingId}/v2", wire: B, rust: C, operations: &["getThing"], total: 1 },
    Case { name: "optional parameter added", edit: |s| rep(s, VERBOSE, &format!("{VERBOSE}        - name: fields\n          in: query\n          schema: {{ type: string }}\n")),
        subject: "getThing", what: "optional query parameter `fields` added", wire: C, rust: C, operations: &["getThing"], total: 1 },
    Case { name: "required parameter added", edit: |s| rep(s, VERBOSE, &format!("{VERBOSE}        - name: tenant\n          in: query\n          required: true\n          schema: {{ type: string }}\n")),
        subject: "getThing", what: "required query parameter `tenant` added", wire: B, rust: B, operations: &["getThing"], total: 1 },
    Case { name: "parameter removed", edit: |s| rep(s, VERBOSE, ""),
        subject: "getThing", what: "query parameter `verbose` removed", wire: B, rust: B, operations: &["getThing"], total: 1 },
    Case { name: "optional parameter made required", edit: |s| rep(s, VERBOSE, &VERBOSE.replace("false", "true")),
        subject: "getThing", what: "parameter `verbose` is now required", wire: B, rust: B, operations: &["getThing"], total: 1 },
    Case { name: "required parameter made optional", edit: |s| rep(s, "        - name: kind\n          in: query\n          required: true", "        - name: kind\n          in: query\n          required: false"),
        subject: "listThings", what: "parameter `kind` is now optional", wire: C, rust: B, operations: &["listThings"], total: 1 },
    Case { name: "parameter retyped", edit: |s| rep(s, "schema: { type: boolean }", "schema: { type: string }"),
        subject: "getThing", what: "parameter `verbose`: type `boolean` → `string` (Rust `bool` → `String`)", wire: B, rust: B, operations: &["getThing"], total: 1 },
    Case { name: "parameter moved", edit: |s| rep(s, VERBOSE, &VERBOSE.replace("query", "header")),
        subject: "getThing", what: "parameter `verbose` moved from query to header", wire: B, rust: C, operations: &["getThing"], total: 1 },
    Case { name: "optional request field added", edit: |s| rep(s, NEW_THING_NOTE, &NEW_THING_NOTE.replace("note: { type: string }", "note: { type: string }\n        color: { type: string }")),
        subject: "schema NewThing", what: "optional field `color` added", wire: C, rust: C, operations: &["createThing"], total: 1 },
    Case { name: "required request field added", edit: |s| rep(&rep(s, "      required: [name]\n", "      required: [name, color]\n"), NEW_THING_NOTE, &NEW_THING_NOTE.replace("note: { type: string }", "note: { type: string }\n        color: { type: string }")),
        subject: "schema NewThing", what: "required field `color` added", wire: B, rust: B, operations: &["createThing"], total: 1 },
    Case { name: "optional response field added", edit: |s| rep(s, THING_NOTE, &THING_NOTE.replace("note: { type: string }", "note: { type: string }\n        color: { type: string }")),
        subject: "schema Thing", what: "optional field `color` added", wire: C, rust: C, operations: ALL, total: 1 },
    Case { name: "required response field added", edit: |s| rep(&rep(s, "[id, name]", "[id, name, color]"), THING_NOTE, &THING_NOTE.replace("note: { type: string }", "note: { type: string }\n        color: { type: string }")),
        subject: "schema Thing", what: "required field `color` added", wire: C, rust: B, operations: ALL, total: 1 },
    Case { name: "field removed", edit: |s| rep(s, THING_NOTE, "        size:"),
        subject: "schema Thing", what: "field `note` removed", wire: B, rust: B, operations: ALL, total: 1 },
    Case { name: "request field made required", edit: |s| rep(s, "      required: [name]\n", "      required: [name, note]\n"),
        subject: "schema NewThing", what: "field `note` is now required", wire: B, rust: B, operations: &["createThing"], total: 1 },
    Case { name: "response field made required", edit: |s| rep(s, "[id, name]", "[id, name, note]"),
        subject: "schema Thing", what: "field `note` is now required", wire: C, rust: B, operations: ALL, total: 1 },
    Case { name: "response field made optional", edit: |s| rep(s, "[id, name]", "[id]"),
        subject: "schema Thing", what: "field `name` is now optional", wire: B, rust: B, operations: ALL, total: 1 },
    Case { name: "request field made optional", edit: |s| rep(s, "      required: [name]\n", "      required: []\n"),
        subject: "schema NewThing", what: "field `name` is now optional", wire: C, rust: B, operations: &["createThing"], total: 1 },
    Case { name: "field retyped", edit: |s| rep(s, "size: { type: integer, format: int32 }", "size: { type: string }"),
        subject: "schema Thing", what: "`size`: type `integer(int32)` → `string` (Rust `i32` → `String`)", wire: B, rust: B, operations: ALL, total: 1 },
    Case { name: "format that changes the Rust type", edit: |s| rep(s, "format: int32", "format: int64"),
        subject: "schema Thing", what: "`size`: type `integer(int32)` → `integer(int64)` (Rust `i32` → `i64`)", wire: B, rust: B, operations: ALL, total: 1 },
    Case { name: "format that keeps the Rust type", edit: |s| rep(s, THING_NOTE, &THING_NOTE.replace("type: string", "type: string, format: email")),
        subject: "schema Thing", what: "`note`: type `string` → `string(email)`", wire: C, rust: C, operations: ALL, total: 1 },
    Case { name: "nested field removed", edit: |s| rep(s, "lifetime: {", "lifetimeSeconds: {"),
        subject: "schema Settings", what: "field `lifetime` removed (renamed to `lifetimeSeconds`?)", wire: B, rust: B, operations: ALL, total: 2 },
    Case { name: "enum value added", edit: |s| rep(s, "enum: [small, large]", "enum: [small, large, huge]"),
        subject: "schema Kind", what: "enum value `huge` added", wire: C, rust: C, operations: ALL, total: 1 },
    Case { name: "enum value removed (the enum is also sent)", edit: |s| rep(s, "enum: [small, large]", "enum: [small]"),
        subject: "schema Kind", what: "enum value `large` removed", wire: B, rust: B, operations: ALL, total: 1 },
    Case { name: "enum value removed (answers only)", edit: |s| rep(s, "BadThingException]", "]"),
        subject: "schema ExceptionType", what: "enum value `BadThingException` removed", wire: C, rust: B, operations: ALL, total: 1 },
    Case { name: "exception type added to ExceptionType and documented", edit: |s| rep(&rep(s, "BadThingException]", "BadThingException, ThingBusyException]"), "httpStatus: 404 }\n", "httpStatus: 404 }\n                ThingBusyException:\n                  value: { type: ThingBusyException, httpStatus: 404 }\n"),
        subject: "schema ExceptionType", what: "enum value `ThingBusyException` added, documented by getThing 404", wire: C, rust: C, operations: ALL, total: 1 },
    Case { name: "exception type documented", edit: |s| rep(s, "httpStatus: 404 }\n", "httpStatus: 404 }\n                ThingGoneException:\n                  value: { type: ThingGoneException, httpStatus: 404 }\n"),
        subject: "exceptions", what: "`ThingGoneException` newly documented by getThing 404", wire: C, rust: C, operations: &["getThing"], total: 1 },
    Case { name: "response status added", edit: |s| rep(s, "        \"404\":\n", "        \"409\":\n          description: busy\n          content:\n            application/json:\n              schema: { $ref: \"#/components/schemas/ErrorResponse\" }\n        \"404\":\n"),
        subject: "getThing", what: "error status 409 added", wire: C, rust: C, operations: &["getThing"], total: 1 },
    Case { name: "error status removed", edit: |s| cut(s, "        \"404\":", "  /things:\n"),
        subject: "getThing", what: "error status 404 removed (ThingNotFoundException)", wire: C, rust: C, operations: &["getThing"], total: 1 },
    Case { name: "server added", edit: |s| rep(s, "    description: production\n", "    description: production\n  - url: https://stage.example.com/v1\n    description: stage\n"),
        subject: "servers", what: "server `stage` (https://stage.example.com/v1) added", wire: C, rust: C, operations: &[], total: 1 },
    Case { name: "server moved", edit: |s| rep(s, "https://api.example.com/v1", "https://api.example.org/v2"),
        subject: "servers", what: "server `production`: https://api.example.com/v1 → https://api.example.org/v2", wire: B, rust: C, operations: &[], total: 1 },
    Case { name: "security scheme changed", edit: |s| rep(s, "{ type: http, scheme: bearer }", "{ type: apiKey, in: header, name: X-Api-Key }"),
        subject: "security", what: "security scheme `bearer` changed", wire: B, rust: C, operations: &[], total: 1 },
];

#[test]
fn every_kind_of_change_is_listed_once_with_both_severities() {
    for case in CASES {
        let name = case.name;
        let report = diff(BASE, &(case.edit)(BASE));
        let change = the_change(&report, case.what);
        assert_eq!(change.subject, case.subject, "{name}");
        assert_eq!(
            (change.wire.severity, change.rust.severity),
            (case.wire, case.rust),
            "{name}: (wire, Rust) in {change:#?}"
        );
        assert_eq!(change.operations, case.operations, "{name}");
        assert!(
            !change.wire.reason.is_empty() && !change.rust.reason.is_empty(),
            "{name}: a reason on each side"
        );
        assert_eq!(
            report.changes.len(),
            case.total,
            "{name}: {:#?}",
            report.changes
        );
        let breaking = report.changes.iter().any(Change::is_breaking);
        assert_eq!(report.is_breaking(), breaking, "{name}");
        assert_each_format_lists_it_once(&report, change, name);
    }
}

/// JSON carries both severities; text and Markdown list the change once, under the section
/// of its worse severity.
fn assert_each_format_lists_it_once(report: &Report, change: &Change, name: &str) {
    let json: serde_json::Value = serde_json::from_str(&report.render(Format::Json)).unwrap();
    let found: Vec<_> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["what"] == change.what.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{name}: JSON");
    let word = |s: Severity| if s == B { "breaking" } else { "compatible" };
    assert_eq!(
        found[0]["wire"]["severity"],
        word(change.wire.severity),
        "{name}"
    );
    assert_eq!(
        found[0]["rust"]["severity"],
        word(change.rust.severity),
        "{name}"
    );
    assert_eq!(json["breaking"], report.is_breaking(), "{name}");
    for (format, breaking_title, other_title) in [
        (Format::Text, "\nBreaking\n", "\nNon-breaking\n"),
        (Format::Markdown, "\n### Breaking\n", "\n### Non-breaking\n"),
    ] {
        let out = Report::strip_styles(&report.render(format));
        assert_eq!(
            out.matches(&change.what).count(),
            1,
            "{name} {format:?}:\n{out}"
        );
        let at = out.find(&change.what).unwrap();
        let section = |title: &str| out[..at].rfind(title).map_or(-1, |i| i as i64);
        assert_eq!(
            section(breaking_title) > section(other_title),
            change.is_breaking(),
            "{name} {format:?}: under the wrong section:\n{out}"
        );
    }
}

#[test]
fn the_same_spec_has_no_change() {
    let report = diff(BASE, BASE);
    assert!(report.changes.is_empty(), "{:#?}", report.changes);
    assert!(!report.is_breaking());
    assert!(report.summary().starts_with("0 breaking, 0 non-breaking"));
}

/// The widget's overlay for the base: every operation exposed, `getThing` long-polling.
fn widget_overlay() -> Overlay {
    Overlay::parse(
        "widget.yaml",
        r#"
overlay: 1.0.0
info: { title: widget, version: 1.0.0 }
actions:
  - target: "$.paths.*[?@.operationId == 'getThing']"
    update: { x-widget: browser, x-long-polling: true }
  - target: "$.paths.*[?@.operationId == 'listThings']"
    update: { x-widget: browser }
  - target: "$.paths.*[?@.operationId == 'createThing']"
    update: { x-widget: server-only }
"#,
    )
    .unwrap()
}

#[test]
fn an_operation_added_without_x_widget_is_reported_not_exposed_by_the_widget() {
    let new = rep(
        BASE,
        "  /things:\n",
        "  /attempts:\n    get:\n      operationId: getAttempts\n      responses:\n        \"204\": { description: none }\n  /things:\n",
    );
    let report = diff_with(BASE, &new, &[widget_overlay()]);
    let change = the_change(&report, "not exposed by the widget");
    assert_eq!(change.subject, "getAttempts");
    assert_eq!(
        change.what,
        "not exposed by the widget (no overlay marks it x-widget)"
    );
    assert_eq!((change.wire.severity, change.rust.severity), (C, C));
    assert!(!report.is_breaking(), "{:#?}", report.changes);
}

#[test]
fn an_operation_the_overlay_no_longer_marks_closes_its_widget_route_and_long_polling() {
    // The vendor renames an operation: the overlay, which targets operationIds, misses it.
    let new = rep(BASE, "operationId: getThing", "operationId: fetchThing");
    let report = diff_with(BASE, &new, &[widget_overlay()]);
    let renamed = the_change(&report, "operation renamed: getThing → fetchThing");
    assert_eq!((renamed.wire.severity, renamed.rust.severity), (C, B));
    let closed = the_change(&report, "not exposed by the widget any more");
    assert_eq!(closed.subject, "fetchThing");
    assert!(
        closed.what.contains("no overlay marks it x-widget"),
        "{closed:?}"
    );
    assert_eq!((closed.wire.severity, closed.rust.severity), (B, C));
    assert!(closed.wire.reason.contains("404"), "{closed:?}");
    let polling = the_change(&report, "x-long-polling lost");
    assert_eq!((polling.wire.severity, polling.rust.severity), (B, C));
    assert_eq!(report.changes.len(), 3, "{:#?}", report.changes);

    // A server-only operation that loses its mark was not exposed either.
    let new = rep(BASE, "operationId: createThing", "operationId: makeThing");
    let report = diff_with(BASE, &new, &[widget_overlay()]);
    let unmarked = the_change(&report, "not exposed by the widget (no overlay");
    assert_eq!((unmarked.wire.severity, unmarked.rust.severity), (C, C));
}

#[test]
fn an_exception_type_added_to_the_real_spec_is_one_change_for_every_operation() {
    let spec = otp_spec::BUNDLED_SPEC;
    let new = spec
        .replacen(
            "        - SessionAlreadyConfirmedException\n",
            "        - SessionAlreadyConfirmedException\n        - QuotaExceededException\n",
            1,
        )
        .replacen(
            "                SessionAlreadyConfirmedException:\n                  $ref: \"#/components/examples/SessionAlreadyConfirmedException\"\n",
            "                SessionAlreadyConfirmedException:\n                  $ref: \"#/components/examples/SessionAlreadyConfirmedException\"\n                QuotaExceededException:\n                  value: { type: QuotaExceededException, message: \"q\", httpStatus: 409 }\n",
            1,
        );
    assert_ne!(new, spec, "the edit applies");
    let report = diff(spec, &new);
    assert_eq!(report.changes.len(), 1, "{:#?}", report.changes);
    let change = the_change(&report, "QuotaExceededException");
    assert_eq!(change.subject, "schema ExceptionType");
    assert_eq!((change.wire.severity, change.rust.severity), (C, C));
    let operations = Spec::bundled().operations().len();
    assert_eq!(change.operations.len(), operations, "{change:#?}");
    assert!(!report.is_breaking());
}
