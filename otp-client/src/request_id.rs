//! The session id: what `send` returns and every other operation takes back.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A session's id, as `send` returns it: a UUID.
///
/// Every session operation takes one, so a string from a browser or a database becomes an
/// id only through [`FromStr`], which accepts nothing but a UUID. An id always prints in the
/// canonical form (lower-case, hyphenated), which is also how it travels in URLs, JSON and
/// logs.
///
/// ```
/// use otp_client::RequestId;
///
/// let id: RequestId = "D385AB22-0F51-4B97-9ECD-B8FF3FD4FCB6".parse()?;
/// assert_eq!(id.to_string(), "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6");
/// assert!("..\\..\\x".parse::<RequestId>().is_err());
/// # Ok::<(), otp_client::InvalidRequestId>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(Uuid);

impl RequestId {
    /// The id as a UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl From<Uuid> for RequestId {
    fn from(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl From<RequestId> for Uuid {
    fn from(id: RequestId) -> Self {
        id.0
    }
}

/// What the spec's `RequestId` schema says: a string in UUID form.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for RequestId {
    fn schema_name() -> String {
        "RequestId".to_string()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        <Uuid as schemars::JsonSchema>::json_schema(generator)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({self})")
    }
}

/// A string that is not a session id (a UUID). Its `Display` does not repeat the string,
/// which may come from anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequestId {
    length: usize,
}

impl fmt::Display for InvalidRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a session id: expected a UUID such as d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6, got {} characters that are not one",
            self.length
        )
    }
}

impl std::error::Error for InvalidRequestId {}

impl FromStr for RequestId {
    type Err = InvalidRequestId;

    /// Accepts a UUID (hyphenated, simple, braced or URN form, any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self).map_err(|_| InvalidRequestId {
            length: s.chars().count(),
        })
    }
}

impl serde::Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RequestId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor rather than a `Cow<str>` (which serde always deserializes owned): the
        // text is parsed where the deserializer holds it, without a copy.
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = RequestId;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a request id (a UUID)")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RequestId, E> {
                text.parse().map_err(E::custom)
            }

            /// Formats that carry text as bytes: UTF-8, or an error.
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<RequestId, E> {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self))?;
                self.visit_str(text)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uuids_only_and_prints_them_canonically() {
        let id: RequestId = "{D385AB22-0F51-4B97-9ECD-B8FF3FD4FCB6}".parse().unwrap();
        assert_eq!(id.to_string(), "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6");
        for bad in [
            "",
            ".",
            "..",
            "..\\..\\x",
            "a/b",
            "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6/x",
        ] {
            let err = bad.parse::<RequestId>().unwrap_err();
            assert!(
                !err.to_string().contains(bad) || bad.is_empty() || bad == ".",
                "{err}"
            );
        }
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6\"");
        assert_eq!(serde_json::from_str::<RequestId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<RequestId>("\"nope\"").is_err());
        // Text the deserializer had to unescape (it is not borrowed from the input), and a
        // value that is not text at all.
        let escaped = "\"d385ab22\\u002d0f51-4b97-9ecd-b8ff3fd4fcb6\"";
        assert_eq!(serde_json::from_str::<RequestId>(escaped).unwrap(), id);
        use serde::Deserialize;
        let de = serde::de::value::BytesDeserializer::<serde::de::value::Error>::new(
            b"d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6",
        );
        assert_eq!(RequestId::deserialize(de).unwrap(), id, "text as bytes");
        let de = serde::de::value::BytesDeserializer::<serde::de::value::Error>::new(b"\xff");
        assert!(
            RequestId::deserialize(de).is_err(),
            "bytes that are not UTF-8"
        );
        let err = serde_json::from_str::<RequestId>("42").unwrap_err();
        assert!(err.to_string().contains("a request id"), "{err}");
    }
}
