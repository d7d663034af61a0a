//! What touches every operation: the servers (the clients' `Environment`s resolve their
//! URLs by description) and the security schemes (the clients' authentication is written
//! by hand, not generated).

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::OpenAPI;

use super::Impact;
use super::changes::Changes;

/// Compares the servers and the security.
pub(super) fn diff(changes: &mut Changes, old: &OpenAPI, new: &OpenAPI) {
    servers(changes, old, new);
    security(changes, old, new);
}

fn servers(changes: &mut Changes, old: &OpenAPI, new: &OpenAPI) {
    let urls = |s: &OpenAPI| -> BTreeMap<String, String> {
        s.servers
            .iter()
            .map(|s| {
                let name = s.description.clone().unwrap_or_else(|| s.url.clone());
                (name, s.url.clone())
            })
            .collect()
    };
    let (old, new) = (urls(old), urls(new));
    let unchanged = || Impact::compatible("no signature names a server");
    for (name, url) in &old {
        match new.get(name) {
            None => changes.push(
                "servers",
                format!("server `{name}` ({url}) removed"),
                &[],
                Impact::breaking("a client configured for it has no address"),
                unchanged(),
            ),
            Some(new_url) if new_url != url => changes.push(
                "servers",
                format!("server `{name}`: {url} → {new_url}"),
                &[],
                Impact::breaking("a client built before talks to the old address"),
                unchanged(),
            ),
            _ => {}
        }
    }
    for (name, url) in new.iter().filter(|(n, _)| !old.contains_key(*n)) {
        changes.push(
            "servers",
            format!("server `{name}` ({url}) added"),
            &[],
            Impact::compatible("a new address to choose"),
            unchanged(),
        );
    }
}

fn security(changes: &mut Changes, old: &OpenAPI, new: &OpenAPI) {
    let schemes = |s: &OpenAPI| -> BTreeMap<String, String> {
        s.components
            .as_ref()
            .map(|c| {
                let schemes = c.security_schemes.iter();
                schemes
                    .map(|(n, s)| (n.clone(), format!("{s:?}")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_schemes, new_schemes) = (schemes(old), schemes(new));
    let hand_written = || Impact::compatible("the clients' authentication is not generated");
    let names: BTreeSet<_> = old_schemes.keys().chain(new_schemes.keys()).collect();
    for name in names {
        let (what, wire) = match (old_schemes.get(name), new_schemes.get(name)) {
            (Some(_), None) => (
                format!("security scheme `{name}` removed"),
                "the client's authentication no longer matches",
            ),
            (None, Some(_)) => (
                format!("security scheme `{name}` added"),
                "the service may expect credentials an older client does not send",
            ),
            (Some(o), Some(n)) if o != n => (
                format!("security scheme `{name}` changed"),
                "the client's authentication no longer matches",
            ),
            _ => continue,
        };
        changes.push(
            "security",
            what,
            &[],
            Impact::breaking(wire),
            hand_written(),
        );
    }
    if format!("{:?}", old.security) != format!("{:?}", new.security) {
        changes.push(
            "security",
            "global security requirement changed",
            &[],
            Impact::breaking("the client's authentication no longer matches"),
            hand_written(),
        );
    }
}
