//! `$ref`s under `components`, followed to what they name: the one place the workspace
//! resolves them.

use indexmap::IndexMap;
use openapiv3::{Components, OpenAPI, ReferenceOr};

/// What `item` is or refers to, following references under `prefix` (e.g.
/// `#/components/parameters/`) in the table `table` picks, up to 16 deep; `None` for a
/// reference to nothing, elsewhere, or in a loop.
pub fn resolve<'a, T>(
    item: &'a ReferenceOr<T>,
    prefix: &str,
    table: impl Fn(&'a Components) -> &'a IndexMap<String, ReferenceOr<T>>,
    spec: &'a OpenAPI,
) -> Option<&'a T> {
    let mut item = item;
    for _ in 0..16 {
        match item {
            ReferenceOr::Item(t) => return Some(t),
            ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix(prefix)?;
                item = table(spec.components.as_ref()?).get(name)?;
            }
        }
    }
    None
}
