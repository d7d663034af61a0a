//! The import graph of a crate's modules: which file's code names which other module
//! (`use crate::…` and `crate::…` paths, through the crate root's re-exports), and the
//! loops in it. Read from the text (tests' `#[cfg(test)] mod` blocks and comments left out):
//! a file that imports one that imports it back is a loop, which `cargo xtask check` refuses
//! in the crates named in [`CRATES`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates whose modules must not import each other in a loop (issue #32).
pub const CRATES: [&str; 2] = ["otp-widget", "otp-client"];

/// Each module (`guard::session`; `""` is the crate root) with its file's text.
pub type Sources = BTreeMap<String, String>;

/// The `src` folder's modules.
pub fn read(src: &Path) -> std::io::Result<Sources> {
    let mut sources = Sources::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap_or(&path).with_extension("");
                let name = relative.to_string_lossy().replace('\\', "/");
                let module = match name.as_str() {
                    "lib" | "main" => String::new(),
                    other => other.trim_end_matches("/mod").replace('/', "::"),
                };
                sources.insert(module, std::fs::read_to_string(&path)?);
            }
        }
    }
    Ok(sources)
}

/// Every loop of modules that import each other, as `a -> b -> a`, each once.
pub fn loops(sources: &Sources) -> Vec<String> {
    let graph = imports(sources);
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        // The shortest way back to `start`, breadth first.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.as_str()]);
        while let Some(at) = queue.pop_front() {
            for next in graph.get(at).into_iter().flatten() {
                if next == start {
                    let mut cycle = vec![start.as_str()];
                    let mut step = at;
                    while step != start {
                        cycle.push(step);
                        step = came_from[step];
                    }
                    cycle.reverse();
                    // One rotation per loop: the one that starts at its smallest module.
                    let smallest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                    cycle.rotate_left(smallest);
                    cycle.push(cycle[0]);
                    found.insert(cycle.join(" -> "));
                    queue.clear();
                    break;
                }
                if next != start && !came_from.contains_key(next.as_str()) {
                    came_from.insert(next, at);
                    queue.push_back(next);
                }
            }
        }
    }
    found.into_iter().collect()
}

/// Which modules each module's code names (not itself, not its own submodules).
fn imports(sources: &Sources) -> BTreeMap<String, BTreeSet<String>> {
    let reexports = reexports(sources.get("").map(String::as_str).unwrap_or_default());
    let mut graph = BTreeMap::new();
    for (module, text) in sources {
        if module.is_empty() {
            continue;
        }
        let code = without_tests_and_comments(text);
        let mut named = BTreeSet::new();
        for path in crate_paths(&code) {
            if let Some(target) = resolve(&path, sources, &reexports)
                && &target != module
                && !target.is_empty()
                && !target.starts_with(&format!("{module}::"))
            {
                named.insert(target);
            }
        }
        graph.insert(module.clone(), named);
    }
    graph
}

/// The crate root's `pub use a::b::{X, Y};` and `pub use a::b::X;`: each item's module.
fn reexports(root: &str) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    for statement in root.split(';') {
        let Some(used) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let used: String = used.split_whitespace().collect();
        match used.split_once("::{") {
            Some((module, list)) => {
                for item in list.trim_end_matches('}').split(',') {
                    items.insert(item.to_string(), module.to_string());
                }
            }
            None => {
                if let Some((module, item)) = used.rsplit_once("::") {
                    items.insert(item.to_string(), module.to_string());
                }
            }
        }
    }
    items
}

/// The module a `crate::…` path names: the longest prefix of it that is a module, after the
/// crate root's re-exports.
fn resolve(path: &str, sources: &Sources, reexports: &BTreeMap<String, String>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    let first = *parts.first()?;
    if !sources.contains_key(first)
        && let Some(module) = reexports.get(first)
    {
        parts.splice(0..0, module.split("::"));
    }
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|candidate| sources.contains_key(candidate))
}

/// Every `crate::…` path in `code`, with each of a `crate::{a, b::c}` group's members.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let member: String = member
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                paths.push(member);
            }
        } else {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path);
        }
    }
    paths
}

/// `text` without `//` comments and without its `#[cfg(test)] mod … { … }` blocks.
fn without_tests_and_comments(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect();
    let code = lines.join("\n");
    let mut kept = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        kept.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let head = after.trim_start();
        let is_module = ["mod ", "pub(crate) mod ", "pub mod "]
            .iter()
            .any(|p| head.starts_with(p));
        match (is_module, after.find('{')) {
            (true, Some(open)) => {
                let mut depth = 0;
                let mut end = after.len();
                for (i, c) in after[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &after[end..];
            }
            _ => rest = after,
        }
    }
    kept.push_str(rest);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        files
            .iter()
            .map(|(m, t)| (m.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn a_module_that_imports_one_that_imports_it_back_is_a_loop() {
        let crate_ = sources(&[
            ("", "mod a; mod b; mod c; mod d;\npub use c::Thing;"),
            ("a", "use crate::b::f;\nfn x() { crate::d::g() }"),
            ("b", "use crate::{Thing, d};"),
            ("c", "pub struct Thing; fn y() { crate::a::x() }"),
            // Only its tests and a comment name `a`: no import.
            (
                "d",
                "// crate::a\n#[cfg(test)]\nmod tests { use crate::a; }",
            ),
        ]);
        // a -> b -> c (through the root's re-export) -> a.
        assert_eq!(loops(&crate_), vec!["a -> b -> c -> a".to_string()]);
        let fixed = sources(&[
            ("", "mod a; mod b;"),
            ("a", "use crate::b::f;"),
            ("b", "pub fn f() {}"),
        ]);
        assert!(loops(&fixed).is_empty());
    }

    #[test]
    fn the_crates_checked_are_read_whole() {
        for krate in CRATES {
            let src = crate::paths::root().join(krate).join("src");
            let modules = read(&src).unwrap();
            assert!(modules.contains_key(""), "{krate}: no lib.rs");
            assert!(modules.len() > 5, "{krate}: {:?}", modules.keys());
        }
        let widget = read(&crate::paths::root().join("otp-widget").join("src")).unwrap();
        assert!(widget.contains_key("guard::session"), "{:?}", widget.keys());
    }
}
