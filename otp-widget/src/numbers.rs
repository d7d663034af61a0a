//! How the back end reads what a browser names: the widget (one of the application's), and a
//! phone number, parsed with libphonenumber's metadata into E.164 before anything is counted,
//! so that each number has one count whatever its spelling.

use crate::guard::send_limits::Target;
use crate::refusal::{Reason, Refusal};

/// The widgets and the numbering settings of one back end.
#[derive(Debug, Clone)]
pub(crate) struct Numbers {
    /// The widgets the browser may name; any other is refused before anything is counted.
    pub(crate) widgets: Vec<uuid::Uuid>,
    /// Where a number written without `+` is read as written (ISO 3166-1 alpha-2).
    pub(crate) region: String,
    /// Numbers taken as written though no numbering plan has them (tests' scenario numbers).
    pub(crate) test_numbers: Vec<String>,
}

impl Numbers {
    /// Whether `widget` is one of the application's.
    pub(crate) fn serves(&self, widget: &uuid::Uuid) -> bool {
        self.widgets.contains(widget)
    }

    /// The number a `send` goes to, from what the browser typed; `ValidateError` for what is
    /// not a valid number.
    pub(crate) fn target(&self, typed: String) -> Result<Target, Refusal> {
        match otp_client::Phone::parse_in(&typed, &self.region) {
            Ok(phone) => Ok(Target {
                region: phone.region().map(str::to_string),
                kind: Some(phone.number_type()),
                e164: String::from(phone),
            }),
            Err(_) if self.test_numbers.contains(&typed) => Ok(Target {
                e164: typed,
                region: Some(self.region.clone()),
                kind: None,
            }),
            Err(_) => Err(Refusal::invalid(Reason::InvalidNumber)),
        }
    }

    /// The `recipient` of a query, present once: a number in E.164 (`+` and 1 to 15 digits)
    /// as it came, any other read as `send` reads it, into the E.164 number the service was
    /// given (a browser may send it back as the user typed it, `8 999 …`).
    pub(crate) fn recipient(&self, query: Option<&str>) -> Result<String, Refusal> {
        let query = query.unwrap_or_default();
        if let Some(digits) = plain_recipient(query) {
            let mut phone = String::with_capacity(1 + digits.len());
            phone.push('+');
            phone.push_str(digits);
            return Ok(phone);
        }
        let mut found = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "recipient")
            .map(|(_, v)| v.into_owned());
        let (Some(phone), None) = (found.next(), found.next()) else {
            return Err(Refusal::invalid(Reason::InvalidRequest));
        };
        // Written as `send` passes a number on (`+` and up to 15 digits): passed on as it
        // came, for the service to compare with the session's number. A valid E.164 number
        // parses to itself; one that would parse to another (`+7 8 999…`, a national prefix
        // after the country code) is not the session's, and the service answers so. Parsing
        // costs more than the rest of the route together; a browser that sends the number
        // back as typed pays it.
        if phone.strip_prefix('+').is_some_and(e164_digits) {
            return Ok(phone);
        }
        match otp_client::Phone::parse_in(&phone, &self.region) {
            Ok(parsed) => Ok(String::from(parsed)),
            Err(_) if self.test_numbers.contains(&phone) => Ok(phone),
            Err(_) => Err(Refusal::invalid(Reason::InvalidNumber)),
        }
    }
}

/// The digits of a query that is only `recipient=%2B` and an E.164 number's digits (1 to
/// 15), as the widget sends it: read in place, without decoding. Any other query, `None`
/// (read by the general path, which decodes and checks it).
fn plain_recipient(query: &str) -> Option<&str> {
    let digits = query
        .strip_prefix("recipient=%2B")
        .or_else(|| query.strip_prefix("recipient=%2b"))?;
    e164_digits(digits).then_some(digits)
}

/// Whether `digits` are an E.164 number's, after its `+`: 1 to 15 ASCII digits.
fn e164_digits(digits: &str) -> bool {
    (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_query_of_one_plain_e164_recipient_is_read_in_place() {
        for (query, digits) in [
            ("recipient=%2B79991234567", Some("79991234567")),
            ("recipient=%2b1", Some("1")),
            ("recipient=%2B123456789012345", Some("123456789012345")),
            ("recipient=%2B1234567890123456", None),
            ("recipient=%2B", None),
            ("recipient=%2B7999&recipient=%2B7000", None),
            ("recipient=%2B7999&x=1", None),
            ("recipient=+7999", None),
            ("recipient=%2B7%39", None),
            ("recip%69ent=%2B7999", None),
            ("", None),
        ] {
            assert_eq!(plain_recipient(query), digits, "{query}");
        }
    }
}
