//! The exception types each operation documents (its error responses' examples, named after
//! the type), compared: one change per exception type, listing the operations and statuses
//! that now document it (or no longer do). Where the same type is also a value added to an
//! enum (`ExceptionType`), it is said there, as one change.

use std::collections::BTreeMap;

use openapiv3::OpenAPI;

use super::Impact;
use super::changes::Changes;
use super::responses::{examples, response, statuses};

/// Exception type → the (operation, status) pairs where it changed.
type Found = BTreeMap<String, Vec<(String, String)>>;

/// Compares the documented exception types of the statuses on both sides of each
/// operation on both sides (a status or an operation added or removed says its own).
pub(super) fn diff(changes: &mut Changes, old: &OpenAPI, new: &OpenAPI) {
    let (mut added, mut removed) = (Found::new(), Found::new());
    let old_ops: Vec<_> = old.operations().map(|(_, _, op)| op).collect();
    for (_, _, op) in new.operations() {
        let Some(old_op) = old_ops.iter().find(|o| o.operation_id == op.operation_id) else {
            continue;
        };
        let id = op.operation_id.clone().unwrap_or_default();
        let old_codes = statuses(old_op);
        for (code, r) in statuses(op) {
            let Some((_, old_r)) = old_codes.iter().find(|(c, _)| *c == code) else {
                continue;
            };
            let (was, is) = (examples(response(old_r, old)), examples(response(r, new)));
            for kind in is.difference(&was) {
                let at = (id.clone(), code.clone());
                added.entry(kind.clone()).or_default().push(at);
            }
            for kind in was.difference(&is) {
                let at = (id.clone(), code.clone());
                removed.entry(kind.clone()).or_default().push(at);
            }
        }
    }
    for (kind, at) in added {
        let ops: Vec<String> = at.iter().map(|(op, _)| op.clone()).collect();
        let places = places(&at);
        let value = format!("enum value `{kind}` added");
        if let Some(change) = changes.find_mut("schema ", &value) {
            change.what = format!("{value}, documented by {places}");
            for op in ops {
                if !change.operations.contains(&op) {
                    change.operations.push(op);
                }
            }
            continue;
        }
        changes.push(
            "exceptions",
            format!("`{kind}` newly documented by {places}"),
            &ops,
            Impact::compatible(
                "an older client reads it as an `Error`, keeping a kind it does not know",
            ),
            Impact::compatible("no signature names an exception type"),
        );
    }
    for (kind, at) in removed {
        let ops: Vec<String> = at.iter().map(|(op, _)| op.clone()).collect();
        changes.push(
            "exceptions",
            format!("`{kind}` no longer documented by {}", places(&at)),
            &ops,
            Impact::compatible("the service no longer answers it there"),
            Impact::compatible("matching on it still compiles"),
        );
    }
}

/// `resend 409, send 429`.
fn places(at: &[(String, String)]) -> String {
    let list: Vec<String> = at.iter().map(|(op, code)| format!("{op} {code}")).collect();
    list.join(", ")
}
