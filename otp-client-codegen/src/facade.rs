//! The facades over progenitor's client: the async one (typed errors, tracing, checks before
//! anything is sent) and the blocking one. Both are derived from the methods progenitor
//! generated, so they have the same names, arguments and docs, and an operation added to the
//! spec appears in both with no code written by hand.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, GenericArgument, ImplItem, Item, PathArguments, ReturnType, Type};

use crate::{CodegenError, Operation, Spec, Target};

/// One operation method of progenitor's `Client`.
pub(crate) struct RawMethod {
    /// The operation's index in the spec's order (and in the generated `OPERATIONS`).
    pub(crate) index: usize,
    /// Required string fields of the body (their Rust names), checked like arguments.
    body_strings: Vec<syn::Ident>,
    docs: Vec<syn::Attribute>,
    pub(crate) name: syn::Ident,
    generics: syn::Generics,
    /// The arguments after `&self`, as declared.
    pub(crate) params: Vec<(syn::Ident, Type)>,
    /// `T` of the `ResponseValue<T>` progenitor returns on success.
    success: Type,
}

/// An optional parameter of a raw method: a field of the operation's options.
pub(crate) struct OptionalParam<'m> {
    pub(crate) name: &'m syn::Ident,
    /// The field's type (owned: `String` for a `&str` argument).
    pub(crate) field: TokenStream,
    /// How the raw method takes the field, from `options`.
    pass: TokenStream,
}

impl RawMethod {
    /// The arguments the facade's method takes by position: the path parameters, the required
    /// query and header parameters and the body, in progenitor's order. A parameter the spec
    /// adds as optional never joins them.
    pub(crate) fn required(&self) -> impl Iterator<Item = &(syn::Ident, Type)> {
        self.params
            .iter()
            .filter(|(_, t)| first_type_argument(t, "Option").is_none())
    }

