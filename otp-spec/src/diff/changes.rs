//! The list of changes as the comparisons find them: each change once, however many
//! operations lead to it.

use super::{Change, Impact};

/// The changes found so far.
#[derive(Debug, Default)]
pub(super) struct Changes {
    list: Vec<Change>,
}

impl Changes {
    /// Adds a change; one with the same subject and text is the same change: it gains the
    /// operations it lacked, and the more severe impact on each side.
    pub(super) fn push(
        &mut self,
        subject: &str,
        what: impl Into<String>,
        operations: &[String],
        wire: Impact,
        rust: Impact,
    ) {
        let what = what.into();
        if let Some(same) = self
            .list
            .iter_mut()
            .find(|c| c.subject == subject && c.what == what)
        {
            for op in operations {
                if !same.operations.contains(op) {
                    same.operations.push(op.clone());
                }
            }
            if wire.severity > same.wire.severity {
                same.wire = wire;
            }
            if rust.severity > same.rust.severity {
                same.rust = rust;
            }
            return;
        }
        self.list.push(Change {
            subject: subject.to_string(),
            what,
            operations: operations.to_vec(),
            wire,
            rust,
        });
    }

    /// The change whose text starts with `prefix` under a subject that starts with
    /// `subject_prefix`, to say more of it.
    pub(super) fn find_mut(&mut self, subject_prefix: &str, prefix: &str) -> Option<&mut Change> {
        self.list
            .iter_mut()
            .find(|c| c.subject.starts_with(subject_prefix) && c.what.starts_with(prefix))
    }

    /// The changes, in the order found.
    pub(super) fn into_vec(self) -> Vec<Change> {
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_change_found_twice_is_listed_once_with_both_operations() {
        let mut changes = Changes::default();
        let (a, b) = (vec!["a".to_string()], vec!["b".to_string()]);
        changes.push(
            "s",
            "x",
            &a,
            Impact::compatible("w"),
            Impact::compatible("r"),
        );
        changes.push(
            "s",
            "x",
            &b,
            Impact::breaking("w!"),
            Impact::compatible("r"),
        );
        changes.push(
            "s",
            "y",
            &b,
            Impact::compatible("w"),
            Impact::compatible("r"),
        );
        let list = changes.into_vec();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].operations, ["a", "b"]);
        assert_eq!(list[0].wire, Impact::breaking("w!"));
    }
}
