//! `generate` and `check`. Each check is a function that returns its failures; `check` runs
//! them all and reports every failure at once.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use otp_client_codegen::{Generated, Spec, Target, generate as generate_code};
use otp_spec::Overlaid;
use similar::TextDiff;

use crate::{docs, modules, paths, prebuilt};

pub fn generate() -> Result<()> {
    let spec = paths::load_overlaid()?;
    otp_client_codegen::check_compatibility(&spec.spec)?;
    let (_, files) = generate_all(&spec)?;
    for (path, text) in files {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Files, each with its text.
type Files = Vec<(PathBuf, String)>;

/// Every target's code, and every file `generate` writes with its text: the snapshots and
/// otp-client's prebuilt files.
fn generate_all(spec: &Overlaid) -> Result<(Vec<(Target, Generated)>, Files)> {
    let generated = Target::ALL
        .into_iter()
        .map(|target| Ok((target, generate_code(&spec.spec, target)?)))
        .collect::<Result<Vec<_>>>()?;
    let client = generated
        .iter()
        .find(|(target, _)| *target == Target::Async)
        .map(|(_, code)| code)
        .context("no async client among the targets")?;
    let mut files: Vec<_> = generated
        .iter()
        .map(|(target, code)| (paths::snapshot(*target), code.code.clone()))
        .collect();
    files.extend(prebuilt::files(&spec.text, client)?);
    Ok((generated, files))
}

pub fn check(docs_dir: Option<PathBuf>) -> Result<()> {
    let overlaid = paths::load_overlaid()?;
    let spec = &overlaid.spec;
    let (generated, files) = generate_all(&overlaid)?;
    let docs_dir = docs_dir.unwrap_or_else(paths::default_docs);
    let mut failures = Vec::new();
    failures.extend(
        otp_client_codegen::check_compatibility(spec)
            .err()
            .map(|e| e.to_string()),
    );
    failures.extend(undecided_widget_exposure(spec));
    failures.extend(spec_copies());
    failures.extend(vendor_file_extensions());
    failures.extend(
        files
            .iter()
            .filter_map(|(path, fresh)| stale_snapshot(path, fresh)),
    );
    failures.extend(prebuilt_needs_default_features(&generated));
    failures.extend(operations_in_every_client(spec, &generated));
    failures.extend(exception_texts(spec));
    failures.extend(vendor_docs(spec, &docs_dir));
    failures.extend(import_loops()?);
    report_uncommitted_spec_change(spec);

    if failures.is_empty() {
        println!(
            "ok: {} operations, every client generated and up to date",
            spec.operations().len()
        );
        return Ok(());
    }
    for failure in &failures {
        eprintln!("- {failure}");
    }
    bail!("{} check(s) failed", failures.len())
}

/// No module of the crates [`modules::CRATES`] names imports one that imports it back.
fn import_loops() -> Result<Vec<String>> {
    let mut failures = Vec::new();
    for krate in modules::CRATES {
        let src = paths::root().join(krate).join("src");
        let sources = modules::read(&src).with_context(|| format!("reading {}", src.display()))?;
        failures.extend(
            modules::loops(&sources)
                .into_iter()
                .map(|cycle| format!("{krate}: modules import each other in a loop: {cycle}")),
        );
    }
    Ok(failures)
}

/// Every operation says whether the widget back end exposes it (`x-widget`): in a user's
/// spec an unmarked operation stays closed, here it is a decision still to make.
fn undecided_widget_exposure(spec: &Spec) -> Vec<String> {
    spec.operations()
        .into_iter()
        .filter(|op| op.widget.is_none())
        .map(|op| {
            format!(
                "{}: decide whether the widget back end exposes it: give it `{}: browser` or \
                 `{}: server-only` in openapi/otp-handler.overlay.yaml",
                op.id,
                otp_client_codegen::WIDGET_EXTENSION,
                otp_client_codegen::WIDGET_EXTENSION
            )
        })
        .collect()
}

/// The vendor's file stays as the vendor's docs define it: none of this project's `x-` marks
/// (the vendor writes none), which belong in the overlay.
fn vendor_file_extensions() -> Vec<String> {
    let path = paths::spec();
    let doc: serde_norway::Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_norway::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(doc) => doc,
        Err(e) => return vec![format!("{}: {e}", path.display())],
    };
    let mut found = Vec::new();
    extensions_in(&doc, "$", &mut found);
    found
        .into_iter()
        .map(|at| {
            format!(
                "{}: `{at}` is an extension the vendor's file does not carry: move it to \
                 openapi/otp-handler.overlay.yaml",
                path.display()
            )
        })
        .collect()
}

fn extensions_in(value: &serde_norway::Value, at: &str, found: &mut Vec<String>) {
    match value {
        serde_norway::Value::Mapping(map) => {
            for (key, child) in map {
                let key = key.as_str().unwrap_or("?");
                let here = format!("{at}.{key}");
                if key.starts_with("x-") {
                    found.push(here);
                } else {
                    extensions_in(child, &here, found);
                }
            }
        }
        serde_norway::Value::Sequence(items) => {
            for (i, child) in items.iter().enumerate() {
                extensions_in(child, &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// Each client crate packages the spec; its copy must be the spec.
fn spec_copies() -> Vec<String> {
    let source = match std::fs::read(paths::spec()) {
        Ok(bytes) => bytes,
        Err(e) => return vec![format!("{}: {e}", paths::spec().display())],
    };
    Target::ALL
        .into_iter()
        .filter_map(|target| {
            let path = paths::crate_spec(target);
            match std::fs::read(&path) {
                Ok(bytes) if bytes == source => None,
                Ok(_) => Some(format!(
                    "{} differs from openapi/otp-handler.yaml (it should be a link to it)",
                    path.display()
                )),
                Err(e) => Some(format!("{}: {e}", path.display())),
            }
        })
        .collect()
}

/// What otp-client's prebuilt code needs (`chrono`, `regress`) is on by default in every
/// crate that builds it by default: else each default build would stop on it.
fn prebuilt_needs_default_features(generated: &[(Target, Generated)]) -> Vec<String> {
    let needed: Vec<&str> = generated
        .iter()
        .filter(|(target, _)| *target == Target::Async)
        .flat_map(|(_, client)| client.needs.features())
        .collect();
    if needed.is_empty() {
        return vec![];
    }
    match cargo_metadata() {
        Ok(metadata) => defaults_lacking(&needed, &metadata),
        Err(e) => vec![format!("cargo metadata: {e:#}")],
    }
}

/// The crates whose default build compiles otp-client's prebuilt code: both clients, and the
/// widget back end (it passes each feature on under the same name).
const DEFAULT_BUILDERS: [&str; 3] = [
    Target::Async.crate_name(),
    Target::Blocking.crate_name(),
    "otp-widget",
];

/// Each of `needed` that a crate of [`DEFAULT_BUILDERS`] leaves out of its default features,
/// as `cargo metadata` describes the packages.
fn defaults_lacking(needed: &[&str], metadata: &serde_json::Value) -> Vec<String> {
    let mut failures = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        if !DEFAULT_BUILDERS.contains(&name) {
            continue;
        }
        let defaults: Vec<&str> = package["features"]["default"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .collect();
        for feature in needed {
            if !defaults.contains(feature) {
                failures.push(format!(
                    "otp-client's prebuilt code needs `{feature}`, which {name}'s default \
                     features leave out: every default build would stop; add it to them"
                ));
            }
        }
    }
    failures
}

fn cargo_metadata() -> Result<serde_json::Value> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .current_dir(paths::root())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn stale_snapshot(path: &Path, fresh: &str) -> Option<String> {
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == fresh {
        return None;
    }
    let diff = TextDiff::from_lines(&committed, fresh)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{} (committed)", path.display()),
            "regenerated from the spec",
        )
        .to_string();
    println!("{diff}");
    Some(format!(
        "{} is stale: run `cargo xtask generate` and review the diff above",
        path.display()
    ))
}

/// Every operation is a method of every generated client (as the generator reports it).
fn operations_in_every_client(spec: &Spec, generated: &[(Target, Generated)]) -> Vec<String> {
    let operations = spec.operations();
    generated
        .iter()
        .flat_map(|(target, code)| {
            operations
                .iter()
                .filter(|op| !code.methods.contains(&op.method_name))
                .map(move |op| {
                    format!(
                        "{}: operation `{}` has no method `{}`",
                        target.crate_name(),
                        op.id,
                        op.method_name
                    )
                })
        })
        .collect()
}

/// Every exception type has its English text: the `summary` of the example named after it.
fn exception_texts(spec: &Spec) -> Vec<String> {
    otp_client_codegen::open_enums(spec)
        .into_iter()
        .filter(|e| e.name == "ExceptionType")
        .flat_map(|e| {
            e.values
                .into_iter()
                .zip(e.summaries)
                .filter(|(_, summary)| summary.is_none())
                .map(|(value, _)| {
                    format!("exception type `{value}` has no English text: add components/examples/{value} with a `summary`")
                })
        })
        .collect()
}

/// Every status and exception type the vendor documents is in the spec, and the spec has
/// no status the vendor does not document.
fn vendor_docs(spec: &Spec, docs_dir: &Path) -> Vec<String> {
    let reference = docs_dir.join("reference.md");
    let text = match std::fs::read_to_string(&reference) {
        Ok(text) => text,
        Err(e) => {
            return vec![format!(
                "{}: {e}; the spec cannot be checked against the vendor's docs (pass --docs)",
                reference.display()
            )];
        }
    };
    let documented = docs::parse_reference(&text);
    if documented.is_empty() {
        return vec![format!("{}: no operation found", reference.display())];
    }
    let operations = spec.operations();
    let mut failures = Vec::new();
    for (op_id, statuses) in &documented {
        let Some(op) = operations.iter().find(|o| &o.id == op_id) else {
            failures.push(format!("documented operation `{op_id}` is not in the spec"));
            continue;
        };
        for (status, exceptions) in statuses {
            if !op.statuses.contains(status) {
                failures.push(format!(
                    "`{op_id}`: documented status {status} is not in the spec"
                ));
            }
            for exception in exceptions {
                if !op
                    .exceptions
                    .iter()
                    .any(|(s, e)| s == status && e == exception)
                {
                    failures.push(format!(
                        "`{op_id}`: {status} {exception} is documented but not an example in the spec"
                    ));
                }
            }
        }
        for status in &op.statuses {
            if !statuses.contains_key(status) && !op.undocumented_statuses.contains(status) {
                failures.push(format!(
                    "`{op_id}`: status {status} is in the spec but not documented (if the vendor's notes document it, mark the response `x-not-in-reference` with the reason)"
                ));
            }
        }
    }
    println!(
        "checked {} operations against {}",
        documented.len(),
        reference.display()
    );
    failures
}

/// An uncommitted spec change: what it changes, against the last commit (a report, not a
/// failure).
fn report_uncommitted_spec_change(spec: &Spec) {
    if !spec_changed_since_head() {
        return;
    }
    match crate::diff::load("HEAD", &paths::root()) {
        Ok((head, label)) => {
            let report = crate::diff::compare(&head, spec, &label, "working tree");
            println!("the spec has uncommitted changes: {}", report.summary());
            println!("  (`cargo xtask diff HEAD` for the full report)");
        }
        Err(e) => println!("warning: cannot compare with the last commit: {e}"),
    }
}

fn spec_changed_since_head() -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(paths::root())
        .args(["diff", "--quiet", "HEAD", "--", "openapi/otp-handler.yaml"])
        .status()
        .map(|s| s.code() == Some(1))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::defaults_lacking;

    #[test]
    fn a_needed_feature_missing_from_a_default_build_is_named_with_its_crate() {
        let metadata = serde_json::json!({ "packages": [
            { "name": "otp-client", "features": { "default": ["rustls", "chrono"] } },
            { "name": "otp-client-blocking", "features": { "default": ["rustls"] } },
            { "name": "otp-widget", "features": { "default": ["rustls", "chrono"] } },
            { "name": "otp-cli", "features": {} },
        ]});
        assert_eq!(defaults_lacking(&["chrono"], &metadata).len(), 1);
        let failures = defaults_lacking(&["chrono"], &metadata);
        assert!(
            failures[0].contains("`chrono`") && failures[0].contains("otp-client-blocking"),
            "{failures:?}"
        );
        assert!(defaults_lacking(&[], &metadata).is_empty());
        assert_eq!(defaults_lacking(&["chrono", "regress"], &metadata).len(), 4);
    }
}
