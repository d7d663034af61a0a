//! Extensible string enums.
//!
//! progenitor turns a string `enum` into a closed Rust enum, and one value the vendor adds
//! later then fails the whole response. Every string enum under `components/schemas` is
//! generated here instead, marked or not (the vendor's file marks none), as a
//! `#[non_exhaustive]` enum with one variant per listed value plus `Unknown(String)`, and
//! progenitor is told to use it in place of its own: a value the service adds decodes, and a
//! value the spec adds is a compatible change for code that matches on the enum.

use heck::ToUpperCamelCase;
use openapiv3::{ReferenceOr, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::Spec;

pub use otp_spec::EXTENSIBLE_ENUM_EXTENSION;

/// One extensible enum of the spec.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    /// The schema's name, which is also the Rust type's name.
    pub name: String,
    /// The schema's description.
    pub description: Option<String>,
    /// The listed values, in order.
    pub values: Vec<String>,
    /// Each value's English text: the `summary` of the spec's example named after it.
    pub summaries: Vec<Option<String>>,
    /// Each value's example error body, when the spec has one named after it: the vendor's
    /// message (if it quotes one) and the HTTP status.
    pub examples: Vec<Option<(Option<String>, u16)>>,
}

/// Every string enum under the spec's `components/schemas`.
pub fn open_enums(spec: &Spec) -> Vec<OpenEnum> {
    let Some(components) = spec.openapi().components.as_ref() else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let ReferenceOr::Item(schema) = schema else {
                return None;
            };
            let SchemaKind::Type(Type::String(s)) = &schema.schema_kind else {
                return None;
            };
            let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
            if values.is_empty() {
                return None;
            }
            Some(OpenEnum {
                name: name.clone(),
                description: schema.schema_data.description.clone(),
                summaries: values.iter().map(|v| spec.example_summary(v)).collect(),
                examples: values
                    .iter()
                    .map(|v| {
                        let body = spec.error_example(v)?;
                        let status = body.get("httpStatus")?.as_u64()?;
                        let message = body
                            .get("message")
                            .and_then(|m| m.as_str())
                            .map(String::from);
                        Some((message, u16::try_from(status).ok()?))
                    })
                    .collect(),
                values,
            })
        })
        .collect()
}

/// The Rust code of one extensible enum.
pub fn open_enum_tokens(e: &OpenEnum) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let doc = e.description.clone().unwrap_or_default();
    let doc = doc.trim_end();
    let variants: Vec<_> = e
        .values
        .iter()
        .map(|v| format_ident!("{}", v.to_upper_camel_case()))
        .collect();
    let values = &e.values;
    let variant_docs: Vec<_> = values
        .iter()
        .zip(&e.summaries)
        .map(|(v, summary)| match summary {
            Some(text) => format!("`{v}`: {text}"),
            None => format!("`{v}`"),
        })
        .collect();
    let examples = if e.examples.iter().any(Option::is_some) {
        let messages = e.examples.iter().map(|x| match x {
            Some((Some(message), _)) => quote! { ::std::option::Option::Some(#message) },
            _ => quote! { ::std::option::Option::None },
        });
        let statuses = e.examples.iter().map(|x| match x {
            Some((_, status)) => quote! { ::std::option::Option::Some(#status) },
            None => quote! { ::std::option::Option::None },
        });
        quote! {
            /// The vendor's message for this value, verbatim (in Russian), as the spec's
            /// example named after it quotes it, if it does.
            pub fn vendor_message(&self) -> ::std::option::Option<&'static str> {
                match self {
                    #( Self::#variants => #messages, )*
                    Self::Unknown(_) => ::std::option::Option::None,
                }
            }

            /// The HTTP status the spec's example named after this value gives, if any.
            pub fn http_status(&self) -> ::std::option::Option<u16> {
                match self {
                    #( Self::#variants => #statuses, )*
                    Self::Unknown(_) => ::std::option::Option::None,
                }
            }
        }
    } else {
        quote! {}
    };
    let summaries = e.summaries.iter().map(|s| match s {
        Some(text) => quote! { ::std::option::Option::Some(#text) },
        None => quote! { ::std::option::Option::None },
    });
    let name_text = &e.name;
    let extension = EXTENSIBLE_ENUM_EXTENSION;
    quote! {
        /// What the spec says of it: a string, one of the known values, marked extensible
        /// (the Rust type also keeps a value it does not know).
        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::string::String {
                ::std::string::String::from(#name_text)
            }

            fn json_schema(
                _: &mut ::schemars::r#gen::SchemaGenerator,
            ) -> ::schemars::schema::Schema {
                crate::schema::extensible_enum(Self::KNOWN, #doc, #extension)
            }
        }

        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #variants, )*
            /// A value this version of the client does not know yet, kept verbatim.
            Unknown(::std::string::String),
        }

        impl #name {
            /// Every value this version knows, as the wire spells it.
            pub const KNOWN: &'static [&'static str] = &[ #( #values ),* ];

            /// The value as the wire spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #values, )*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// The value's English text, as the spec gives it (the `summary` of the example
            /// named after it), if any.
            pub fn summary(&self) -> ::std::option::Option<&'static str> {
                match self {
                    #( Self::#variants => #summaries, )*
                    Self::Unknown(_) => ::std::option::Option::None,
                }
            }

            #examples

            /// Whether this version of the client knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#variants, )*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize<'de>>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    }
}
