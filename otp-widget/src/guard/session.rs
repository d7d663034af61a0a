//! Sessions bound to the browser that started them. A session's id travels to the browser
//! (it is in every route's path), so knowing it proves nothing: the back end answers a
//! session route only for the browser holding the cookie it set when that browser's `send`
//! started the session, a MAC of the id under the back end's secret (which replicas share).
//! Anyone else is answered as if the session did not exist: they cannot read its channel,
//! test phone numbers against it, use up its code attempts, resend or complete it.
//!
//! The MAC is SipHash-2-4 with a 128-bit key, in its 128-bit-output mode: SipHash is a
//! pseudorandom function made for authenticating short inputs under a secret key (here a
//! session id, 36 bytes), at a few hundred instructions per check, where HMAC-SHA256 took
//! four SHA-256 blocks (about 13,000 instructions without SHA extensions) on every session
//! route. Its authors analysed the 64-bit output; they call the 128-bit mode experimental.
//! A forger cannot compute tags without the key, and can only guess them online, through
//! the widget's rate limits.

use http::HeaderValue;
use otp_client::RequestId;
use sha2::{Digest, Sha256};
use siphasher::sip128::{Hasher128, SipHasher24};
use subtle::ConstantTimeEq;

use crate::head::Headers;
use crate::refusal::Refusal;

/// The guard: the key sessions are bound with, and whether the cookie is `Secure`.
pub(crate) struct SessionBinding {
    key: SessionKey,
    secure: bool,
}

impl SessionBinding {
    pub(crate) fn new(key: SessionKey, secure: bool) -> Self {
        Self { key, secure }
    }

    /// The `Set-Cookie` value that binds session `id` to the browser it goes to, with what
    /// its sends are charged to (`charges`, from `SendLimits::session_charges`; empty for a
    /// session the application's server started), which the tag covers too.
    pub(crate) fn cookie(&self, id: &RequestId, charges: &str) -> HeaderValue {
        self.key.cookie(id, charges, self.secure)
    }

    /// Admits a request about session `id` when its headers carry the session's cookie,
    /// with what the session's sends are charged to; anyone else is answered as if the
    /// session did not exist.
    pub(crate) fn admit<'h>(
        &self,
        headers: &'h (impl Headers + ?Sized),
        id: &RequestId,
    ) -> Result<&'h str, Refusal> {
        if let Some(charges) = self.key.binds(headers, id, self.secure) {
            return Ok(charges);
        }
        tracing::info!("a session route without its browser's cookie: refused");
        Err(Refusal::unknown_session())
    }
}

/// The cookie's name; `__Host-` when it is `Secure`, so that no subdomain can set it: then
/// only that name is read (a sibling subdomain can plant the plain one).
pub(crate) const COOKIE: &str = "otp_widget_session";
const SECURE_COOKIE: &str = "__Host-otp_widget_session";

/// How long the cookie lives: longer than any session (the service's live for minutes).
const COOKIE_SECONDS: u32 = 3600;

/// The length of a session id as text (a hyphenated UUID).
const ID_LEN: usize = uuid::fmt::Hyphenated::LENGTH;

/// The key sessions are bound with.
#[derive(Clone)]
pub(crate) struct SessionKey([u8; 16]);

impl SessionKey {
    /// A key from the application's secret (any length of at least 32 bytes).
    pub(crate) fn from_secret(secret: &[u8]) -> Self {
        let digest: [u8; 32] = Sha256::digest(secret).into();
        let mut key = [0; 16];
        key.copy_from_slice(&digest[..16]);
        Self(key)
    }

    /// A random key, for a back end that runs as one process.
    pub(crate) fn random() -> Self {
        Self(rand::random())
    }

    /// The tag of a session id's hyphenated `text` and its `charges`: SipHash-2-4 (128
    /// bits) of `{id}.{charges}`.
    fn tag(&self, text: &[u8; ID_LEN], charges: &[u8]) -> [u8; 16] {
        let mut hasher = SipHasher24::new_with_key(&self.0);
        std::hash::Hasher::write(&mut hasher, text);
        std::hash::Hasher::write(&mut hasher, b".");
        std::hash::Hasher::write(&mut hasher, charges);
        hasher.finish128().as_bytes()
    }

