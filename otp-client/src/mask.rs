//! Masking of personal data in spans, events and messages.

/// Masks a phone number for logs: the country and operator prefix and the last four
/// digits stay, the rest becomes `***`. Short values are masked whole.
///
/// ```
/// assert_eq!(otp_client::mask_phone("+79991234563"), "+7999***4563");
/// assert_eq!(otp_client::mask_phone("12345"), "***");
/// ```
pub fn mask_phone(phone: &str) -> String {
    MaskedPhone(phone).to_string()
}

/// A phone number that displays masked, formatting only when it is displayed (a span field
/// that no subscriber records costs nothing).
pub(crate) struct MaskedPhone<'a>(pub &'a str);

impl std::fmt::Display for MaskedPhone<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.chars().count();
        if count < 10 {
            return f.write_str("***");
        }
        let head_end = self
            .0
            .char_indices()
            .nth(5)
            .map_or(self.0.len(), |(i, _)| i);
        let tail_start = self
            .0
            .char_indices()
            .nth(count - 4)
            .map_or(self.0.len(), |(i, _)| i);
        write!(f, "{}***{}", &self.0[..head_end], &self.0[tail_start..])
    }
}

/// A secret field of a generated request body (a phone number, a code), as its `Debug` prints
/// it: quoted, and masked as [`mask_phone`] masks (a code, shorter, is `***` whole).
pub(crate) struct MaskedDebug<'a>(pub &'a str);

impl std::fmt::Debug for MaskedDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", MaskedPhone(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    #[test]
    fn keeps_prefix_and_last_four_only() {
        assert_eq!(mask_phone("+79991234563"), "+7999***4563");
        assert_eq!(mask_phone("79991234563"), "79991***4563");
        assert_eq!(mask_phone(""), "***");
        assert_eq!(mask_phone("+7999"), "***");
        assert!(!mask_phone("+79991234563").contains("123"));
    }
}
