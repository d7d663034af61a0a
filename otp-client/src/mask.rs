//! Masking of personal data in spans, events and messages.

/// Masks a phone number for logs: the country and operator prefix and the last four
/// digits stay, the rest becomes `***`. Short values are masked whole.
///
/// ```
/// assert_eq!(otp_client::mask_phone("+79991234563"), "+7999***4563");
/// assert_eq!(otp_client::mask_phone("12345"), "***");
/// ```
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 10 {
        return "***".to_string();
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
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
