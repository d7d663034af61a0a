//! OpenAPI Overlay 1.0 documents: what this project (and a user) knows about the API beyond the
//! vendor's file, applied to it before anything reads it.
//!
//! An overlay is a list of actions, each a JSONPath `target` with an `update` (merged into each
//! node the target selects) or `remove: true`. The bundled overlay ([`BUNDLED_OVERLAY`]) marks
//! the long-polling operations, the operations the widget exposes and the SDK's notes; a user
//! adds their own through [`OVERLAY_ENV`].
//!
//! The targets are the subset of RFC 9535 JSONPath that overlays on OpenAPI documents use: name
//! selectors (`.name`, `['name']`), the wildcard (`.*`, `[*]`) and an equality filter on a
//! member (`[?@.operationId == 'send']`). Anything else is refused with a message that says so,
//! never silently matched against nothing.
//!
//! ```
//! let overlay = otp_spec::Overlay::parse("mine.yaml", r#"
//! overlay: 1.0.0
//! info: { title: mine, version: 1.0.0 }
//! actions:
//!   - target: "$.paths.*[?@.operationId == 'listThings']"
//!     update: { x-widget: browser }
//! "#)?;
//! let mut doc: serde_norway::Value = serde_norway::from_str(
//!     "paths: { /things: { get: { operationId: listThings } } }",
//! ).unwrap();
//! let unmatched = overlay.apply(&mut doc);
//! assert!(unmatched.is_empty());
//! assert_eq!(doc["paths"]["/things"]["get"]["x-widget"], "browser");
//! # Ok::<(), otp_spec::SpecError>(())
//! ```

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use crate::SpecError;

/// The overlay this release bundles, applied to every spec the build reads (the vendor's file
/// or `OTP_HANDLER_SPEC`): which operations long-poll, which the widget exposes, the SDK's
/// notes, the `send` rate limit the vendor's notes document.
pub const BUNDLED_OVERLAY: &str = include_str!("../overlay.yaml");

/// The bundled overlay's name in messages.
pub const BUNDLED_OVERLAY_NAME: &str = "otp-handler.overlay.yaml (bundled)";

/// The environment variable naming the user's own overlays, applied after the bundled one:
/// absolute paths, separated as `PATH` separates them (cargo's `[env]` with `relative = true`
/// makes an absolute path of one).
pub const OVERLAY_ENV: &str = "OTP_HANDLER_OVERLAY";

/// A parsed overlay document.
#[derive(Debug, Clone)]
pub struct Overlay {
    name: String,
    actions: Vec<Action>,
}

/// One action of an overlay.
#[derive(Debug, Clone)]
struct Action {
    /// The target as written, for messages.
    text: String,
    target: Vec<Selector>,
    update: Option<Value>,
    remove: bool,
    /// The action's line in its file (1-based), for messages.
    line: usize,
}

/// One segment of a JSONPath target.
#[derive(Debug, Clone, PartialEq)]
enum Selector {
    Name(String),
    Wildcard,
    /// `[?@.member == 'value']`: the children that are mappings whose `member` is `value`.
    Filter {
        member: String,
        value: String,
    },
}

