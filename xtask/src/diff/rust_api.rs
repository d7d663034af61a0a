//! The public Rust API of both generated clients, compared across two specs.

use std::collections::BTreeMap;

use otp_client_codegen::{Spec, Target, generate};
use quote::ToTokens;
use syn::{ImplItem, Item, Type};

use super::RustChange;

/// Item path → its signature.
type Api = BTreeMap<String, String>;

pub fn diff(old: &Spec, new: &Spec) -> Result<Vec<RustChange>, otp_client_codegen::CodegenError> {
    let mut out = Vec::new();
    for target in Target::ALL {
        let before = api(&generate(old, target)?.code);
        let after = api(&generate(new, target)?.code);
        let krate = target.crate_name().to_string();
        for (item, sig) in &before {
            match after.get(item) {
                None => out.push(RustChange {
                    krate: krate.clone(),
                    kind: "removed".into(),
                    item: item.clone(),
                    old: Some(sig.clone()),
                    new: None,
                }),
                Some(new_sig) if new_sig != sig => out.push(RustChange {
                    krate: krate.clone(),
                    kind: "changed".into(),
                    item: item.clone(),
                    old: Some(sig.clone()),
                    new: Some(new_sig.clone()),
                }),
                _ => {}
            }
        }
        for (item, sig) in &after {
            if !before.contains_key(item) {
                out.push(RustChange {
                    krate: krate.clone(),
                    kind: "added".into(),
                    item: item.clone(),
                    old: None,
                    new: Some(sig.clone()),
                });
            }
        }
    }
    Ok(out)
}

/// The public items of generated code: the facade's methods, and the types' fields and
/// variants.
fn api(code: &str) -> Api {
    let mut api = Api::new();
    if let Ok(file) = syn::parse_file(code) {
        collect(&file.items, "", &mut api);
    }
    api
}

fn collect(items: &[Item], module: &str, api: &mut Api) {
    for item in items {
        match item {
            Item::Mod(m) => {
                let name = m.ident.to_string();
                // progenitor's own client (`raw`) is not the API users call; its types are.
                let inner = match (module, name.as_str()) {
                    ("", "raw") => "raw",
                    ("raw", "types") | ("", "open_enums") => "types",
                    ("", "facade") => "",
                    _ => continue,
                };
                if let Some((_, items)) = &m.content {
                    collect(items, inner, api);
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() && module.is_empty() => {
                let is_facade = matches!(&*imp.self_ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Client"));
                if !is_facade {
                    continue;
                }
                for item in &imp.items {
                    if let ImplItem::Fn(f) = item
                        && matches!(f.vis, syn::Visibility::Public(_))
                    {
                        let mut sig = f.sig.clone();
                        sig.generics = syn::Generics::default();
                        api.insert(
                            format!("Client::{}", f.sig.ident),
                            tidy(&sig.to_token_stream().to_string()),
                        );
                    }
                }
            }
            Item::Struct(s) if module == "types" && matches!(s.vis, syn::Visibility::Public(_)) => {
                let name = s.ident.to_string();
                api.insert(format!("types::{name}"), "struct".into());
                for field in &s.fields {
                    if let Some(ident) = &field.ident {
                        api.insert(
                            format!("types::{name}::{ident}"),
                            tidy(&field.ty.to_token_stream().to_string()),
                        );
                    }
                }
            }
            Item::Enum(e) if module == "types" && matches!(e.vis, syn::Visibility::Public(_)) => {
                let name = e.ident.to_string();
                api.insert(format!("types::{name}"), "enum".into());
                for v in &e.variants {
                    api.insert(format!("types::{name}::{}", v.ident), "variant".into());
                }
            }
            _ => {}
        }
    }
}

/// Token text without the spaces `to_string` puts around punctuation.
fn tidy(s: &str) -> String {
    let mut out = s.to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& '", "&'"),
        ("& ", "&"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" :", ":"),
    ] {
        out = out.replace(from, to);
    }
    for (from, to) in [
        ("::std::result::", ""),
        ("::std::option::", ""),
        ("::std::string::", ""),
        ("&'a ", "&"),
        (",)", ")"),
        (",>", ">"),
        (") ->", ") -> "),
        (")->", ") -> "),
        ("->Result", "-> Result"),
    ] {
        out = out.replace(from, to);
    }
    out
}