    /// The `Set-Cookie` value that binds session `id`, and `charges`, to the browser it
    /// goes to: `{id}.{charges}.{tag}`.
    pub(crate) fn cookie(&self, id: &RequestId, charges: &str, secure: bool) -> HeaderValue {
        let (name, attribute) = if secure {
            (SECURE_COOKIE, "; Secure")
        } else {
            (COOKIE, "")
        };
        let text = format!(
            "{name}={id}.{charges}.{}; Path=/; Max-Age={COOKIE_SECONDS}; HttpOnly; SameSite=Strict{attribute}",
            hex::encode(self.tag(&id_text(id), charges.as_bytes()))
        );
        // Hex, a UUID, the charges' letters, digits and `~`, and fixed words: a valid header
        // value (an empty one otherwise, which binds nothing).
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The charges of the cookie in `headers` that binds session `id`, when there is one:
    /// the `__Host-` one when `secure`, the plain one otherwise.
    fn binds<'h>(
        &self,
        headers: &'h (impl Headers + ?Sized),
        id: &RequestId,
        secure: bool,
    ) -> Option<&'h str> {
        let mut found = None;
        headers.values(&http::header::COOKIE, &mut |value| {
            if found.is_none() {
                found = self.bound_in(value, id, secure);
            }
        });
        found
    }

    /// The charges in the cookie header `bytes` that binds session `id`, when it has one.
    fn bound_in<'h>(&self, bytes: &'h [u8], id: &RequestId, secure: bool) -> Option<&'h str> {
        let name = if secure { SECURE_COOKIE } else { COOKIE };
        let text = id_text(id);
        // Read byte by byte: a cookie of another application with bytes that are not ASCII
        // spoils only itself, not the header.
        {
            // `memchr` looks for the separators sixteen bytes at a time.
            let mut start = 0;
            let ends = memchr::memchr_iter(b';', bytes).chain([bytes.len()]);
            for end in ends {
                let pair = bytes[start..end].trim_ascii();
                start = end + 1;
                let Some(value) = pair
                    .strip_prefix(name.as_bytes())
                    .and_then(|rest| rest.strip_prefix(b"="))
                else {
                    continue;
                };
                let Some(rest) = value
                    .strip_prefix(&text[..])
                    .and_then(|rest| rest.strip_prefix(b"."))
                else {
                    continue;
                };
                let Some(dot) = memchr::memrchr(b'.', rest) else {
                    continue;
                };
                let (charges, given) = (&rest[..dot], &rest[dot + 1..]);
                let mut expected = [0u8; 32];
                // Sixteen bytes always fit thirty-two hex digits.
                let _ = hex::encode_to_slice(self.tag(&text, charges), &mut expected);
                if same(given, &expected) {
                    return std::str::from_utf8(charges).ok();
                }
            }
        }
        None
    }
}

/// Session `id` as its cookie names it (and as it displays): the hyphenated UUID, lower
/// case.
fn id_text(id: &RequestId) -> [u8; ID_LEN] {
    let mut text = [0; ID_LEN];
    id.as_uuid().hyphenated().encode_lower(&mut text);
    text
}

/// Equality with a tag's hex that takes as long whichever byte differs.
fn same(given: &[u8], tag: &[u8; 32]) -> bool {
    given.len() == tag.len() && bool::from(given.ct_eq(tag))
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, header};

    use super::*;

    fn id(text: &str) -> RequestId {
        text.parse().unwrap()
    }

    #[test]
    fn the_cookie_binds_its_session_and_no_other() {
        let key = SessionKey::from_secret(b"a secret of at least thirty-two bytes!!");
        let mine = id("d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6");
        let other = id("0e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b");
        let cookie = key.cookie(&mine, "RU~ab~cd", true);
        let text = cookie.to_str().unwrap();
        assert!(
            text.contains("HttpOnly")
                && text.contains("SameSite=Strict")
                && text.contains("Secure")
        );
        let pair = text.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, format!("a=b; {pair}").parse().unwrap());
        assert_eq!(key.binds(&headers, &mine, true), Some("RU~ab~cd"));
        let tampered = pair.replace("RU~ab~cd", "KZ~ab~cd");
        let mut changed = HeaderMap::new();
        changed.insert(header::COOKIE, tampered.parse().unwrap());
        assert_eq!(
            key.binds(&changed, &mine, true),
            None,
            "charges changed in the cookie"
        );
        assert!(
            key.binds(&headers, &mine, false).is_none(),
            "the secure name, read as plain"
        );
        assert!(
            key.binds(&headers, &other, true).is_none(),
            "another session"
        );
        let replica = SessionKey::from_secret(b"a secret of at least thirty-two bytes!!");
        assert!(
            replica.binds(&headers, &mine, true).is_some(),
            "replicas with the secret agree"
        );
        assert!(
            SessionKey::random().binds(&headers, &mine, true).is_none(),
            "another key"
        );
        let forged = pair.replace('a', "b");
        headers.insert(header::COOKIE, forged.parse().unwrap());
        assert!(key.binds(&headers, &mine, true).is_none(), "a forged tag");

        let plain = key.cookie(&mine, "", false);
        let plain = plain.to_str().unwrap().split_once(';').unwrap().0;
        let (_, value) = plain.split_once('=').unwrap();
        for (header, binds) in [
            (plain.to_string(), true),
            // A forged one first, then the right one: the right one counts.
            (format!("{forged}; x=y; {plain}"), true),
            (format!("{plain}0"), false),
            (format!("otp_widget_sessionx={value}"), false),
            (format!("otp_widget_session ={value}"), false),
            (format!("x{plain}"), false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::COOKIE,
                HeaderValue::from_bytes(header.as_bytes()).unwrap(),
            );
            assert_eq!(
                key.binds(&headers, &mine, false).is_some(),
                binds,
                "{header}"
            );
            // A secure back end reads only the `__Host-` name: a plain cookie, which a
            // sibling subdomain can plant, binds nothing there.
            assert!(key.binds(&headers, &mine, true).is_none(), "{header}");
        }
        // A value with bytes that are not ASCII, then the session's: still bound.
        let mut headers = HeaderMap::new();
        let mut bytes = b"other=\xff\xfe; ".to_vec();
        bytes.extend_from_slice(plain.as_bytes());
        headers.insert(header::COOKIE, HeaderValue::from_bytes(&bytes).unwrap());
        assert!(
            key.binds(&headers, &mine, false).is_some(),
            "after a cookie that is not ASCII"
        );
    }
}
