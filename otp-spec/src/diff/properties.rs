//! An object schema's properties compared. Every generated struct is `#[non_exhaustive]`,
//! built with `new(required fields…)` and one setter per optional field: an optional field
//! added is compatible for Rust, a required one changes `new`; on the wire, what a client
//! sends (a request) and what it reads (a response) break in opposite cases.

use std::collections::HashSet;

use openapiv3::ObjectType;

use super::Impact;
use super::changes::Changes;
use super::rust_type::{shape, unboxed};
use super::schemas::{Pair, Site, diff_schema};

/// Compares the properties of two object schemas at `path`.
pub(super) fn diff(
    changes: &mut Changes,
    site: &Site,
    path: &str,
    old: &ObjectType,
    new: &ObjectType,
    pair: Pair,
    seen: &mut HashSet<(String, String)>,
) {
    let (request, response) = (site.uses.request, site.uses.response);
    let field = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    for (name, was) in &old.properties {
        if new.properties.contains_key(name) {
            continue;
        }
        // A field of the same type that appears at the same time is likely its new name.
        let label = shape(&unboxed(was), pair.old);
        let renamed = new.properties.iter().find(|(n, f)| {
            !old.properties.contains_key(*n) && shape(&unboxed(f), pair.new) == label
        });
        let hint = renamed.map_or(String::new(), |(n, _)| format!(" (renamed to `{n}`?)"));
        let wire = if response {
            "an older client reading it gets nothing (a required one fails to decode)"
        } else {
            "an older client still sends it: what it sets is ignored"
        };
        site.push(
            changes,
            format!("{}field `{}` removed{hint}", site.prefix, field(name)),
            Impact::breaking(wire),
            Impact::breaking("the field and its setter disappear"),
        );
    }
    for (name, is) in &new.properties {
        let required = new.required.contains(name);
        let Some(was) = old.properties.get(name) else {
            let (wire, rust) = if required {
                (
                    Impact::either(
                        request,
                        "an older client does not send it",
                        "an older client ignores it",
                    ),
                    Impact::breaking("`new` gains an argument"),
                )
            } else {
                (
                    Impact::compatible(match (request, response) {
                        (true, true) => "an older client leaves it out, as it may, and ignores it",
                        (true, false) => "an older client leaves it out, as it may",
                        _ => "an older client ignores it",
                    }),
                    Impact::compatible(
                        "the struct is `#[non_exhaustive]`: one more field and setter, `new` unchanged",
                    ),
                )
            };
            let kind = if required { "required" } else { "optional" };
            let what = format!("{}{kind} field `{}` added", site.prefix, field(name));
            site.push(changes, what, wire, rust);
            continue;
        };
        if old.required.contains(name) != required {
            let (wire, rust) = if required {
                (
                    Impact::either(
                        request,
                        "an older client may leave it out",
                        "the service now always sends it",
                    ),
                    "the field goes from `Option<T>` to `T`, and `new` gains an argument",
                )
            } else {
                (
                    Impact::either(
                        response,
                        "an older client requires it, and the service may now leave it out",
                        "the service takes it missing",
                    ),
                    "the field goes from `T` to `Option<T>`, and `new` loses an argument",
                )
            };
            let now = if required { "required" } else { "optional" };
            let what = format!("{}field `{}` is now {now}", site.prefix, field(name));
            site.push(changes, what, wire, Impact::breaking(rust));
        }
        let (was, is) = (unboxed(was), unboxed(is));
        diff_schema(changes, site, &field(name), &was, &is, pair, seen);
    }
}
