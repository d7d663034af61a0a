//! What the overlays say of an operation (`x-widget`, `x-long-polling`, `x-sdk-note`),
//! compared: the documents are compared as the build sees them, so an operation the
//! overlays no longer mark (the vendor renamed it, or an overlay changed) is reported with
//! what that does. The widget back end exposes only the operations marked
//! `x-widget: browser`; a long-polling operation gets the long timeout only while marked.

use super::Impact;
use super::changes::Changes;
use crate::{Operation, WidgetExposure};

/// The widget's word for `w`.
fn exposure(w: Option<WidgetExposure>) -> &'static str {
    match w {
        Some(WidgetExposure::Browser) => "x-widget: browser",
        Some(WidgetExposure::ServerOnly) => "x-widget: server-only",
        None => "no overlay marks it x-widget",
    }
}

/// What an operation added lacks: the widget does not expose it until an overlay marks it.
pub(super) fn added(changes: &mut Changes, id: &str, new: Option<&Operation>) {
    if new.is_some_and(|op| op.widget.is_none()) {
        changes.push(
            id,
            "not exposed by the widget (no overlay marks it x-widget)",
            &[id.to_string()],
            Impact::compatible(
                "the widget answers its path like one that does not exist, until an overlay marks it",
            ),
            Impact::compatible("the clients' methods do not depend on it"),
        );
    }
}

/// Compares the marks of one operation on both sides.
pub(super) fn diff(
    changes: &mut Changes,
    id: &str,
    old: Option<&Operation>,
    new: Option<&Operation>,
) {
    let (Some(old), Some(new)) = (old, new) else {
        return;
    };
    let ops = [id.to_string()];
    let untouched = "the clients' methods do not change";
    let browser = Some(WidgetExposure::Browser);
    if old.widget != new.widget {
        let (what, wire) = if old.widget == browser {
            (
                format!(
                    "not exposed by the widget any more ({})",
                    exposure(new.widget)
                ),
                Impact::breaking("the widget closes its route: browsers that call it get 404"),
            )
        } else if new.widget == browser {
            (
                format!("now exposed by the widget (was: {})", exposure(old.widget)),
                Impact::compatible("the widget opens one more route to browsers"),
            )
        } else {
            (
                format!(
                    "not exposed by the widget ({}; was: {})",
                    exposure(new.widget),
                    exposure(old.widget)
                ),
                Impact::compatible("the widget did not expose it either"),
            )
        };
        changes.push(id, what, &ops, wire, Impact::compatible(untouched));
    }
    if old.long_polling && !new.long_polling {
        changes.push(
            id,
            "no longer long-polling (x-long-polling lost)",
            &ops,
            Impact::breaking(
                "a client built from the new document gives it the ordinary timeout: a call the service holds longer fails",
            ),
            Impact::compatible(untouched),
        );
    } else if new.long_polling && !old.long_polling {
        changes.push(
            id,
            "now long-polling (x-long-polling)",
            &ops,
            Impact::compatible("the client gives it the long timeout"),
            Impact::compatible(untouched),
        );
    }
    if old.sdk_note != new.sdk_note {
        let what = match (&old.sdk_note, &new.sdk_note) {
            (Some(_), None) => "x-sdk-note removed: the method's docs lose the note",
            (None, Some(_)) => "x-sdk-note added to the method's docs",
            _ => "x-sdk-note changed",
        };
        changes.push(
            id,
            what,
            &ops,
            Impact::compatible("documentation only"),
            Impact::compatible("documentation only"),
        );
    }
}