    /// The optional parameters, which the operation's options carry.
    pub(crate) fn optional(&self) -> impl Iterator<Item = OptionalParam<'_>> {
        self.params.iter().filter_map(|(name, ty)| {
            let inner = first_type_argument(ty, "Option")?;
            let (field, pass) = match inner {
                _ if is_ref_to(inner, "str") => (
                    quote! { ::std::string::String },
                    quote! { options.#name.as_deref() },
                ),
                Type::Reference(r) => {
                    let elem = &r.elem;
                    (quote! { #elem }, quote! { options.#name.as_ref() })
                }
                other => (
                    quote! { #other },
                    quote! { ::std::clone::Clone::clone(&options.#name) },
                ),
            };
            Some(OptionalParam { name, field, pass })
        })
    }

    /// The name of the operation's options type, e.g. `GetStatusOptions`.
    pub(crate) fn options_type(&self) -> syn::Ident {
        quote::format_ident!("{}Options", self.name.to_string().to_upper_camel_case())
    }

    /// The name of the method that takes the options, e.g. `get_status_with`.
    pub(crate) fn with_options(&self) -> syn::Ident {
        quote::format_ident!("{}_with", self.name)
    }
}

/// The facade of `target` over `methods`.
///
/// Each operation has two methods: `name(required…)`, and `name_with(required…, &options)`
/// whose options carry the optional parameters. A parameter the spec adds as optional is a
/// field of the options, so that neither method's arguments change: code written against the
/// previous spec compiles unchanged.
pub(crate) fn facade_tokens(methods: &[RawMethod], target: Target) -> TokenStream {
    let fns = methods.iter().map(|m| {
        let RawMethod { index, docs, name, generics, success, body_strings, .. } = m;
        let required: Vec<_> = m.required().collect();
        let decls: Vec<_> = required.iter().map(|(n, t)| quote! { #n: #t }).collect();
        let args: Vec<_> = required.iter().map(|(n, _)| n).collect();
        let optional: Vec<_> = m.optional().collect();
        let options = m.options_type();
        let with = m.with_options();
        // Options with no field today: nothing reads them yet.
        let unused = optional.is_empty().then(|| quote! { let _ = options; });
        // The raw method's arguments, in its order: the required ones by name, the optional
        // ones from the options.
        let raw_args = m.params.iter().map(|(n, _)| {
            optional
                .iter()
                .find(|o| o.name == n)
                .map_or_else(|| quote! { #n }, |o| o.pass.clone())
        });
        let with_doc = format!(
            "[`Self::{name}`], with the operation's optional parameters in \
             [`{options}`](crate::options::{options})."
        );
        // The session id (for the span) and the plain string arguments and body fields (checked
        // before anything is sent, masked in the span, scrubbed from error text) are named
        // to the call.
        let request_id = required
            .iter()
            .find(|(_, t)| is_ref_to(t, "RequestId"))
            .map_or(quote! { None }, |(n, _)| quote! { Some(#n) });
        let has_body = required.iter().any(|(n, _)| n == "body");
        let strings = required
            .iter()
            .filter(|(_, t)| is_ref_to(t, "str"))
            .map(|(n, _)| {
                let label = n.to_string();
                quote! { (#label, #n) }
            })
            .chain(body_strings.iter().filter(|_| has_body).map(|field| {
                let label = field.to_string();
                quote! { (#label, body.#field.as_str()) }
            }));
        match target {
            Target::Async => quote! {
                #(#docs)*
                pub async fn #name #generics (&'a self, #(#decls),*) -> ::std::result::Result<#success, Error> {
                    self.#with(#(#args,)* &crate::options::#options::new()).await
                }

                #[doc = #with_doc]
                pub async fn #with #generics (&'a self, #(#decls,)* options: &'a crate::options::#options) -> ::std::result::Result<#success, Error> {
                    #unused
                    let args = crate::call::Args { request_id: #request_id, strings: &[#(#strings),*] };
                    // Boxed: progenitor's future is large, and moving it with every poll
                    // of the caller's would cost more than one allocation. Made again only
                    // when the call is retried.
                    let raw = self.raw(&super::OPERATIONS[#index]);
                    self.call(&raw, args, || Box::pin(raw.#name(#(#raw_args),*))).await
                }
            },
            Target::Blocking => quote! {
                #(#docs)*
                pub fn #name #generics (&'a self, #(#decls),*) -> ::std::result::Result<#success, Error> {
                    self.block_on(self.inner.#name(#(#args),*))
                }

                #[doc = #with_doc]
                pub fn #with #generics (&'a self, #(#decls,)* options: &'a crate::options::#options) -> ::std::result::Result<#success, Error> {
                    self.block_on(self.inner.#with(#(#args,)* options))
                }
            },
            // The command line calls the async client; it has no facade of its own.
            Target::Cli => quote! {},
        }
    });
    quote! {
        #[allow(unused_imports)]
        use crate::{types, Error, RequestId};

        impl crate::Client {
            #(#fns)*
        }
    }
}

/// `otp_client::options`: one type per operation with its optional parameters, each a field
/// that is `None` unless set. `#[non_exhaustive]`: a parameter the spec adds is a field more,
/// and code that builds the options with `new()` and the setters compiles unchanged.
pub(crate) fn options_tokens(spec: &Spec, methods: &[RawMethod]) -> TokenStream {
    let operations = spec.operations();
    let types = methods.iter().map(|m| {
        let op = &operations[m.index];
        let ty = m.options_type();
        let optional: Vec<_> = m.optional().collect();
        let doc = format!(
            "The optional parameters of `{}` ([`Client::{}`](crate::Client::{})){}. Build it \
             with `new()` and its setters: a parameter a newer spec adds is one more field and \
             setter, and code that builds it this way compiles unchanged.",
            op.id,
            m.with_options(),
            m.with_options(),
            if optional.is_empty() {
                ": none today"
            } else {
                ""
            },
        );
        let fields = optional.iter().map(|o| {
            let (name, field) = (o.name, &o.field);
            let described = spec_parameter_description(op, &name.to_string());
            quote! {
                #[doc = #described]
                pub #name: ::std::option::Option<#field>,
            }
        });
        let setters = optional.iter().map(|o| {
            let (name, field) = (o.name, &o.field);
            let doc = format!("Sets `{name}`.");
            quote! {
                #[doc = #doc]
                pub fn #name(mut self, value: impl ::std::convert::Into<#field>) -> Self {
                    self.#name = ::std::option::Option::Some(value.into());
                    self
                }
            }
        });
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, Default, PartialEq)]
            #[non_exhaustive]
            pub struct #ty {
                #(#fields)*
            }

            impl #ty {
                /// No optional parameter set.
                pub fn new() -> Self {
                    Self::default()
                }

                #(#setters)*
            }
        }
    });
    quote! {
        #[allow(unused_imports)]
        use crate::{types, RequestId};

        #(#types)*
    }
}

/// The spec's description of the parameter whose Rust name is `rust`.
fn spec_parameter_description(op: &Operation, rust: &str) -> String {
    op.parameter_descriptions
        .iter()
        .find(|(name, _)| name.to_snake_case() == rust)
        .map(|(_, d)| d.clone())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("The `{rust}` parameter."))
}

/// Every operation method of progenitor's client, in the spec's order; an error when one
/// is missing or has a shape the facades cannot wrap.
pub(crate) fn raw_methods(spec: &Spec, raw: &syn::File) -> Result<Vec<RawMethod>, CodegenError> {
    let operations = spec.operations();
    let generator_error = |message: String| CodegenError::Generator {
        path: spec.path().to_path_buf(),
        message,
    };
    let types = generated_types(raw);
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
            let index = operations
                .iter()
                .position(|op| name == op.method_name)
                .ok_or_else(|| {
                    generator_error(format!("method `{name}` matches no operationId"))
                })?;
            let body_strings = body_string_fields(&operations[index], types)
                .map_err(|message| generator_error(format!("`{name}`: {message}")))?;
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
            check_path_parameters(&operations[index], &params).map_err(|message| {
                CodegenError::Invalid {
                    path: spec.path().to_path_buf(),
                    at: operations[index].id.clone(),
                    message,
                }
            })?;
            let success = success_type(&f.sig.output).ok_or_else(|| {
                generator_error(format!(
                    "`{name}` does not return a Result<ResponseValue<T>, _>"
                ))
            })?;
            let mut docs: Vec<syn::Attribute> = f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect();
            if let Some(note) = &operations[index].sdk_note {
                let note = format!("\n**Note.** {}", note.trim_end());
                docs.push(syn::parse_quote! { #[doc = #note] });
            }
            out.push(RawMethod {
                index,
                body_strings,
                docs,
                name,
                generics: f.sig.generics.clone(),
                params,
                success,
            });
        }
    }
    // A progenitor or typify release that generates differently must stop the build here,
    // not as a missing method in the crates that call the facade.
    let missing: Vec<&str> = operations
        .iter()
        .filter(|op| !out.iter().any(|m| m.name == op.method_name))
        .map(|op| op.id.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(generator_error(format!(
            "progenitor generated {} client methods for the spec's {} operations; none for {} \
             (is progenitor the version this codegen pins?)",
            out.len(),
            operations.len(),
            missing.join(", ")
        )));
    }
    out.sort_by_key(|m| m.index);
    Ok(out)
}

/// Every path parameter must be typed so that its segment can only be itself: a UUID or a
/// `RequestId` (whose text is hex digits and hyphens). A plain string would let an argument
/// choose its own path.
fn check_path_parameters(op: &Operation, params: &[(syn::Ident, Type)]) -> Result<(), String> {
    for (name, _) in op.parameters.iter().filter(|(_, at)| at == "path") {
        let rust = name.to_snake_case();
        let (_, ty) = params
            .iter()
            .find(|(n, _)| *n == rust)
            .ok_or_else(|| format!("`{}` has no argument for path parameter `{name}`", op.id))?;
        if !(is_ref_to(ty, "RequestId") || is_ref_to(ty, "Uuid")) {
            return Err(format!(
                "path parameter `{name}` of `{}` is not a UUID: give it `format: uuid` or the `RequestId` schema, so that no argument can choose its own path",
                op.id
            ));
        }
    }
    Ok(())
}

/// The items of progenitor's `pub mod types`.
pub(crate) fn generated_types(raw: &syn::File) -> &[Item] {
    raw.items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| &items[..]),
            _ => None,
        })
        .unwrap_or(&[])
}

/// The Rust fields of `op`'s body type that carry the spec's required string properties, as
/// the generated type names them (its `#[serde(rename)]` says which property each field is).
pub(crate) fn body_string_fields(
    op: &Operation,
    types: &[Item],
) -> Result<Vec<syn::Ident>, String> {
    let Some(schema) = &op.body_schema else {
        return Ok(Vec::new());
    };
    if op.body_required_strings.is_empty() {
        return Ok(Vec::new());
    }
    let fields = types
        .iter()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == schema => Some(&s.fields),
            _ => None,
        })
        .ok_or_else(|| format!("no generated type `{schema}` for its body"))?;
    op.body_required_strings
        .iter()
        .map(|property| {
            fields
                .iter()
                .find(|f| json_name(f).as_deref() == Some(property.as_str()))
                .and_then(|f| f.ident.clone())
                .ok_or_else(|| format!("`{schema}` has no field for property `{property}`"))
        })
        .collect()
}

/// The JSON name of a generated field: its `#[serde(rename = "…")]`, or its own name.
fn json_name(field: &syn::Field) -> Option<String> {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                // Another `key = value` setting: skip its value.
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed.or_else(|| field.ident.as_ref().map(|i| i.to_string()))
}

/// `T` of a `Result<ResponseValue<T>, E>` return type.
fn success_type(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let result = first_type_argument(ty, "Result")?;
    first_type_argument(result, "ResponseValue").cloned()
}

/// The first type argument of `ty` when `ty` is `name<…>`.
fn first_type_argument<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// Whether `ty` is a reference to a type whose path ends in `name`.
pub(crate) fn is_ref_to(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Reference(r) if matches!(&*r.elem, Type::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == name)))
}
