//! `generate` and `check`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use otp_client_codegen::{Spec, Target, facade_method_names, generate as generate_code};
use similar::TextDiff;

use crate::{docs, paths};

pub fn generate() -> Result<()> {
    let spec = Spec::load(paths::spec())?;
    let dir = paths::root().join("generated");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for target in Target::ALL {
        let code = generate_code(&spec, target)?;
        let path = paths::snapshot(target);
        std::fs::write(&path, code).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

pub fn check(docs_dir: Option<PathBuf>) -> Result<()> {
    let spec = Spec::load(paths::spec())?;
    let mut failures = Vec::new();

    // 1. Each client crate packages the spec; its copy must be the spec.
    let source = std::fs::read(paths::spec())?;
    for target in Target::ALL {
        let path = paths::crate_spec(target);
        match std::fs::read(&path) {
            Ok(bytes) if bytes == source => {}
            Ok(_) => failures.push(format!(
                "{} differs from openapi/otp-handler.yaml (it should be a link to it)",
                path.display()
            )),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }

    // 2. The snapshots are what the spec generates.
    let mut generated = Vec::new();
    for target in Target::ALL {
        let fresh = generate_code(&spec, target)?;
        let path = paths::snapshot(target);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            let diff = TextDiff::from_lines(&committed, &fresh)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{} (committed)", path.display()),
                    "regenerated from the spec",
                )
                .to_string();
            println!("{diff}");
            failures.push(format!(
                "{} is stale: run `cargo xtask generate` and review the diff above",
                path.display()
            ));
        }
        generated.push((target, fresh));
    }

    // 3. Every operation is a method of both clients.
    let operations = spec.operations();
    for (target, code) in &generated {
        let methods = facade_method_names(code);
        for op in &operations {
            if !methods.contains(&op.method_name) {
                failures.push(format!(
                    "{}: operation `{}` has no method `{}`",
                    target.crate_name(),
                    op.id,
                    op.method_name
                ));
            }
        }
    }

    // 4. Every status and exception type the vendor documents is in the spec.
    let docs_dir = docs_dir.unwrap_or_else(paths::default_docs);
    let reference = docs_dir.join("reference.md");
    match std::fs::read_to_string(&reference) {
        Ok(text) => {
            let documented = docs::parse_reference(&text);
            if documented.is_empty() {
                failures.push(format!("{}: no operation found", reference.display()));
            }
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
                    if !statuses.contains_key(status) {
                        failures.push(format!(
                            "`{op_id}`: status {status} is in the spec but not documented"
                        ));
                    }
                }
            }
            println!(
                "checked {} operations against {}",
                documented.len(),
                reference.display()
            );
        }
        Err(e) => println!(
            "warning: {}: {e}; the spec was not checked against the vendor's docs",
            reference.display()
        ),
    }

    // 5. An uncommitted spec change: what it changes, against the last commit.
    if spec_changed_since_head() {
        match crate::diff::load("HEAD", &paths::root()) {
            Ok((head, label)) => {
                let report = crate::diff::compare(&head, &spec, &label, "working tree");
                println!("the spec has uncommitted changes: {}", report.summary());
                println!("  (`cargo xtask diff HEAD` for the full report)");
            }
            Err(e) => println!("warning: cannot compare with the last commit: {e}"),
        }
    }

    if failures.is_empty() {
        println!(
            "ok: {} operations, both clients generated and up to date",
            operations.len()
        );
        return Ok(());
    }
    for failure in &failures {
        eprintln!("- {failure}");
    }
    bail!("{} check(s) failed", failures.len())
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
