//! The public Rust API of both generated clients, compared across two specs: items parsed
//! with syn and compared as syntax trees, printed with prettyplease.

use std::collections::BTreeMap;

use otp_client_codegen::{Spec, Target, generate};
use syn::{ImplItem, Item, Type};

use super::{ChangeKind, RustChange};

/// One public item of a generated client, as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Public {
    /// A method of the client, or a constructor or setter of a type: its signature
    /// (generics left out: they name lifetimes and `impl Into` arguments only).
    Method(syn::Signature),
    /// A field of a type: its type, and whether the type is `#[non_exhaustive]`.
    Field { ty: Type, open: bool },
    /// A type: `struct` or `enum`.
    Type(&'static str),
    /// A variant of an enum, and whether the enum is `#[non_exhaustive]`.
    Variant { open: bool },
}

impl Public {
    /// Whether adding it breaks code that uses the crate.
    fn breaks_when_added(&self) -> bool {
        match self {
            // A struct literal of the type lacks the field (none compiles outside the crate
            // for a `#[non_exhaustive]` one, which `new` and setters build).
            Public::Field { open, .. } => !open,
            // A `match` on the enum lacks the variant.
            Public::Variant { open } => !open,
            Public::Method(_) | Public::Type(_) => false,
        }
    }
}