/// An action whose target selected nothing: the document lacks what the overlay describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The overlay's name.
    pub overlay: String,
    /// The target, as written.
    pub target: String,
    /// The action's line in the overlay.
    pub line: usize,
}

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}` selects nothing",
            self.overlay, self.line, self.target
        )
    }
}

impl Overlay {
    /// The bundled overlay.
    pub fn bundled() -> Self {
        Self::parse(BUNDLED_OVERLAY_NAME, BUNDLED_OVERLAY)
            .expect("the bundled overlay is checked by this crate's tests")
    }

    /// Reads and parses the overlay at `path`.
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses an overlay held in memory; `name` is only used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Self, SpecError> {
        let invalid = |at: String, message: String| SpecError::Invalid {
            path: PathBuf::from(name),
            at,
            message,
        };
        let doc: Value = serde_norway::from_str(text).map_err(|e| SpecError::Parse {
            path: PathBuf::from(name),
            location: e.location().map(|l| (l.line(), l.column())),
            message: e.to_string(),
        })?;
        let version = doc.get("overlay").and_then(Value::as_str).unwrap_or("");
        if !version.starts_with("1.") {
            return Err(invalid(
                "overlay".into(),
                format!("`overlay: {version}` is not an OpenAPI Overlay 1.x document"),
            ));
        }
        let Some(actions) = doc.get("actions").and_then(Value::as_sequence) else {
            return Err(invalid("actions".into(), "no list of actions".into()));
        };
        let lines = target_lines(text);
        let mut out = Vec::new();
        for (i, action) in actions.iter().enumerate() {
            let at = format!("actions[{i}]");
            let Some(target) = action.get("target").and_then(Value::as_str) else {
                return Err(invalid(at, "the action has no `target`".into()));
            };
            let selectors = parse_target(target).map_err(|message| invalid(at.clone(), message))?;
            let remove = action
                .get("remove")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let update = action.get("update").cloned();
            if remove == update.is_some() {
                return Err(invalid(
                    at,
                    "an action has either an `update` or `remove: true`".into(),
                ));
            }
            out.push(Action {
                text: target.to_string(),
                target: selectors,
                update,
                remove,
                line: lines.get(i).copied().unwrap_or(0),
            });
        }
        Ok(Self {
            name: name.to_string(),
            actions: out,
        })
    }

    /// The overlay's name, as given to [`Overlay::parse`] or its path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies every action to `doc`, in order, and returns the ones that selected nothing.
    pub fn apply(&self, doc: &mut Value) -> Vec<Unmatched> {
        let mut unmatched = Vec::new();
        for action in &self.actions {
            let hits = if action.remove {
                remove(doc, &action.target)
            } else {
                let update = action.update.as_ref().expect("checked when parsed");
                let mut hits = 0;
                visit(doc, &action.target, &mut |node| {
                    merge(node, update);
                    hits += 1;
                });
                hits
            };
            if hits == 0 {
                unmatched.push(Unmatched {
                    overlay: self.name.clone(),
                    target: action.text.clone(),
                    line: action.line,
                });
            }
        }
        unmatched
    }
}

/// The user's own overlays, as [`OVERLAY_ENV`] names them, parsed.
pub fn user_overlays() -> Result<Vec<Overlay>, SpecError> {
    user_overlay_paths()?
        .iter()
        .map(|path| Overlay::load(path))
        .collect()
}

/// The paths [`OVERLAY_ENV`] names.
pub fn user_overlay_paths() -> Result<Vec<PathBuf>, SpecError> {
    let Some(value) = std::env::var_os(OVERLAY_ENV).filter(|v| !v.is_empty()) else {
        return Ok(Vec::new());
    };
    std::env::split_paths(&value)
        .map(|path| {
            if path.is_relative() {
                Err(SpecError::Override {
                    message: format!(
                        "{OVERLAY_ENV} names {}, a relative path, and a build script cannot \
                         tell to what: give an absolute path, or set it in \
                         .cargo/config.toml, under `[env]`, as `{OVERLAY_ENV} = {{ value = \
                         \"{}\", relative = true }}`",
                        path.display(),
                        path.display()
                    ),
                })
            } else {
                Ok(path)
            }
        })
        .collect()
}

/// The line of each `target:` in the text, in order: what a message points at.
fn target_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim_start().trim_start_matches("- ").trim_start();
            line.starts_with("target:")
        })
        .map(|(i, _)| i + 1)
        .collect()
}

fn parse_target(target: &str) -> Result<Vec<Selector>, String> {
    let unsupported = |what: &str| {
        format!(
            "target `{target}`: {what}; this overlay reader takes name selectors (`.name`, \
             `['name']`), the wildcard (`*`) and `[?@.member == 'value']`"
        )
    };
    let mut rest = target
        .trim()
        .strip_prefix('$')
        .ok_or_else(|| unsupported("it does not start with `$`"))?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.starts_with("..") {
            return Err(unsupported("descendant segments (`..`) are not supported"));
        }
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            if name.is_empty() {
                return Err(unsupported("an empty name"));
            }
            out.push(if name == "*" {
                Selector::Wildcard
            } else {
                Selector::Name(name.to_string())
            });
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let (inside, after) = bracket(after).ok_or_else(|| unsupported("an unclosed `[`"))?;
            let inside = inside.trim();
            out.push(if inside == "*" {
                Selector::Wildcard
            } else if let Some(filter) = inside.strip_prefix('?') {
                parse_filter(filter).ok_or_else(|| unsupported("an unsupported filter"))?
            } else {
                Selector::Name(
                    quoted(inside).ok_or_else(|| unsupported("an unquoted or indexed selector"))?,
                )
            });
            rest = after;
        } else {
            return Err(unsupported(
                "a segment that starts with neither `.` nor `[`",
            ));
        }
    }
    Ok(out)
}

/// The text up to the `]` that closes a bracket (quotes may hold `]`), and what follows.
fn bracket(text: &str) -> Option<(&str, &str)> {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ']') => return Some((&text[..i], &text[i + 1..])),
            _ => {}
        }
    }
    None
}

/// A string literal in single or double quotes (no escapes).
fn quoted(text: &str) -> Option<String> {
    let text = text.trim();
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
    (!inner.contains(quote) && !inner.contains('\\')).then(|| inner.to_string())
}

fn parse_filter(filter: &str) -> Option<Selector> {
    let filter = filter.trim();
    let filter = filter
        .strip_prefix('(')
        .and_then(|f| f.strip_suffix(')'))
        .unwrap_or(filter);
    let (left, right) = filter.split_once("==")?;
    let member = left.trim().strip_prefix("@.")?;
    let simple = !member.is_empty()
        && member
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let value = quoted(right)?;
    simple.then(|| Selector::Filter {
        member: member.to_string(),
        value,
    })
}

/// Whether `child` is selected by `selector`, given its key.
fn selects(selector: &Selector, key: Option<&Value>, child: &Value) -> bool {
    match selector {
        Selector::Name(name) => key.and_then(Value::as_str) == Some(name.as_str()),
        Selector::Wildcard => true,
        Selector::Filter { member, value } => {
            child.get(member.as_str()).and_then(Value::as_str) == Some(value.as_str())
        }
    }
}

