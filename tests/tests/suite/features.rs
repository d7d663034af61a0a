//! Each published crate's README (its crate docs on docs.rs) lists every feature its
//! Cargo.toml declares, each once, with whether it is a default: the table cannot drift from
//! the manifest.

use std::collections::BTreeMap;

/// (feature, default?) as `Cargo.toml`'s `[features]` declares them.
fn declared(manifest: &str) -> BTreeMap<String, bool> {
    let manifest: toml::Table = manifest.parse().expect("a manifest");
    let features = manifest
        .get("features")
        .and_then(|f| f.as_table())
        .cloned()
        .unwrap_or_default();
    let defaults: Vec<String> = features
        .get("default")
        .and_then(|d| d.as_array())
        .map(|d| {
            d.iter()
                .filter_map(|v| v.as_str())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    features
        .keys()
        .filter(|name| *name != "default")
        .map(|name| (name.clone(), defaults.contains(name)))
        .collect()
}

/// (feature, default?) as the README's `## Features` table gives them.
fn documented(readme: &str) -> BTreeMap<String, bool> {
    let section = readme
        .split("\n## Features\n")
        .nth(1)
        .expect("a `## Features` section")
        .split("\n## ")
        .next()
        .unwrap_or_default();
    section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), *cells.get(2)? == "yes"))
        })
        .collect()
}

#[test]
fn every_feature_is_documented_with_its_default() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for krate in ["otp-client", "otp-client-blocking", "otp-widget"] {
        let read = |file: &str| {
            std::fs::read_to_string(format!("{root}/{krate}/{file}"))
                .unwrap_or_else(|e| panic!("{krate}/{file}: {e}"))
        };
        assert_eq!(
            documented(&read("README.md")),
            declared(&read("Cargo.toml")),
            "{krate}: the README's features table and Cargo.toml's [features] differ"
        );
    }
}
