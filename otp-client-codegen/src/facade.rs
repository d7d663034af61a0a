//! The facades over progenitor's client: the async one (typed errors, tracing, input
//! checks) and the blocking one. Both are derived from the methods progenitor generated,
//! so they have the same names, arguments and docs, and an operation added to the spec
//! appears in both with no code written by hand.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, GenericArgument, ImplItem, Item, PathArguments, ReturnType, Type};

use crate::{CodegenError, Spec};

/// One operation method of progenitor's `Client`.
struct RawMethod {
    /// Required string fields of the body (their Rust names), checked like arguments.
    body_strings: Vec<syn::Ident>,
    docs: Vec<syn::Attribute>,
    name: syn::Ident,
    generics: syn::Generics,
    /// The arguments after `&self`, as declared.
    params: Vec<(syn::Ident, Type)>,
    /// `ResponseValue<...>`, the success half of the return type.
    success: Type,
    operation_id: String,
}

/// Which facade to derive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Facade {
    Async,
    Blocking,
}

pub(crate) fn facade_tokens(
    spec: &Spec,
    raw: &syn::File,
    facade: Facade,
) -> Result<TokenStream, CodegenError> {
    let methods = raw_methods(spec, raw)?;
    let fns = methods.iter().map(|m| {
        let RawMethod { docs, name, generics, params, success, operation_id, body_strings } = m;
        let decls = params.iter().map(|(n, t)| quote! { #n: #t });
        let args: Vec<_> = params.iter().map(|(n, _)| n).collect();
        // Plain string arguments (path and query parameters) are named to the call, so it
        // can check them before anything is sent and record them, masked, in its span.
        let has_body = params.iter().any(|(n, _)| n == "body");
        let named = params
            .iter()
            .filter(|(_, t)| is_str_ref(t))
            .map(|(n, _)| {
                let label = n.to_string();
                quote! { (#label, #n) }
            })
            .chain(body_strings.iter().filter(|_| has_body).map(|field| {
                let label = field.to_string();
                quote! { (#label, body.#field.as_str()) }
            }));
        match facade {
            Facade::Async => quote! {
                #(#docs)*
                pub async fn #name #generics (&'a self, #(#decls),*) -> ::std::result::Result<#success, Error> {
                    // Boxed: progenitor's future is large, and moving it with every poll
                    // of the caller's would cost more than one allocation.
                    self.call(#operation_id, &[#(#named),*], Box::pin(self.raw.#name(#(#args),*))).await
                }
            },
            Facade::Blocking => quote! {
                #(#docs)*
                pub fn #name #generics (&'a self, #(#decls),*) -> ::std::result::Result<#success, Error> {
                    self.block_on(self.inner.#name(#(#args),*))
                }
            },
        }
    });
    Ok(quote! {
        #[allow(unused_imports)]
        use crate::{types, Error, ResponseValue};

        impl crate::Client {
            #(#fns)*
        }
    })
}

fn raw_methods(spec: &Spec, raw: &syn::File) -> Result<Vec<RawMethod>, CodegenError> {
    let operations = spec.operations();
    let generator_error = |message: String| CodegenError::Generator {
        path: spec.path().to_path_buf(),
        message,
    };
    let mut out = Vec::new();
    for item in &raw.items {
        let Item::Impl(imp) = item else { continue };
        let is_client = matches!(&*imp.self_ty, Type::Path(p) if p.path.is_ident("Client"));
        if !is_client || imp.trait_.is_some() {
            continue;
        }
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            if f.sig.asyncness.is_none() {
                continue;
            }
            let name = f.sig.ident.clone();
            let op = operations
                .iter()
                .find(|op| name == op.method_name)
                .ok_or_else(|| {
                    generator_error(format!("method `{name}` matches no operationId"))
                })?;
            let operation_id = op.id.clone();
            let body_strings = op
                .body_required_strings
                .iter()
                .map(|p| syn::Ident::new(&p.to_snake_case(), proc_macro2::Span::call_site()))
                .collect();
            let params = f
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    FnArg::Typed(t) => Some(t),
                    FnArg::Receiver(_) => None,
                })
                .map(|t| match &*t.pat {
                    syn::Pat::Ident(i) => Ok((i.ident.clone(), (*t.ty).clone())),
                    _ => Err(generator_error(format!(
                        "`{name}` has an argument that is not a plain name"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let success = success_type(&f.sig.output)
                .ok_or_else(|| generator_error(format!("`{name}` does not return a Result")))?;
            out.push(RawMethod {
                body_strings,
                docs: f
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("doc"))
                    .cloned()
                    .collect(),
                name,
                generics: f.sig.generics.clone(),
                params,
                success,
                operation_id,
            });
        }
    }
    Ok(out)
}

/// `T` of a `Result<T, E>` return type.
fn success_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(p) = &**ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

fn is_str_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(r) if matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")))
}

/// The Rust method names of a generated facade (for the coverage check).
pub fn facade_method_names(code: &str) -> Vec<String> {
    let Ok(file) = syn::parse_file(code) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    collect_methods(&file.items, &mut names);
    names
}

fn collect_methods(items: &[Item], names: &mut Vec<String>) {
    for item in items {
        match item {
            Item::Impl(imp) if imp.trait_.is_none() => {
                // The facades implement `crate::Client`; progenitor's own client is `Client`.
                let is_facade = matches!(&*imp.self_ty, Type::Path(p)
                    if p.path.segments.len() == 2 && p.path.segments[0].ident == "crate" && p.path.segments[1].ident == "Client");
                if is_facade {
                    names.extend(imp.items.iter().filter_map(|i| match i {
                        ImplItem::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => {
                            Some(f.sig.ident.to_string())
                        }
                        _ => None,
                    }));
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_methods(items, names);
                }
            }
            _ => {}
        }
    }
}
