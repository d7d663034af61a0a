//! Scrubbing text the SDK did not write (bodies of unexpected answers, the service's
//! messages) of what must never be shown: the token, the call's phone number and code, and
//! anything that looks like a bearer token or a phone number.

use crate::mask::MaskedPhone;

/// What one call must not show: the token and its string arguments (phone, code).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Secrets<'a> {
    pub token: &'a str,
    pub values: &'a [(&'static str, &'a str)],
}

const REDACTED: &str = "<redacted>";

/// A URL as it may be shown: without credentials, query or fragment; a relative one keeps
/// its path only.
pub(crate) fn display_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => text
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// `text` with every secret, bearer token and phone-like number replaced.
pub(crate) fn scrub(text: &str, secrets: Secrets<'_>) -> String {
    // A JSON body may spell any character as `\uXXXX` (and `/` as `\/`): read those first,
    // so that a secret echoed as `tok\u002d…` is the secret.
    let mut out = json_unescaped(text);
    let values = std::iter::once(secrets.token).chain(secrets.values.iter().map(|(_, v)| *v));
    for value in values.filter(|v| !v.trim().is_empty()) {
        for form in encodings(value) {
            if out.contains(&form) {
                out = out.replace(&form, REDACTED);
            }
        }
    }
    mask_phone_numbers(&scrub_bearer(&out))
}

/// `text` with JSON's `\uXXXX` escapes (surrogate pairs included) and `\/` read as the
/// characters they stand for; any other escape, and a lone surrogate, left as written.
fn json_unescaped(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let hex = |s: &str| -> Option<u32> {
        let digits = s.get(..4)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(digits, 16).ok())
            .flatten()
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(after) = escape.strip_prefix("\\/") {
            out.push('/');
            rest = after;
            continue;
        }
        let unit = escape.strip_prefix("\\u").and_then(hex);
        let decoded = match unit {
            Some(high @ 0xD800..=0xDBFF) => escape
                .get(6..)
                .and_then(|s| s.strip_prefix("\\u"))
                .and_then(hex)
                .filter(|low| (0xDC00..=0xDFFF).contains(low))
                .and_then(|low| char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))
                .map(|c| (c, 12)),
            Some(unit) => char::from_u32(unit).map(|c| (c, 6)),
            None => None,
        };
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &escape[len..];
            }
            None => {
                out.push('\\');
                rest = &escape[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A value as it may appear in an echoed request: as it is, form-encoded (a query), and
/// percent-encoded (a path or a JSON-escaped form).
fn encodings(value: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let mut forms = vec![value.to_string(), form, percent, json];
    forms.sort();
    forms.dedup();
    // Longest first, so that a form containing another is replaced whole.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// `Bearer <anything>` becomes `Bearer <redacted>`, whatever the case.
fn scrub_bearer(text: &str) -> String {
    const WORD: &str = "bearer";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(WORD) {
        let start = search + found;
        let after = start + WORD.len();
        let spaces = text[after..]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        let token_start = after + spaces;
        let token_len = text[token_start..]
            .bytes()
            .take_while(|b| {
                b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b',' | b';' | b'<' | b'>')
            })
            .count();
        if spaces > 0 && token_len > 0 {
            out.push_str(&text[rest..token_start]);
            out.push_str(REDACTED);
            rest = token_start + token_len;
        }
        search = token_start.max(after);
    }
    out.push_str(&text[rest..]);
    out
}

/// Runs of 10 to 15 digits (with an optional `+` or `%2B` before them) that stand alone
/// are masked as phone numbers; digits inside words, UUIDs or longer numbers are kept.
fn mask_phone_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let joined = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        // A `+`, once or twice percent-encoded, is a prefix, not part of a word.
        let before = text[..start].to_ascii_lowercase();
        let plus = if before.ends_with("%252b") {
            5
        } else if before.ends_with("%2b") {
            3
        } else {
            usize::from(before.ends_with('+'))
        };
        let before_ok = start == plus || plus > 0 || !joined(bytes[start - 1]);
        let after_ok = i == bytes.len() || !joined(bytes[i]);
        if (10..=15).contains(&(i - start)) && before_ok && after_ok {
            let prefix = plus;
            out.push_str(&text[copied..start - prefix]);
            out.push_str(&MaskedPhone(&text[start - prefix..i]).to_string());
            copied = i;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-SECRET-9f8e7d";
    const PHONE: &str = "+79991234563";

    #[test]
    fn json_escaped_echoes_are_scrubbed() {
        for echoed in [
            r"tok\u002dSECRET\u002d9f8e7d",
            r"\u0074\u006f\u006b-SECRET-9f8e7d",
            r"\u002B79991234563",
            r"+7999\u0031234563",
        ] {
            let out = scrubbed(&format!(r#"{{"echo": "{echoed}"}}"#));
            assert!(
                !out.contains("SECRET") && !out.contains("1234563"),
                "{echoed}: {out}"
            );
        }
        assert_eq!(
            json_unescaped(r"a\/b \ud83d\ude00 \ud800x \n \u12"),
            "a/b 😀 \\ud800x \\n \\u12"
        );
    }

    fn scrubbed(text: &str) -> String {
        scrub(
            text,
            Secrets {
                token: TOKEN,
                values: &[("recipient", PHONE), ("code", "4711")],
            },
        )
    }

    #[test]
    fn the_calls_secrets_in_any_encoding_are_gone() {
        let echoed = format!(
            "GET /x?recipient=%2B79991234563 HTTP/1.1\r\nauthorization: Bearer {TOKEN}\r\n\r\n{{\"recipient\":\"{PHONE}\",\"code\":\"4711\"}} {TOKEN}"
        );
        let out = scrubbed(&echoed);
        for secret in [TOKEN, PHONE, "79991234563", "4711", "%2B79991234563"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("authorization: Bearer <redacted>"), "{out}");
    }

    #[test]
    fn other_bearer_tokens_and_phone_numbers_are_masked_too() {
        let out =
            scrubbed("Authorization: BEARER abc.def-ghi, phone 89161234567 or +4915112345678");
        assert!(!out.contains("abc.def-ghi"), "{out}");
        assert!(
            !out.contains("89161234567") && !out.contains("4915112345678"),
            "{out}"
        );
        assert!(out.contains("+4915***5678"), "{out}");
    }

    #[test]
    fn ids_and_ordinary_numbers_stay() {
        let text = "request d385ab22-0f51-4b97-9ecd-446655440000 took 1500 ms, status 502";
        assert_eq!(scrubbed(text), text);
    }
}