impl Public {
    /// The item as a person reads it, printed by prettyplease.
    fn render(&self) -> String {
        match self {
            Public::Method(sig) => {
                let item: syn::ItemFn = syn::parse_quote! { pub #sig {} };
                unparse(Item::Fn(item))
                    .trim_end_matches("{}")
                    .trim()
                    .to_string()
            }
            Public::Field { ty, .. } => {
                let item: syn::ItemType = syn::parse_quote! { type T = #ty; };
                unparse(Item::Type(item))
                    .trim()
                    .trim_start_matches("type T = ")
                    .trim_end_matches(';')
                    .to_string()
            }
            Public::Type(kind) => (*kind).to_string(),
            Public::Variant { .. } => "variant".to_string(),
        }
    }
}

fn unparse(item: Item) -> String {
    let mut file: syn::File = syn::parse_quote! {};
    file.items.push(item);
    prettyplease::unparse(&file)
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Item path → the item.
type Api = BTreeMap<String, Public>;

/// Why the Rust APIs could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum RustApiError {
    /// A side does not generate.
    #[error(transparent)]
    Generate(#[from] otp_client_codegen::CodegenError),
    /// The generated code does not parse.
    #[error("the code generated for {0} does not parse: {1}")]
    Parse(&'static str, syn::Error),
}

pub fn diff(old: &Spec, new: &Spec) -> Result<Vec<RustChange>, RustApiError> {
    let mut out = Vec::new();
    for target in Target::CLIENTS {
        let krate = target.crate_name();
        let before = api(&generate(old, target)?.code, krate)?;
        let after = api(&generate(new, target)?.code, krate)?;
        let change = |kind, item: &str, old: Option<&Public>, new: Option<&Public>| {
            let breaking = match (kind, new) {
                (ChangeKind::Added, Some(added)) => added.breaks_when_added(),
                _ => true,
            };
            RustChange {
                krate: krate.to_string(),
                kind,
                breaking,
                item: item.to_string(),
                old: old.map(Public::render),
                new: new.map(Public::render),
                action: action(kind, breaking, item),
            }
        };
        for (item, was) in &before {
            match after.get(item) {
                None => out.push(change(ChangeKind::Removed, item, Some(was), None)),
                Some(is) if is != was => {
                    out.push(change(ChangeKind::Changed, item, Some(was), Some(is)))
                }
                _ => {}
            }
        }
        for (item, is) in &after {
            if !before.contains_key(item) {
                out.push(change(ChangeKind::Added, item, None, Some(is)));
            }
        }
    }
    Ok(out)
}

/// The public items of generated code: the facade's methods, and the types' fields and
/// variants.
fn api(code: &str, krate: &'static str) -> Result<Api, RustApiError> {
    let file = syn::parse_file(code).map_err(|e| RustApiError::Parse(krate, e))?;
    let mut api = Api::new();
    collect(&file.items, "", &mut api);
    Ok(api)
}

fn collect(items: &[Item], module: &str, api: &mut Api) {
    let public = |v: &syn::Visibility| matches!(v, syn::Visibility::Public(_));
    let open = |attrs: &[syn::Attribute]| attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
    let typed = matches!(module, "types" | "options");
    for item in items {
        match item {
            Item::Mod(m) => {
                let name = m.ident.to_string();
                // progenitor's own client (`raw`) is not the API users call; its types are.
                let inner = match (module, name.as_str()) {
                    ("", "raw") => "raw",
                    ("raw", "types") | ("", "open_enums") => "types",
                    ("", "options") => "options",
                    ("", "facade") => "",
                    _ => continue,
                };
                if let Some((_, items)) = &m.content {
                    collect(items, inner, api);
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() && (module.is_empty() || typed) => {
                let Type::Path(p) = &*imp.self_ty else {
                    continue;
                };
                let Some(owner) = p.path.segments.last().map(|s| s.ident.to_string()) else {
                    continue;
                };
                // The client's methods keep their plain names; a type's constructor and
                // setters end in `()`, apart from its fields of the same name.
                let prefix = match module {
                    "" if owner == "Client" => "Client::".to_string(),
                    "" => continue,
                    _ => format!("{module}::{owner}::"),
                };
                let suffix = if module.is_empty() { "" } else { "()" };
                for item in &imp.items {
                    if let ImplItem::Fn(f) = item
                        && public(&f.vis)
                    {
                        let mut sig = f.sig.clone();
                        sig.generics = syn::Generics::default();
                        let key = format!("{prefix}{}{suffix}", f.sig.ident);
                        api.insert(key, Public::Method(sig));
                    }
                }
            }
            Item::Struct(s) if typed && public(&s.vis) => {
                let name = format!("{module}::{}", s.ident);
                let open = open(&s.attrs);
                for field in &s.fields {
                    if let Some(ident) = &field.ident {
                        let ty = field.ty.clone();
                        api.insert(format!("{name}::{ident}"), Public::Field { ty, open });
                    }
                }
                api.insert(name, Public::Type("struct"));
            }
            Item::Enum(e) if typed && public(&e.vis) => {
                let name = format!("{module}::{}", e.ident);
                let open = open(&e.attrs);
                for v in &e.variants {
                    api.insert(format!("{name}::{}", v.ident), Public::Variant { open });
                }
                api.insert(name, Public::Type("enum"));
            }
            _ => {}
        }
    }
}

/// What a user must change in their code for one change of the Rust API.
fn action(kind: ChangeKind, breaking: bool, item: &str) -> String {
    match (kind, breaking) {
        (ChangeKind::Added, false) => String::new(),
        (ChangeKind::Added, true) => format!(
            "a struct literal or an exhaustive `match` that names `{}` must add the new item \
             (`{item}`)",
            item.rsplit_once("::").map_or(item, |(owner, _)| owner)
        ),
        (ChangeKind::Removed, _) => format!("remove every use of `{item}`"),
        (ChangeKind::Changed, _) => format!("update every use of `{item}` to its new signature"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_that_does_not_parse_is_an_error_not_an_empty_api() {
        assert!(matches!(
            api("fn (", "otp-client"),
            Err(RustApiError::Parse("otp-client", _))
        ));
    }

    #[test]
    fn signatures_compare_as_syntax_and_print_as_rust() {
        let a = api("mod facade { impl crate::Client { pub fn f<'a>(&'a self, x: &'a str) -> Result<u8, Error> { todo!() } } }", "c").unwrap();
        let b = api("mod facade { impl crate::Client { pub fn f<'a>(&'a self, x : &'a str) -> Result<u8,Error> { todo!() } } }", "c").unwrap();
        assert_eq!(a, b, "spacing is not a change");
        let sig = a["Client::f"].render();
        assert_eq!(sig, "pub fn f(&'a self, x: &'a str) -> Result<u8, Error>");
    }
}
