//! `cargo xtask spec-overlay`: a spec made from the workspace's and an overlay, for the tests
//! that play a newer vendor spec (or a broken one) without a second copy of the whole spec.
//!
//! Mappings merge key by key, an overlay's sequence adds the items the base's lacks (so an
//! enum gains a value by listing only it), and `--remove` drops what a JSON pointer names.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_norway::Value;

/// Writes `base` merged with `overlay` (when given), less each `remove` pointer, to `out`.
pub fn write(base: &Path, overlay: Option<&Path>, remove: &[String], out: &Path) -> Result<()> {
    let mut doc = read(base)?;
    if let Some(overlay) = overlay {
        merge(&mut doc, read(overlay)?);
    }
    for pointer in remove {
        if !remove_at(&mut doc, pointer) {
            bail!("--remove {pointer}: nothing there in {}", base.display());
        }
    }
    let text = serde_norway::to_string(&doc)?;
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

fn read(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (Value::Sequence(base), Value::Sequence(overlay)) => {
            for item in overlay {
                if !base.contains(&item) {
                    base.push(item);
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// Removes what the JSON pointer names (`~1` for `/`, `~0` for `~`); whether it was there.
fn remove_at(doc: &mut Value, pointer: &str) -> bool {
    let mut keys: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|k| k.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some(last) = keys.pop() else {
        return false;
    };
    let mut node = doc;
    for key in &keys {
        let Some(next) = node.get_mut(key.as_str()) else {
            return false;
        };
        node = next;
    }
    node.as_mapping_mut()
        .is_some_and(|m| m.remove(last.as_str()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_keys_and_sequence_items_and_remove_drops_a_path() {
        let mut doc: Value =
            serde_norway::from_str("{paths: {/: {post: 1}, /a: 2}, e: [x, y]}").unwrap();
        merge(
            &mut doc,
            serde_norway::from_str("{paths: {/b: 3}, e: [y, z]}").unwrap(),
        );
        assert!(remove_at(&mut doc, "/paths/~1"));
        assert!(!remove_at(&mut doc, "/paths/~1"));
        let expected: Value =
            serde_norway::from_str("{paths: {/a: 2, /b: 3}, e: [x, y, z]}").unwrap();
        assert_eq!(doc, expected);
    }
}
