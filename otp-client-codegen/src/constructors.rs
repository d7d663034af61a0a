//! Constructors for the generated structs, so that a property the vendor adds is a compatible
//! change for Rust code too.
//!
//! typify writes each object schema as a struct with public fields, which code outside the
//! crate could build with a struct literal; one optional property more, and every such
//! literal stops compiling (E0063). Here each struct of progenitor's `types` module becomes
//! `#[non_exhaustive]` (no literal outside the crate, no exhaustive pattern) and gains:
//! - `new(required…)`: the required properties, in the order of their Rust names (typify's
//!   field order, which a spec that lists them otherwise does not change), each `impl Into<T>`;
//!   the optional ones `None`, a map of additional properties empty;
//! - a setter per optional property, named as its field, that sets it and returns the value.
//!
//! A property the spec adds as optional is then a setter more; only a property made required
//! changes `new`, and that is a break the compatibility gate reports for the types the
//! hand-written layer builds. The fields stay public, for reading and for assignment.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Fields, Item, Type};

/// Adds `#[non_exhaustive]`, `new` and the setters to every struct with named fields of the
/// `types` module of progenitor's `file`; returns how many structs it changed.
pub(crate) fn constructors(file: &mut syn::File) -> usize {
    let Some(items) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return 0;
    };
    let mut impls = Vec::new();
    for item in items.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let Fields::Named(fields) = &s.fields else {
            continue;
        };
        let tokens = constructor_tokens(&s.ident, fields);
        s.attrs.push(syn::parse_quote! { #[non_exhaustive] });
        impls.push(tokens);
    }
    let changed = impls.len();
    items.extend(
        impls
            .into_iter()
            .map(|tokens| syn::parse2::<Item>(tokens).expect("the constructors' impl is one item")),
    );
    changed
}

fn constructor_tokens(name: &syn::Ident, fields: &syn::FieldsNamed) -> TokenStream {
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    let mut required_names = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        let ty = &field.ty;
        if is_flattened(field) {
            inits.push(quote! { #ident: ::std::default::Default::default() });
        } else if let Some(inner) = option_inner(ty) {
            inits.push(quote! { #ident: ::std::option::Option::None });
            // A property spelled `new` keeps its public field only.
            if ident == "new" {
                continue;
            }
            let docs = field.attrs.iter().filter(|a| a.path().is_ident("doc"));
            let what = format!("Sets `{ident}`.");
            setters.push(quote! {
                #[doc = #what]
                #[doc = ""]
                #(#docs)*
                pub fn #ident(mut self, value: impl ::std::convert::Into<#inner>) -> Self {
                    self.#ident = ::std::option::Option::Some(value.into());
                    self
                }
            });
        } else {
            params.push(quote! { #ident: impl ::std::convert::Into<#ty> });
            inits.push(quote! { #ident: #ident.into() });
            required_names.push(format!("`{ident}`"));
        }
    }
    let doc = if required_names.is_empty() {
        format!("A `{name}` with every optional field unset; set them with their setters.")
    } else {
        format!(
            "A `{name}` with its required fields ({}); the optional ones are unset, set them \
             with their setters.",
            required_names.join(", ")
        )
    };
    quote! {
        impl #name {
            #[doc = #doc]
            #[allow(clippy::new_without_default, clippy::too_many_arguments)]
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }

            #(#setters)*
        }
    }
}

/// Whether the field is `#[serde(flatten)]` (typify's map of additional properties).
fn is_flattened(field: &syn::Field) -> bool {
    field.attrs.iter().any(|attr| {
        attr.path().is_ident("serde")
            && attr.meta.require_list().is_ok_and(|list| {
                list.tokens
                    .to_string()
                    .split(',')
                    .any(|t| t.trim() == "flatten")
            })
    })
}

/// `T` of an `Option<T>` field type.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_gain_new_setters_and_non_exhaustive() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Body {
                    pub recipient: ::std::string::String,
                    #[serde(rename = "widgetId")]
                    pub widget_id: ::uuid::Uuid,
                    /// The language.
                    pub lang: ::std::option::Option<::std::string::String>,
                    #[serde(flatten)]
                    pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
                }
                pub struct Newtype(pub ::std::string::String);
            }
        };
        assert_eq!(
            constructors(&mut file),
            1,
            "only the struct with named fields"
        );
        let code = prettyplease::unparse(&file);
        assert!(
            code.contains("#[non_exhaustive]\n    pub struct Body"),
            "{code}"
        );
        assert!(
            code.contains("pub fn new(\n            recipient: impl ::std::convert::Into<::std::string::String>,"),
            "{code}"
        );
        assert!(
            code.contains("extra: ::std::default::Default::default()"),
            "{code}"
        );
        assert!(code.contains("pub fn lang("), "{code}");
        assert!(
            !code.contains("pub fn recipient("),
            "no setter for a required field: {code}"
        );
    }
}
