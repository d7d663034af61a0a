//! The `otp` binary, run as a process against an in-process sandbox: every subcommand of
//! the spec, its output and exit code, the failures' one line and exit codes, `verify`,
//! completions, and the token nowhere in any output, however verbose.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use otp_client_codegen::Spec;
use otp_sandbox::{CODE_WIDGET, Sandbox, SandboxConfig};
use serde_json::Value;

const PHONE: &str = "+79991234563";

fn spec() -> Spec {
    Spec::parse("otp_client::SPEC", otp_client::SPEC).unwrap()
}

/// `otp ARGS` with the sandbox's token in `OTP_TOKEN`, `stdin` as its input.
fn otp(token: Option<&str>, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otp"));
    command
        .args(args)
        .env_remove("OTP_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(token) = token {
        command.env("OTP_TOKEN", token);
    }
    let mut child = command.spawn().expect("the otp binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(
            !text.contains(otp_sandbox::DEFAULT_TOKEN),
            "the token was printed by otp {args:?}: {text}"
        );
    }
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A sandbox, and the `--env` that points `otp` at it.
fn sandbox() -> (Sandbox, String) {
    let sandbox = Sandbox::spawn(SandboxConfig {
        codeless_confirm_delay: None,
        ..SandboxConfig::fast()
    })
    .unwrap();
    let env = sandbox.base_url();
    (sandbox, env)
}

/// A session sent through `otp send`, its channel already sent.
fn session(env: &str) -> String {
    let widget = CODE_WIDGET.to_string();
    let sent = otp(
        Some(otp_sandbox::DEFAULT_TOKEN),
        &[
            "--env",
            env,
            "send",
            "--widgetId",
            &widget,
            "--recipient",
            PHONE,
        ],
        "",
    );
    assert!(sent.status.success(), "{}", stderr(&sent));
    let answer: Value = serde_json::from_str(&stdout(&sent)).unwrap();
    let id = answer["requestId"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(100));
    id
}

