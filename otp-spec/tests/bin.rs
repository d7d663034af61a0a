//! The light `otp-spec diff` binary, run as a user runs it on two small spec files: its
//! report in each format, and its exit codes (0 compatible, 5 breaking unless allowed, 2 a
//! bad command line or an unreadable spec), as `otp spec diff` gives them.

use std::path::Path;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn otp_spec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otp-spec"))
        .args(args)
        .env_remove(otp_spec::OVERLAY_ENV)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("otp-spec runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn a_breaking_change_exits_5_unless_allowed_and_each_format_says_it() {
    let (base, breaking) = (fixture("base.yaml"), fixture("breaking.yaml"));
    let text = otp_spec(&["diff", &base, &breaking]);
    assert_eq!(text.status.code(), Some(5), "{text:?}");
    let out = stdout(&text);
    assert!(!out.contains('\u{1b}'), "no styles off a terminal: {out}");
    let (breaking_at, compatible_at) = (
        out.find("\nBreaking\n").expect("a breaking section"),
        out.find("\nNon-breaking\n").expect("a compatible section"),
    );
    let removed = out.find("operation removed (POST /things)").unwrap();
    let added = out.find("optional field `color` added").unwrap();
    assert!(
        breaking_at < removed && removed < compatible_at && compatible_at < added,
        "{out}"
    );
    assert!(
        out.contains("wire: breaking: the endpoint is gone"),
        "{out}"
    );

    let json = otp_spec(&["diff", &base, &breaking, "--format", "json"]);
    assert_eq!(json.status.code(), Some(5));
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["breaking"], true);
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{report:#}");
    assert_eq!(changes[0]["subject"], "createThing");
    assert_eq!(changes[0]["wire"]["severity"], "breaking");
    assert_eq!(changes[0]["rust"]["severity"], "breaking");
    assert_eq!(changes[1]["subject"], "schema Thing");
    assert_eq!(changes[1]["wire"]["severity"], "compatible");
    assert_eq!(changes[1]["rust"]["severity"], "compatible");

    let markdown = otp_spec(&["diff", "--format=markdown", &base, &breaking]);
    let md = stdout(&markdown);
    assert!(md.starts_with("## API changes"), "{md}");
    assert!(md.contains("- **createThing**: operation removed"), "{md}");

    let allowed = otp_spec(&["diff", &base, &breaking, "--allow-breaking"]);
    assert_eq!(allowed.status.code(), Some(0));
}

#[test]
fn a_compatible_change_exits_0() {
    let (base, breaking) = (fixture("base.yaml"), fixture("breaking.yaml"));
    // The other way round, the operation comes back (compatible) and the field goes
    // (breaking): only the same file is free of changes.
    let same = otp_spec(&["diff", &base, &base]);
    assert_eq!(same.status.code(), Some(0));
    assert!(
        stdout(&same).contains("0 breaking, 0 non-breaking"),
        "{same:?}"
    );
    let back = otp_spec(&["diff", &breaking, &base, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&back)).unwrap();
    let added = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "operation added (POST /things)")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(added["wire"]["severity"], "compatible");
}

#[test]
fn a_bad_command_line_or_spec_is_one_line_and_exit_2() {
    let base = fixture("base.yaml");
    for (args, expected) in [
        (vec!["diff", base.as_str()], "two specs"),
        (
            vec!["diff", base.as_str(), base.as_str(), "--format", "yaml"],
            "one of text, json, markdown",
        ),
        (vec!["merge"], "`diff`"),
        (
            vec!["diff", base.as_str(), "/nonexistent/spec.yaml"],
            "/nonexistent/spec.yaml",
        ),
    ] {
        let out = otp_spec(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let help = otp_spec(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).starts_with("usage: otp-spec diff OLD NEW"));
}
