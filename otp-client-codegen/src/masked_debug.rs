//! `Debug` of the generated request bodies without the phone numbers and codes they carry.
//!
//! typify derives `Debug` on every type, so `{:?}` of a send body printed the raw phone
//! number and of a check-code body the code, where the client's own `Debug`, spans and errors
//! mask them. The fields are the ones the client already treats as secrets: the required
//! string properties of each operation's request body (`Operation::body_required_strings`,
//! which the facade checks, masks in spans and scrubs from error text). Their structs get a
//! hand-made `Debug` instead of the derived one, printing those fields through
//! `crate::mask::MaskedDebug` (a phone number's country and operator prefix and last four
//! digits; `***` for anything shorter, a code).

use std::collections::BTreeMap;

use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Item, Token};

use crate::Spec;
use crate::facade::body_string_fields;

/// Replaces the derived `Debug` of each request body with required string properties in
/// `file`'s `types` module; returns how many it replaced.
pub(crate) fn mask_debug(spec: &Spec, file: &mut syn::File) -> usize {
    let Some(items) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return 0;
    };
    // Schema name -> its secret fields' Rust names.
    let mut secrets: BTreeMap<String, Vec<syn::Ident>> = BTreeMap::new();
    for op in spec.operations() {
        let (Some(schema), Ok(fields)) = (&op.body_schema, body_string_fields(&op, items)) else {
            continue;
        };
        if !fields.is_empty() {
            secrets.insert(schema.clone(), fields);
        }
    }
    let mut impls = Vec::new();
    for item in items.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let Some(secret) = secrets.get(&s.ident.to_string()) else {
            continue;
        };
        let syn::Fields::Named(fields) = &s.fields else {
            continue;
        };
        if !drop_derived_debug(&mut s.attrs) {
            continue;
        }
        let name = &s.ident;
        let label = name.to_string();
        let entries = fields
            .named
            .iter()
            .filter_map(|f| f.ident.as_ref())
            .map(|f| {
                let label = f.to_string();
                if secret.contains(f) {
                    quote! { .field(#label, &crate::mask::MaskedDebug(&self.#f)) }
                } else {
                    quote! { .field(#label, &self.#f) }
                }
            });
        impls.push(quote! {
            impl ::std::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(#label) #(#entries)* .finish()
                }
            }
        });
    }
    let count = impls.len();
    items.extend(
        impls
            .into_iter()
            .map(|tokens| syn::parse2::<Item>(tokens).expect("a Debug impl is one item")),
    );
    count
}

/// Removes `Debug` from a `#[derive(…)]` of `attrs`; whether it was there.
fn drop_derived_debug(attrs: &mut [syn::Attribute]) -> bool {
    let mut dropped = false;
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept: Punctuated<syn::Path, Token![,]> = paths
            .iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Debug"))
            .cloned()
            .collect();
        if kept.len() != paths.len() {
            dropped = true;
            *attr = syn::parse_quote! { #[derive(#kept)] };
        }
    }
    dropped
}
