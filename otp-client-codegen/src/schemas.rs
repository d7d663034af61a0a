//! `otp_client::schemas` (the `schemars` feature): every component schema of the spec, by
//! its name, with the JSON Schema that its Rust type gives of itself. It is what the
//! fidelity check (`otp_spec::fidelity`) compares with the spec, and what a back end that
//! documents its own API puts among its components.
//!
//! Each schema's Rust type is found in what the generator produced (progenitor's `types`
//! module, the extensible enums, the hand-written types it was told to use), by the schema's
//! name or that name in upper camel case (as typify writes a `snake_case` one): a schema
//! whose type is not found is left out, and the fidelity check names it.

use std::collections::BTreeSet;

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::{HAND_WRITTEN_TYPES, Spec, open_enums};

/// The `schemas` function, compiled only with the `schemars` feature.
pub(crate) fn schemas_tokens(spec: &Spec, raw: &syn::File) -> TokenStream {
    let generated = type_names(raw);
    let open: BTreeSet<String> = open_enums(spec).into_iter().map(|e| e.name).collect();
    let components = spec
        .openapi()
        .components
        .as_ref()
        .map(|c| c.schemas.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let entries = components.iter().filter_map(|name| {
        // typify names a type after its schema, in upper camel case where the schema's name
        // is not already.
        let camel = name.to_upper_camel_case();
        let path: syn::Path = match HAND_WRITTEN_TYPES.iter().find(|(n, _)| n == name) {
            Some((_, path)) => syn::parse_str(path).ok()?,
            None => {
                let rust = [name, &camel]
                    .into_iter()
                    .find(|n| open.contains(*n) || generated.contains(*n))?;
                let ident = format_ident!("{}", rust);
                syn::parse_quote!(crate::types::#ident)
            }
        };
        Some(quote! { (#name, <#path as ::schemars::JsonSchema>::json_schema(generator)) })
    });
    quote! {
        /// Every component schema of the spec whose Rust type the generator produced, by the
        /// spec's name, with the JSON Schema the type gives of itself (other types it names
        /// are `$ref`s into `generator`'s definitions).
        #[cfg(feature = "schemars")]
        pub(crate) fn schemas(
            generator: &mut ::schemars::r#gen::SchemaGenerator,
        ) -> ::std::vec::Vec<(&'static str, ::schemars::schema::Schema)> {
            ::std::vec![#(#entries),*]
        }
    }
}

/// The names of the types progenitor generated (its `types` module).
fn type_names(raw: &syn::File) -> BTreeSet<String> {
    crate::facade::generated_types(raw)
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            syn::Item::Type(t) => Some(t.ident.to_string()),
            _ => None,
        })
        .collect()
}
