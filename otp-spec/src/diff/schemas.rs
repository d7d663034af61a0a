//! Schemas compared: each schema under `components/schemas` once, as itself, for every
//! operation that reaches it; an operation's inline schemas (or a body that now names
//! another schema) where the operation is compared. A `$ref` to the same schema on both
//! sides is not followed: that schema's own comparison says what changed in it.

use std::collections::HashSet;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use super::changes::Changes;
use super::reach::{Uses, reach};
use super::rust_type::{ref_name, schema, shape, unboxed};
use super::{Impact, properties};

/// Both documents.
#[derive(Clone, Copy)]
pub(super) struct Pair<'a> {
    /// The old document.
    pub old: &'a OpenAPI,
    /// The new document.
    pub new: &'a OpenAPI,
}

/// Where schemas are compared: the changes' subject, their operations and which way the
/// schema travels, and what each change's text starts with (`response 200: `).
pub(super) struct Site<'a> {
    /// The subject: `schema NAME` or an operationId.
    pub subject: &'a str,
    /// Its operations, and which way.
    pub uses: &'a Uses,
    /// What each change's text starts with.
    pub prefix: &'a str,
    /// Whether the subject is the component schema itself (a string enum at its top is an
    /// open enum).
    pub component: bool,
}

impl Site<'_> {
    /// `prefix` and `path` as the start of a change's text.
    pub(super) fn at(&self, path: &str) -> String {
        if path.is_empty() {
            self.prefix.to_string()
        } else {
            format!("{}`{path}`: ", self.prefix)
        }
    }

    pub(super) fn push(&self, changes: &mut Changes, what: String, wire: Impact, rust: Impact) {
        changes.push(self.subject, what, &self.uses.operations, wire, rust);
    }
}

/// Every schema under `components/schemas`, compared once by name.
pub(super) fn diff_components(changes: &mut Changes, old: &OpenAPI, new: &OpenAPI) {
    let uses = reach(old, new);
    let none = Uses::default();
    let table = |s: &OpenAPI| {
        s.components
            .as_ref()
            .map(|c| c.schemas.clone())
            .unwrap_or_default()
    };
    let (old_schemas, new_schemas) = (table(old), table(new));
    let pair = Pair { old, new };
    for (name, o) in &old_schemas {
        let subject = format!("schema {name}");
        let site = Site {
            subject: &subject,
            uses: uses.get(name).unwrap_or(&none),
            prefix: "",
            component: true,
        };
        match new_schemas.get(name) {
            Some(n) => diff_schema(changes, &site, "", o, n, pair, &mut HashSet::new()),
            None => site.push(
                changes,
                "schema removed".into(),
                Impact::compatible(
                    "no message changes by itself: where an operation's does, it is listed",
                ),
                Impact::breaking(format!("the type `types::{name}` disappears")),
            ),
        }
    }
    for name in new_schemas.keys().filter(|n| !old_schemas.contains_key(*n)) {
        let subject = format!("schema {name}");
        let site = Site {
            subject: &subject,
            uses: uses.get(name).unwrap_or(&none),
            prefix: "",
            component: true,
        };
        site.push(
            changes,
            "schema added".into(),
            Impact::compatible("an older client never meets it unless an operation changes"),
            Impact::compatible(format!("a new type, `types::{name}`")),
        );
    }
}

