//! The command-line client's subcommands: one per operation, from the spec (names, flags,
//! help) and the methods progenitor generated (argument types), calling the async client.

use heck::{ToKebabCase, ToSnakeCase};
use proc_macro2::TokenStream;
use quote::quote;
use syn::Type;

use crate::facade::{RawMethod, is_ref_to};
use crate::{Operation, Spec};

/// `operation_commands()` and `call_operation()` for the `otp` binary.
pub(crate) fn cli_tokens(spec: &Spec, methods: &[RawMethod]) -> TokenStream {
    let operations = spec.operations();
    let commands = methods.iter().map(|m| {
        let op = &operations[m.index];
        command(op, m, &op.summary, &op.description)
    });
    let calls = methods.iter().map(|m| {
        let op = &operations[m.index];
        let id = &op.id;
        let with = m.with_options();
        let options = m.options_type();
        let args = m.required().map(|(param, ty)| argument(op, param, ty));
        let set = m.optional().map(|o| {
            let (name, field) = (o.name, &o.field);
            match spec_name(op, name) {
                Ok(flag) => quote! {
                    options.#name = matches.get_one::<#field>(#flag).cloned();
                },
                Err(error) => error,
            }
        });
        quote! {
            #id => {
                #[allow(unused_mut)]
                let mut options = ::otp_client::options::#options::new();
                #(#set)*
                crate::answer(client.#with(#(#args,)* &options).await)
            }
        }
    });
    quote! {
        #[allow(unused_imports)]
        use ::otp_client::{types, RequestId};

        /// One subcommand per operation of the spec, named by its operationId (and in
        /// kebab case), with the spec's parameter names as flags.
        pub(crate) fn operation_commands() -> ::std::vec::Vec<::clap::Command> {
            ::std::vec![#(#commands),*]
        }

        /// Calls operation `id` with the arguments in `matches`; `None` when `id` is not an
        /// operation of the spec.
        pub(crate) async fn call_operation(
            client: &::otp_client::Client,
            id: &str,
            matches: &::clap::ArgMatches,
        ) -> ::std::option::Option<::std::result::Result<::serde_json::Value, crate::Failure>> {
            ::std::option::Option::Some(match id {
                #(#calls)*
                _ => return ::std::option::Option::None,
            })
        }
    }
}

/// The spec's name of a method's argument (progenitor names an argument by its parameter's
/// name in snake case), or a `compile_error!` that says which argument has none: a flag must
/// never be named other than the spec names it.
fn spec_name(op: &Operation, param: &syn::Ident) -> Result<String, TokenStream> {
    op.parameters
        .iter()
        .map(|(name, _)| name)
        .find(|name| *param == name.to_snake_case())
        .cloned()
        .ok_or_else(|| {
            let message = format!(
                "`{}`: the generated argument `{param}` matches no parameter of the spec",
                op.id
            );
            quote! { ::std::compile_error!(#message) }
        })
}

fn command(op: &Operation, method: &RawMethod, summary: &str, description: &str) -> TokenStream {
    let id = &op.id;
    let long_about = if description.is_empty() {
        summary.to_string()
    } else {
        format!("{summary}\n\n{}", description.trim_end())
    };
    let mut args = Vec::new();
    for optional in method.optional() {
        let Ok(name) = spec_name(op, optional.name) else {
            continue;
        };
        let alias = kebab_alias(&name);
        let help = op
            .parameter_descriptions
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| format!("{d} (optional)"))
            .unwrap_or_else(|| "(optional)".to_string());
        let field = &optional.field;
        let value_name = name.to_snake_case().to_uppercase();
        args.push(quote! {
            ::clap::Arg::new(#name)
                .long(#name)
                #alias
                .value_name(#value_name)
                .help(#help)
                .value_parser(::clap::value_parser!(#field))
        });
    }
    for (param, ty) in method.required() {
        if param == "body" {
            let fields: Vec<&str> = op.body_properties.iter().map(|p| p.name.as_str()).collect();
            for property in &op.body_properties {
                let name = &property.name;
                let alias = kebab_alias(name);
                let help = format!("{} (a field of the body)", property.description);
                let required = property
                    .required
                    .then(|| quote! { .required_unless_present("body") });
                args.push(quote! {
                    ::clap::Arg::new(#name)
                        .long(#name)
                        #alias
                        .help(#help)
                        #required
                        .conflicts_with("body")
                });
            }
            let help = format!(
                "The whole request body, as JSON, instead of the flags of its fields ({})",
                fields.join(", ")
            );
            args.push(quote! {
                ::clap::Arg::new("body").long("body").value_name("JSON").help(#help)
            });
            continue;
        }
        // An argument without a spec name is said once, where it is called (`argument`).
        let Ok(name) = spec_name(op, param) else {
            continue;
        };
        let alias = kebab_alias(&name);
        let help = op
            .parameter_descriptions
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        let parser = value_parser(ty);
        let value_name = name.to_snake_case().to_uppercase();
        args.push(quote! {
            ::clap::Arg::new(#name)
                .long(#name)
                #alias
                .value_name(#value_name)
                .help(#help)
                .required(true)
                .value_parser(#parser)
        });
    }
    let kebab = kebab_alias(&op.id);
    quote! {
        ::clap::Command::new(#id)
            #kebab
            .about(#summary)
            .long_about(#long_about)
            #(.arg(#args))*
    }
}

/// `.visible_alias("kebab-case")`, when the spec's name is not already that.
fn kebab_alias(name: &str) -> Option<TokenStream> {
    let kebab = name.to_kebab_case();
    (kebab != name).then(|| quote! { .visible_alias(#kebab) })
}

/// How a flag's text becomes the argument's type.
fn value_parser(ty: &Type) -> TokenStream {
    if is_ref_to(ty, "RequestId") {
        quote! { ::clap::value_parser!(::otp_client::RequestId) }
    } else if is_ref_to(ty, "Uuid") {
        quote! { ::clap::value_parser!(::uuid::Uuid) }
    } else {
        quote! { ::clap::value_parser!(::std::string::String) }
    }
}

/// The expression that gives a method its argument `param` from the parsed flags.
fn argument(op: &Operation, param: &syn::Ident, ty: &Type) -> TokenStream {
    if param == "body" {
        let fields = op.body_properties.iter().map(|p| {
            let name = &p.name;
            let is_string = p.is_string;
            quote! { (#name, #is_string) }
        });
        return quote! {
            &match crate::body(matches, &[#(#fields),*]) {
                ::std::result::Result::Ok(body) => body,
                ::std::result::Result::Err(failure) => {
                    return ::std::option::Option::Some(::std::result::Result::Err(failure))
                }
            }
        };
    }
    let name = match spec_name(op, param) {
        Ok(name) => name,
        Err(error) => return error,
    };
    if is_ref_to(ty, "str") {
        quote! { crate::flag::<::std::string::String>(matches, #name).as_str() }
    } else if is_ref_to(ty, "RequestId") {
        quote! { crate::flag::<::otp_client::RequestId>(matches, #name) }
    } else if is_ref_to(ty, "Uuid") {
        quote! { crate::flag::<::uuid::Uuid>(matches, #name) }
    } else {
        let message = format!("`{}`: no flag type for argument `{param}`", op.id);
        quote! { ::std::compile_error!(#message) }
    }
}
