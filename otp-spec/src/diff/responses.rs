//! An operation's responses compared: statuses added or removed, and each status's body.
//! Errors of every status arrive as the one `Error`, and the spec's check keeps one success
//! schema per operation: a status added or removed changes no signature, unless the last
//! success status goes.

use std::collections::{BTreeSet, HashSet};

use openapiv3::{OpenAPI, Operation, ReferenceOr, Response};

use super::Impact;
use super::changes::Changes;
use super::reach::Uses;
use super::schemas::{Pair, Site, diff_schema};
use crate::resolve;

/// The response `r` is or refers to.
pub(super) fn response<'a>(
    r: &'a ReferenceOr<Response>,
    spec: &'a OpenAPI,
) -> Option<&'a Response> {
    resolve(r, "#/components/responses/", |c| &c.responses, spec)
}

/// The exception types a response documents: the names of its JSON examples.
pub(super) fn examples(r: Option<&Response>) -> BTreeSet<String> {
    r.and_then(|r| r.content.get("application/json"))
        .map(|m| m.examples.keys().cloned().collect())
        .unwrap_or_default()
}

/// Each status, as the spec writes it (`200`, `4XX`), with its response.
pub(super) fn statuses(op: &Operation) -> Vec<(String, &ReferenceOr<Response>)> {
    op.responses
        .responses
        .iter()
        .map(|(c, r)| (c.to_string(), r))
        .collect()
}

fn list(items: &BTreeSet<String>) -> String {
    if items.is_empty() {
        String::new()
    } else {
        let names: Vec<_> = items.iter().map(String::as_str).collect();
        format!(" ({})", names.join(", "))
    }
}

/// The response of `code` among `codes`.
fn has<'a>(
    codes: &[(String, &'a ReferenceOr<Response>)],
    code: &str,
) -> Option<&'a ReferenceOr<Response>> {
    codes.iter().find(|(c, _)| c == code).map(|(_, r)| *r)
}

/// Compares the responses of one operation.
pub(super) fn diff(changes: &mut Changes, id: &str, old: &Operation, new: &Operation, pair: Pair) {
    let (old_codes, new_codes) = (statuses(old), statuses(new));
    let success = |code: &str| code.starts_with('2');
    let ops = [id.to_string()];
    for (code, r) in &old_codes {
        if has(&new_codes, code).is_some() {
            continue;
        }
        let kinds = list(&examples(response(r, pair.old)));
        let (kind, rust) = if !success(code) {
            (
                "error",
                Impact::compatible("errors of every status arrive as `Error`"),
            )
        } else if new_codes.iter().any(|(c, _)| success(c)) {
            (
                "success",
                Impact::compatible("another success status keeps the return type"),
            )
        } else {
            (
                "success",
                Impact::breaking("the method's return type changes"),
            )
        };
        changes.push(
            id,
            format!("{kind} status {code} removed{kinds}"),
            &ops,
            Impact::compatible("the service no longer answers it"),
            rust,
        );
    }
    for (code, r) in &new_codes {
        let new_resp = response(r, pair.new);
        let Some(old_r) = has(&old_codes, code) else {
            let kinds = list(&examples(new_resp));
            let (kind, wire) = if success(code) {
                ("success", "its body has the operation's one success schema")
            } else {
                (
                    "error",
                    "an older client reads it as an `Error`, keeping a kind it does not know",
                )
            };
            changes.push(
                id,
                format!("{kind} status {code} added{kinds}"),
                &ops,
                Impact::compatible(wire),
                Impact::compatible("no signature names a status"),
            );
            continue;
        };
        let schema = |r: Option<&Response>| {
            r.and_then(|r| r.content.get("application/json"))
                .and_then(|m| m.schema.clone())
        };
        match (schema(response(old_r, pair.old)), schema(new_resp)) {
            (Some(o), Some(n)) => {
                let uses = Uses::of(id, false);
                let prefix = format!("response {code}: ");
                let site = Site {
                    subject: id,
                    uses: &uses,
                    prefix: &prefix,
                    component: false,
                };
                diff_schema(changes, &site, "", &o, &n, pair, &mut HashSet::new());
            }
            (None, Some(_)) | (Some(_), None) => {
                let rust = Impact::either(
                    success(code),
                    "the method's return type changes",
                    "errors of every status arrive as `Error`",
                );
                changes.push(
                    id,
                    format!("response {code}: body added or removed"),
                    &ops,
                    Impact::breaking("an older client expects the old body"),
                    rust,
                );
            }
            (None, None) => {}
        }
    }
}