/// Compares one schema at `path` (empty at the site's top): its type, then its fields,
/// values or items.
pub(super) fn diff_schema(
    changes: &mut Changes,
    site: &Site,
    path: &str,
    old: &ReferenceOr<Schema>,
    new: &ReferenceOr<Schema>,
    pair: Pair,
    seen: &mut HashSet<(String, String)>,
) {
    let (old_name, new_name) = (ref_name(old), ref_name(new));
    if old_name.is_some() && old_name == new_name {
        return;
    }
    if let (Some(a), Some(b)) = (old_name, new_name)
        && !seen.insert((a.to_string(), b.to_string()))
    {
        return;
    }
    let (Some(o), Some(n)) = (schema(old, pair.old), schema(new, pair.new)) else {
        return;
    };
    let (old_shape, new_shape) = (shape(old, pair.old), shape(new, pair.new));
    let at = site.at(path);
    let kind = |s: &Schema| match &s.schema_kind {
        SchemaKind::Type(Type::Object(_)) => Some("object"),
        SchemaKind::Type(Type::String(t)) if !t.enumeration.is_empty() => Some("enum"),
        _ => None,
    };
    if old_name != new_name && kind(o).is_some() && kind(o) == kind(n) {
        let name = |n: Option<&str>| n.map_or("an inline schema".into(), |n| format!("`{n}`"));
        site.push(
            changes,
            format!("{at}now {} instead of {}", name(new_name), name(old_name)),
            Impact::compatible("another schema in the same place: each change of shape is listed"),
            Impact::breaking(format!(
                "the Rust type changes from `{}` to `{}`",
                old_shape.rust, new_shape.rust
            )),
        );
    } else if old_shape.rust != new_shape.rust {
        site.push(
            changes,
            format!(
                "{at}type `{}` → `{}` (Rust `{}` → `{}`)",
                old_shape.spec, new_shape.spec, old_shape.rust, new_shape.rust
            ),
            Impact::breaking("an older client sends or expects the old type"),
            Impact::breaking("the Rust type changes"),
        );
        return;
    } else if old_shape.spec != new_shape.spec {
        site.push(
            changes,
            format!("{at}type `{}` → `{}`", old_shape.spec, new_shape.spec),
            Impact::compatible("the same JSON type: only its documented format changes"),
            Impact::compatible(format!("the Rust type stays `{}`", new_shape.rust)),
        );
    }
    match (&o.schema_kind, &n.schema_kind) {
        (SchemaKind::Type(Type::Object(oo)), SchemaKind::Type(Type::Object(no))) => {
            properties::diff(changes, site, path, oo, no, pair, seen);
        }
        (SchemaKind::Type(Type::String(os)), SchemaKind::Type(Type::String(ns))) => {
            let open = new_name.is_some() || (site.component && path.is_empty());
            diff_values(changes, site, &at, &os.enumeration, &ns.enumeration, open);
        }
        (SchemaKind::Type(Type::Array(oa)), SchemaKind::Type(Type::Array(na))) => {
            if let (Some(oi), Some(ni)) = (&oa.items, &na.items) {
                let items = format!("{path}[]");
                diff_schema(
                    changes,
                    site,
                    &items,
                    &unboxed(oi),
                    &unboxed(ni),
                    pair,
                    seen,
                );
            }
        }
        _ => {}
    }
}

/// A string enum's values: an open enum (one under `components/schemas`) takes a new value
/// on both sides; an inline one is generated closed.
fn diff_values(
    changes: &mut Changes,
    site: &Site,
    at: &str,
    old: &[Option<String>],
    new: &[Option<String>],
    open: bool,
) {
    let (request, response) = (site.uses.request, site.uses.response);
    for v in new
        .iter()
        .flatten()
        .filter(|v| !old.contains(&Some((*v).clone())))
    {
        let wire = if open || !response {
            Impact::compatible(if response {
                "an older client decodes it as `Unknown`"
            } else {
                "the service takes one more value"
            })
        } else {
            Impact::breaking("an older client's closed enum fails to decode it")
        };
        let rust = Impact::either(
            !open,
            "an inline enum is generated closed: an exhaustive `match` breaks",
            "the enum is open (`#[non_exhaustive]`, `Unknown`): no `match` breaks",
        );
        site.push(changes, format!("{at}enum value `{v}` added"), wire, rust);
    }
    for v in old
        .iter()
        .flatten()
        .filter(|v| !new.contains(&Some((*v).clone())))
    {
        let wire = Impact::either(
            request,
            "an older client may send a value the service refuses",
            "the service no longer sends it",
        );
        let rust = Impact::breaking("the variant disappears");
        site.push(changes, format!("{at}enum value `{v}` removed"), wire, rust);
    }
}
