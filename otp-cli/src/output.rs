//! What `otp` prints: the service's JSON (or a short text), and one line per failure.

use std::io::{IsTerminal, Write};

use clap::ArgMatches;
use serde_json::Value;

use crate::{Exit, Failure};

/// Whether `--output text` was asked for.
pub(crate) fn wants_text(matches: &ArgMatches) -> bool {
    matches.get_one::<String>("output").map(String::as_str) == Some("text")
}

/// Prints a call's answer on stdout, as `--output` says.
pub(crate) fn answer(matches: &ArgMatches, value: &Value) {
    if wants_text(matches) {
        stdout(text(value).as_bytes());
    } else if std::io::stdout().is_terminal() {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
        stdout(format!("{pretty}\n").as_bytes());
    } else {
        stdout(format!("{value}\n").as_bytes());
    }
}

/// Prints a verification's proof, as `--output` says; the phone masked either way.
pub(crate) fn proof(matches: &ArgMatches, verified: &otp_client::Verified) {
    let recipient = otp_client::mask_phone(verified.recipient());
    if wants_text(matches) {
        let line = format!("verified {recipient} (session {})\n", verified.request_id());
        stdout(line.as_bytes());
    } else {
        let proof = serde_json::json!({
            "verified": true,
            "requestId": verified.request_id(),
            "recipient": recipient,
        });
        answer(matches, &proof);
    }
}

/// Writes to stdout. A reader that went away (`otp … | head`) is not an error of `otp`'s:
/// what it did not read is dropped, where `print!` would panic.
pub(crate) fn stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write the answer: {e}");
    }
}

/// A short text: one `name: value` line per field, nested fields by their dotted path.
pub(crate) fn text(value: &Value) -> String {
    let mut out = String::new();
    flatten("", value, &mut out);
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            for (name, field) in fields {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&path, field, out);
            }
        }
        // An empty answer (`{}`) says nothing.
        Value::Object(_) if prefix.is_empty() => {}
        Value::String(s) => out.push_str(&format!("{prefix}: {s}\n")),
        other => out.push_str(&format!("{prefix}: {other}\n")),
    }
}

/// Prints a failure as one line on stderr; the exit code that says what kind it was.
pub(crate) fn failure(failure: &Failure) -> Exit {
    match failure {
        Failure::Usage(message) | Failure::Other(message) => eprintln!("error: {message}"),
        // The SDK's text: the operation, the exception type, its English text and the
        // service's own words; never a token or a phone number.
        Failure::Call(e) => eprintln!("error: {e}"),
    }
    failure.exit()
}
