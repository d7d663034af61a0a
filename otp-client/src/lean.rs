//! What the generated methods call in place of progenitor-client's `from_response` and
//! `encode_path` (`otp-client-codegen`'s `lean` pass points them here): the same results,
//! without work the client throws away.

use progenitor_client::{Error, ResponseValue};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// `ResponseValue::from_response` without its copy of the headers, which nothing in the
/// client reads (its methods return the body; its error mapping reads what the hooks
/// recorded): reads `response`'s body and decodes it as JSON.
pub(crate) async fn decode<T: DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    // Boxed: reading the body is the largest state of a call's future, which a held
    // long-poll keeps for as long as it waits.
    let full = Box::pin(response.bytes())
        .await
        .map_err(Error::ResponseBodyError)?;
    let inner =
        serde_json::from_slice(&full).map_err(|e| Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, HeaderMap::new()))
}

/// A path parameter's type: a UUID, which the codegen requires of every path parameter
/// (so that no argument can choose its own path).
pub(crate) trait PathSegment {
    fn uuid(&self) -> &uuid::Uuid;
}

impl PathSegment for uuid::Uuid {
    fn uuid(&self) -> &uuid::Uuid {
        self
    }
}

impl PathSegment for crate::RequestId {
    fn uuid(&self) -> &uuid::Uuid {
        self.as_uuid()
    }
}

/// `encode_path(&value.to_string())` for a UUID: its hyphenated form, which has nothing to
/// escape, written straight into the URL without a string of its own.
pub(crate) fn path_segment(value: &impl PathSegment) -> uuid::fmt::Hyphenated {
    value.uuid().hyphenated()
}

/// The URL progenitor would format, followed by the `query` pairs as reqwest's `query`
/// appends them (`application/x-www-form-urlencoded`, in order), written once into one
/// string. No pair, no `?`.
pub(crate) fn url(path: std::fmt::Arguments<'_>, query: &[(&str, &str)]) -> String {
    // Room for a base URL, a session's path and a phone number, so that it does not grow.
    let mut url = String::with_capacity(160);
    let _ = std::fmt::Write::write_fmt(&mut url, path);
    if query.is_empty() {
        return url;
    }
    for (i, (name, value)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        push_form_encoded(&mut url, name);
        url.push('=');
        push_form_encoded(&mut url, value);
    }
    url
}

/// `text` as `application/x-www-form-urlencoded` writes it (the `url` crate's
/// `byte_serialize`, which reqwest's `query` uses): ASCII letters, digits and `*-._` as they
/// are, a space as `+`, every other byte as `%XX`. Byte by byte into the URL, without the
/// iterator of slices the `url` crate builds (a phone number's `+` is the only byte of it
/// to escape).
fn push_form_encoded(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_query_as_reqwest_does() {
        let base = "https://api.example/api/n/otp-handler/8c0a6b1e-0f5e-4a55-9d6f-3c1a0b9e2f10/x";
        let client = reqwest::Client::new();
        let every_byte: String = (1..=0x7fu8)
            .map(char::from)
            .chain(['é', 'ж', '€'])
            .collect();
        for value in [
            "+79991234567",
            "8 (999) 123-45-67",
            "a&b=c#d%e",
            "é/?",
            "",
            every_byte.as_str(),
        ] {
            let reqwest = client
                .get(base)
                .query(&progenitor_client::QueryParam::new("recipient", &value))
                .query(&progenitor_client::QueryParam::new("other", &"1 2"))
                .build()
                .unwrap();
            let ours = url(
                format_args!("{base}"),
                &[("recipient", value), ("other", "1 2")],
            );
            let ours = reqwest::Url::parse(&ours).unwrap();
            assert_eq!(ours.as_str(), reqwest.url().as_str(), "{value:?}");
        }
        assert_eq!(url(format_args!("{base}"), &[]), base, "no query, no `?`");
    }

    #[test]
    fn writes_a_uuid_segment_as_progenitor_does() {
        let id: crate::RequestId = "8C0A6B1E-0F5E-4A55-9D6F-3C1A0B9E2F10".parse().unwrap();
        let uuid = *id.as_uuid();
        for (segment, expected) in [
            (path_segment(&id).to_string(), id.to_string()),
            (path_segment(&uuid).to_string(), uuid.to_string()),
        ] {
            assert_eq!(segment, progenitor_client::encode_path(&expected));
        }
    }
}
