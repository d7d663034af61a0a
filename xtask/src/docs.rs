//! What the vendor's reference documents: per operation, its status codes and the
//! exception types each one names.

use std::collections::{BTreeMap, BTreeSet};

/// Status code → exception types, per operationId.
pub type Documented = BTreeMap<String, BTreeMap<u16, BTreeSet<String>>>;

/// Reads the response tables of `reference.md`: a `## operationId` heading, then rows
/// such as `|400|[Bad Request](…)|ResendChannelException, …|Inline|`.
pub fn parse_reference(text: &str) -> Documented {
    let mut out = Documented::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            current = Some(name.trim().to_string());
            continue;
        }
        let Some(op) = &current else { continue };
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if cells.len() != 4 || !cells[1].starts_with('[') {
            continue;
        }
        let Ok(status) = cells[0].parse::<u16>() else {
            continue;
        };
        let exceptions = cells[2]
            .split(',')
            .map(str::trim)
            .filter(|e| e.ends_with("Exception"))
            .map(String::from)
            .collect();
        out.entry(op.clone())
            .or_default()
            .insert(status, exceptions);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_statuses_and_exceptions() {
        let text = "## resend\n\n|Status|Meaning|Description|Schema|\n|---|---|---|---|\n\
                    |201|[Created](x)|none|[Dto](#dto)|\n|401|[Unauthorized](x)|Unauthorized|None|\n\
                    |409|[Conflict](x)|RestartCooldownActiveException, SessionAlreadyConfirmedException|Inline|\n";
        let docs = parse_reference(text);
        let resend = &docs["resend"];
        assert_eq!(
            resend.keys().copied().collect::<Vec<_>>(),
            vec![201, 401, 409]
        );
        assert!(resend[&401].is_empty());
        assert_eq!(resend[&409].len(), 2);
    }
}