/// Calls `f` on every node `path` selects under `node`.
fn visit(node: &mut Value, path: &[Selector], f: &mut dyn FnMut(&mut Value)) {
    let Some((first, rest)) = path.split_first() else {
        f(node);
        return;
    };
    match node {
        Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                if selects(first, Some(key), child) {
                    visit(child, rest, f);
                }
            }
        }
        Value::Sequence(items) if !matches!(first, Selector::Name(_)) => {
            for child in items.iter_mut() {
                if selects(first, None, child) {
                    visit(child, rest, f);
                }
            }
        }
        _ => {}
    }
}

/// Removes every node `path` selects; returns how many.
fn remove(doc: &mut Value, path: &[Selector]) -> usize {
    let Some((last, parent)) = path.split_last() else {
        return 0;
    };
    let mut removed = 0;
    visit(doc, parent, &mut |node| match node {
        Value::Mapping(map) => {
            let before = map.len();
            map.retain(|key, child| !selects(last, Some(key), child));
            removed += before - map.len();
        }
        Value::Sequence(items) if !matches!(last, Selector::Name(_)) => {
            let before = items.len();
            items.retain(|child| !selects(last, None, child));
            removed += before - items.len();
        }
        _ => {}
    });
    removed
}

/// Overlay 1.0's merge: a mapping's members are merged into the target's recursively, a
/// sequence's items are appended to the target's, and anything else replaces the target.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Mapping(target), Value::Mapping(update)) => merge_mapping(target, update),
        (Value::Sequence(target), Value::Sequence(update)) => target.extend(update.iter().cloned()),
        (Value::Sequence(target), update) => target.push(update.clone()),
        (target, update) => *target = update.clone(),
    }
}

fn merge_mapping(target: &mut Mapping, update: &Mapping) {
    for (key, value) in update {
        match target.get_mut(key) {
            Some(existing)
                if (existing.is_mapping() && value.is_mapping())
                    || (existing.is_sequence() && value.is_sequence()) =>
            {
                merge(existing, value)
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_norway::from_str(
            r#"
paths:
  /a/{id}:
    get: { operationId: getA }
    post: { operationId: postA, tags: [x] }
  /b:
    get: { operationId: getB }
"#,
        )
        .unwrap()
    }

    fn overlay(actions: &str) -> Overlay {
        Overlay::parse(
            "t.yaml",
            &format!("overlay: 1.0.0\ninfo: {{title: t, version: '1'}}\nactions:\n{actions}"),
        )
        .unwrap()
    }

    #[test]
    fn the_bundled_overlay_parses_and_covers_the_bundled_spec() {
        let mut spec: Value =
            serde_norway::from_str(include_str!("../openapi.yaml")).expect("the bundled spec");
        let unmatched = Overlay::bundled().apply(&mut spec);
        assert_eq!(unmatched, Vec::<Unmatched>::new());
    }

    #[test]
    fn a_filter_selects_an_operation_by_id_under_any_path() {
        let mut doc = doc();
        let hits = overlay(
            "  - target: \"$.paths.*[?@.operationId == 'postA']\"\n    update: { x-widget: browser, tags: [y] }\n",
        )
        .apply(&mut doc);
        assert!(hits.is_empty());
        assert_eq!(doc["paths"]["/a/{id}"]["post"]["x-widget"], "browser");
        assert_eq!(
            doc["paths"]["/a/{id}"]["post"]["tags"],
            serde_norway::from_str::<Value>("[x, y]").unwrap(),
            "a sequence's items are appended"
        );
        assert!(doc["paths"]["/a/{id}"]["get"].get("x-widget").is_none());
    }

    #[test]
    fn bracket_names_and_removal() {
        let mut doc = doc();
        let unmatched = overlay(
            "  - target: \"$.paths['/a/{id}'].get\"\n    remove: true\n  - target: $.paths['/c']\n    remove: true\n",
        )
        .apply(&mut doc);
        assert!(doc["paths"]["/a/{id}"].get("get").is_none());
        assert_eq!(unmatched.len(), 1, "{unmatched:?}");
        assert_eq!(unmatched[0].target, "$.paths['/c']");
        assert_eq!(unmatched[0].line, 6, "the line of the second target");
    }

    #[test]
    fn unsupported_targets_are_refused_with_what_is_supported() {
        for target in ["$..get", "paths.a", "$.paths[0]", "$.paths[?@.a > 1]"] {
            let err = Overlay::parse(
                "t.yaml",
                &format!(
                    "overlay: 1.0.0\ninfo: {{title: t, version: '1'}}\nactions:\n  - target: \"{target}\"\n    remove: true\n"
                ),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("name selectors"), "{target}: {err}");
        }
    }

    #[test]
    fn an_action_needs_update_or_remove() {
        let err = Overlay::parse(
            "t.yaml",
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.paths\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("either an `update` or `remove: true`"),
            "{err}"
        );
    }
}