#[test]
fn every_operation_of_the_spec_is_a_subcommand_that_answers_the_services_json() {
    let (sb, env) = sandbox();
    let token = Some(otp_sandbox::DEFAULT_TOKEN);
    let mut ran = 0;
    for op in spec().operations() {
        let id = session(&env);
        let mut args = vec!["--env".to_string(), env.clone(), op.id.clone()];
        for (name, _) in &op.parameters {
            let value = match name.as_str() {
                "requestId" => id.clone(),
                "widgetId" => CODE_WIDGET.to_string(),
                "recipient" => PHONE.to_string(),
                other => panic!("`{other}`: a parameter this test does not know"),
            };
            args.extend([format!("--{name}"), value]);
        }
        for property in &op.body_properties {
            let value = match property.name.as_str() {
                "widgetId" => CODE_WIDGET.to_string(),
                "recipient" => PHONE.to_string(),
                "code" => sb.code(&id).unwrap(),
                other => panic!("`{other}`: a body field this test does not know"),
            };
            args.extend([format!("--{}", property.name), value]);
        }
        if op.id == "resend" {
            std::thread::sleep(std::time::Duration::from_millis(250)); // the cooldown
        }
        // A status long-poll is held until the session changes: the user confirms meanwhile.
        let holds = op.id == "getStatusLongPolling";
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = std::thread::scope(|scope| {
            if holds {
                scope.spawn(|| {
                    std::thread::sleep(std::time::Duration::from_millis(150));
                    assert!(sb.confirm(&id));
                });
            }
            otp(token, &args, "")
        });
        let answer: Value = serde_json::from_str(stdout(&output).trim())
            .unwrap_or_else(|e| panic!("otp {args:?}: not JSON ({e}): {}", stdout(&output)));
        // An answer of `success: false` is printed, and exits 6 (not confirmed), never 0.
        let expected = if answer["success"] == false { 6 } else { 0 };
        assert_eq!(
            output.status.code(),
            Some(expected),
            "otp {args:?}: {answer}: {}",
            stderr(&output)
        );
        assert!(answer.is_object(), "{answer}");
        assert_eq!(stdout(&output).lines().count(), 1, "compact when piped");
        // The same as text: a `name: value` line per field.
        let mut text_args = args.clone();
        text_args.extend(["--output", "text"]);
        // (A read the service answers at once: a second long-poll would be held.)
        if op.http_method == "GET" && !op.long_polling {
            let text = stdout(&otp(token, &text_args, ""));
            let first = answer.as_object().unwrap().keys().next().unwrap();
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{first}: "))),
                "{text}"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, spec().operations().len());
    assert!(ran > 0, "the spec has no operation");
}

#[test]
fn failures_are_one_line_with_an_exit_code_of_their_kind() {
    let (_sb, env) = sandbox();
    let token = Some(otp_sandbox::DEFAULT_TOKEN);
    let unknown = uuid::Uuid::new_v4().to_string();
    // The service answered an error: 3, with its type, English text and words.
    let output = otp(
        token,
        &["--env", &env, "getChannel", "--requestId", &unknown],
        "",
    );
    assert_eq!(output.status.code(), Some(3));
    let line = stderr(&output);
    assert_eq!(line.lines().count(), 1, "{line}");
    for part in [
        "getChannel",
        "SessionNotFoundException",
        "The session does not exist",
        "Сессия не найдена",
    ] {
        assert!(line.contains(part), "`{part}` missing: {line}");
    }
    // The service could not be reached: 4.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/api/n/otp-handler",
            l.local_addr().unwrap().port()
        )
    };
    let output = otp(
        token,
        &["--env", &closed, "getChannel", "--requestId", &unknown],
        "",
    );
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("refused"), "{}", stderr(&output));
    // Usage: a missing flag, a malformed id, no token, a body that is not JSON: 2.
    for (args, token) in [
        (vec!["--env", env.as_str(), "getChannel"], token),
        (
            vec![
                "--env",
                env.as_str(),
                "getChannel",
                "--requestId",
                "..\\..\\x",
            ],
            token,
        ),
        (
            vec![
                "--env",
                env.as_str(),
                "getChannel",
                "--requestId",
                unknown.as_str(),
            ],
            None,
        ),
        (
            vec![
                "--env",
                env.as_str(),
                "checkCode",
                "--requestId",
                unknown.as_str(),
                "--body",
                "{",
            ],
            token,
        ),
        (vec!["nosuchcommand"], token),
    ] {
        let output = otp(token, &args, "");
        assert_eq!(
            output.status.code(),
            Some(2),
            "otp {args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("error"), "{}", stderr(&output));
    }
    // A mistyped `--env`, plain http to a remote host, credentials in the URL: usage
    // errors in the command line's words, the credentials not repeated.
    let secret_url = env.replace("http://", "http://user:hunter2@");
    for (env, says) in [
        ("staging", "--env takes production, stage or a base URL"),
        (
            "ftp://example.com/x",
            "--env takes production, stage or a base URL",
        ),
        (
            "http://example.com/api",
            "plain http to a host that is not loopback",
        ),
        (secret_url.as_str(), "credentials"),
    ] {
        let output = otp(
            token,
            &[
                "--env",
                env,
                "getWidget",
                "--widgetId",
                &CODE_WIDGET.to_string(),
            ],
            "",
        );
        let line = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "--env {env}: {line}");
        assert!(line.contains(says), "--env {env}: {line}");
        assert!(
            !line.contains("allow_insecure_http"),
            "a library's words: {line}"
        );
        assert!(!line.contains("hunter2"), "the password was shown: {line}");
    }
}

#[test]
fn a_reader_that_goes_away_ends_nothing_badly() {
    // `otp … | head`: stdout's reader is gone before `otp` writes.
    let (_sb, env) = sandbox();
    let widget = CODE_WIDGET.to_string();
    for args in [
        vec!["completions", "bash"],
        vec!["completions", "fish"],
        vec!["completions", "zsh"],
        vec![
            "--env",
            env.as_str(),
            "getWidget",
            "--widgetId",
            widget.as_str(),
        ],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_otp"))
            .args(&args)
            .env("OTP_TOKEN", otp_sandbox::DEFAULT_TOKEN)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let errors = stderr(&output);
        assert!(!errors.contains("panicked"), "otp {args:?}: {errors}");
        assert_eq!(output.status.code(), Some(0), "otp {args:?}: {errors}");
    }
}

#[test]
fn the_token_comes_from_a_file_too_and_is_never_printed_however_verbose() {
    let (_sb, env) = sandbox();
    let id = session(&env);
    let file = std::env::temp_dir().join(format!("otp-token-{}", std::process::id()));
    std::fs::write(&file, format!("{}\n", otp_sandbox::DEFAULT_TOKEN)).unwrap();
    let file = file.to_string_lossy().to_string();
    for verbosity in ["-v", "-vv", "-vvv"] {
        let output = otp(
            None,
            &[
                verbosity,
                "--env",
                &env,
                "--token-file",
                &file,
                "getStatus",
                "--requestId",
                &id,
                "--recipient",
                PHONE,
            ],
            "",
        );
        // An unconfirmed session's status: `success: false`, exit 6.
        assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
        let logs = stderr(&output);
        assert!(
            logs.contains("otp.call"),
            "{verbosity} logs the call: {logs}"
        );
        assert!(
            !logs.contains(PHONE),
            "{verbosity}: the phone in clear: {logs}"
        );
    }
    // Help shows no token either (there is no flag for one).
    let help = otp(Some(otp_sandbox::DEFAULT_TOKEN), &["--help"], "");
    assert!(stdout(&help).contains("OTP_TOKEN"));
}

#[test]
fn verify_runs_the_whole_flow_against_an_embedded_sandbox() {
    // A wrong code first, then the right one, typed at the prompt.
    let output = otp(
        None,
        &["verify", "--sandbox", "--phone", PHONE],
        "0000\n1234\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let proof: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)));
    assert_eq!(proof["verified"], true, "{proof}");
    assert_eq!(proof["recipient"], "+7999***4563", "{proof}");
    assert!(
        proof["requestId"]
            .as_str()
            .is_some_and(|id| id.parse::<uuid::Uuid>().is_ok()),
        "{proof}"
    );
    let prompt = stderr(&output);
    assert!(prompt.contains("wrong code: 2 attempt(s) left"), "{prompt}");
    // `--output text`: one line.
    let output = otp(
        None,
        &["verify", "--sandbox", "--phone", PHONE, "-o", "text"],
        "1234\n",
    );
    assert!(
        stdout(&output).starts_with("verified +7999***4563 (session "),
        "{}",
        stdout(&output)
    );
    // Asked for a resend within the cooldown: told to wait, then the code.
    let output = otp(
        None,
        &["verify", "--sandbox", "--phone", PHONE],
        "r\n1234\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("too early"), "{}", stderr(&output));
    // `--sandbox-code`: the sandbox's code, with nothing typed.
    let output = otp(
        None,
        &["verify", "--sandbox", "--sandbox-code", "--phone", PHONE],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("the sandbox's code: "),
        "{}",
        stderr(&output)
    );
    // No code at all: a usage failure.
    let output = otp(None, &["verify", "--sandbox", "--phone", PHONE], "");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn completions_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let output = otp(None, &["completions", shell], "");
        assert!(output.status.success(), "{shell}");
        let script = stdout(&output);
        // Each subcommand where the shell's script lists subcommands (a bare name would
        // match `complete`, a word of every script, and `send` inside `resend`).
        for op in spec().operations() {
            let entry = match shell {
                "bash" => format!("otp,{})", op.id),
                "zsh" => format!("'{}:", op.id),
                _ => format!("-a \"{}\"", op.id),
            };
            assert!(script.contains(&entry), "{shell}: no {entry}");
        }
        assert!(script.contains("verify"), "{shell}");
    }
}

/// A fixture of the diff's tests.
fn fixture(name: &str) -> String {
    format!(
        "{}/../xtask/tests/fixtures/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn spec_diff_says_what_breaks_in_every_format_and_exits_by_severity() {
    let (base, removed) = (fixture("base"), fixture("operation-removed"));
    let text = otp(None, &["spec", "diff", &base, &removed], "");
    assert_eq!(text.status.code(), Some(5), "breaking: {}", stderr(&text));
    let out = stdout(&text);
    let breaking = out.find("Breaking").expect("a breaking section");
    assert!(out[breaking..].contains("operation removed"), "{out}");
    assert!(
        out.contains("wire: breaking") && out.contains("Rust: breaking"),
        "both severities: {out}"
    );
    assert!(!out.contains('\u{1b}'), "no colour off a terminal: {out}");

    let json = otp(
        None,
        &["spec", "diff", &base, &removed, "--format", "json"],
        "",
    );
    let report: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["breaking"], true, "{report:#}");
    let changes = report["changes"].as_array().unwrap();
    let found: Vec<_> = changes
        .iter()
        .filter(|c| c["what"].as_str().unwrap().contains("operation removed"))
        .collect();
    assert_eq!(found.len(), 1, "listed once: {report:#}");
    assert_eq!(found[0]["operations"], serde_json::json!(["createThing"]));
    for side in ["wire", "rust"] {
        assert_eq!(found[0][side]["severity"], "breaking", "{side}: {report:#}");
        assert!(!found[0][side]["reason"].as_str().unwrap().is_empty());
    }
    let markdown = otp(
        None,
        &["spec", "diff", &base, &removed, "--format", "markdown"],
        "",
    );
    let md = stdout(&markdown);
    assert!(
        md.find("### Breaking").unwrap() < md.find("operation removed").unwrap(),
        "{md}"
    );

    let allowed = otp(
        None,
        &["spec", "diff", &base, &removed, "--allow-breaking"],
        "",
    );
    assert_eq!(allowed.status.code(), Some(0));
    let added = otp(
        None,
        &["spec", "diff", &base, &fixture("operation-added")],
        "",
    );
    assert_eq!(added.status.code(), Some(0), "{}", stdout(&added));
    assert!(
        stdout(&added).contains("Non-breaking"),
        "{}",
        stdout(&added)
    );
    // The bundled overlay marks none of the fixture's operations: the new one is closed in
    // the widget.
    assert!(
        stdout(&added).contains("not exposed by the widget (no overlay marks it x-widget)"),
        "{}",
        stdout(&added)
    );
}

#[test]
fn spec_diff_of_a_file_that_is_not_there_is_one_line_and_exit_2() {
    let missing = otp(
        None,
        &["spec", "diff", &fixture("base"), "/nonexistent/spec.yaml"],
        "",
    );
    assert_eq!(missing.status.code(), Some(2));
    let err = stderr(&missing);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/spec.yaml"), "{err}");
}

#[test]
fn finish_exits_0_with_a_proof_only_for_a_confirmed_session() {
    let (sb, env) = sandbox();
    let token = Some(otp_sandbox::DEFAULT_TOKEN);
    // Not confirmed: the raw call answers `success: false` (exit 6), and so does `finish`.
    let id = session(&env);
    let raw = otp(
        token,
        &[
            "--env",
            &env,
            "checkStatusAndComplete",
            "--requestId",
            &id,
            "--recipient",
            PHONE,
        ],
        "",
    );
    assert_eq!(raw.status.code(), Some(6), "{}", stdout(&raw));
    let id = session(&env);
    let unconfirmed = otp(
        token,
        &[
            "--env",
            &env,
            "finish",
            "--requestId",
            &id,
            "--phone",
            PHONE,
        ],
        "",
    );
    assert_eq!(
        unconfirmed.status.code(),
        Some(6),
        "{}",
        stderr(&unconfirmed)
    );
    assert!(
        stdout(&unconfirmed).is_empty(),
        "no proof: {}",
        stdout(&unconfirmed)
    );
    // Confirmed with the code: exit 0 and the proof.
    let id = session(&env);
    let code = sb.code(&id).unwrap();
    let checked = otp(
        token,
        &[
            "--env",
            &env,
            "checkCode",
            "--requestId",
            &id,
            "--code",
            &code,
        ],
        "",
    );
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    let finished = otp(
        token,
        &[
            "--env",
            &env,
            "finish",
            "--requestId",
            &id,
            "--phone",
            PHONE,
        ],
        "",
    );
    assert_eq!(finished.status.code(), Some(0), "{}", stderr(&finished));
    let proof: Value = serde_json::from_str(stdout(&finished).trim()).unwrap();
    assert_eq!(proof["verified"], true, "{proof}");
    assert_eq!(proof["requestId"], id.as_str());
}

#[test]
fn configuration_mistakes_are_usage_errors_that_say_which() {
    let token = Some(otp_sandbox::DEFAULT_TOKEN);
    let id = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6";
    // An empty token says so, without an --env hint.
    let empty = otp(
        Some(""),
        &[
            "--env",
            "http://127.0.0.1:9/api",
            "getChannel",
            "--requestId",
            id,
        ],
        "",
    );
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        stderr(&empty).contains("OTP_TOKEN is empty"),
        "{}",
        stderr(&empty)
    );
    assert!(
        !stderr(&empty).contains("--env takes"),
        "{}",
        stderr(&empty)
    );
    // A base URL without the API's path is a usage error, before any call.
    let (_sb, env) = sandbox();
    let host = env.trim_end_matches("/api/n/otp-handler");
    let bare = otp(token, &["--env", host, "getChannel", "--requestId", id], "");
    assert_eq!(bare.status.code(), Some(2), "{}", stderr(&bare));
    assert!(stderr(&bare).contains("no API path"), "{}", stderr(&bare));
}
