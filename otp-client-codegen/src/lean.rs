//! What the codegen changes in progenitor's output, on its syntax tree, before it is
//! formatted: three costs per call that progenitor 0.15 has no setting for, and that the
//! client would otherwise pay and throw away, and one word a newer edition reserves. The
//! `prepare` module's counterpart, on the other side of progenitor.
//!
//! - The `api-version` header. progenitor puts the spec's version on every request, through a
//!   header map built for the purpose; the service does not read it. The statement that adds
//!   it goes, and so does the map when nothing else goes in it (an operation with header
//!   parameters keeps its map and their statements, a parameter named `api-version` too).
//! - The copy of the response's headers. `ResponseValue::from_response` clones them into the
//!   value it returns; the client's methods return the decoded body alone, and its error
//!   mapping reads what the hooks recorded, so the generated methods decode through
//!   `crate::lean::decode` instead, which keeps no headers.
//! - The copies of each path parameter. `encode_path(&value.to_string())` makes two strings
//!   per segment; every path parameter is a UUID (the facade refuses any other), so
//!   `crate::lean::path_segment(value)` writes its hyphenated form into the URL directly.
//! - The URL written twice. progenitor formats each URL with `format!` (which, for its
//!   pieces, starts from an empty string and grows it), and appends each query parameter
//!   with reqwest's `query`, which serializes it through serde and grows the URL's string
//!   again. Where every query parameter is a `&str` argument, the URL is written once, with
//!   its query, by `crate::lean::url`: the same pairs, in the same order, encoded as reqwest
//!   encodes them (`application/x-www-form-urlencoded`).
//! - Not a cost, but a build: typify's `JsonSchema` impls (the `schemars` feature) name a
//!   variable `gen`, a keyword of the client's edition; it is written `r#gen`.
//!
//! Each step matches what progenitor generates and leaves code it does not recognise as it
//! is: a progenitor that generated these statements otherwise would build unchanged, and
//! send the `api-version` header again (the service ignores it; a test of the client's
//! requests would see it). [`Lean`] says how much each step changed, which a test checks
//! against the bundled spec, so that such a progenitor is noticed.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Pat, Stmt, Token};

/// The header progenitor adds to every request.
const API_VERSION: &str = "api-version";

/// What [`lean`] removed or replaced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lean {
    /// `api-version` statements removed.
    pub api_version_headers: usize,
    /// Header maps removed with them (left empty).
    pub header_maps: usize,
    /// `ResponseValue::from_response` calls decoding through `crate::lean::decode`.
    pub decodes: usize,
    /// `encode_path` calls replaced by `crate::lean::path_segment`.
    pub path_encodings: usize,
    /// Identifiers that are keywords of the client's edition, made raw (`r#gen`).
    pub raw_identifiers: usize,
    /// URLs written at once with their query by `crate::lean::url`.
    pub urls: usize,
    /// Query parameters moved into their URL.
    pub query_parameters: usize,
}

/// Applies the passes to progenitor's `file`.
pub(crate) fn lean(file: &mut syn::File) -> Lean {
    let mut pass = Lean::default();
    pass.visit_file_mut(file);
    pass
}

impl VisitMut for Lean {
    fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
        visit_mut::visit_impl_item_fn_mut(self, f);
        self.write_urls_once(&f.sig, &mut f.block);
    }

    fn visit_item_fn_mut(&mut self, f: &mut syn::ItemFn) {
        visit_mut::visit_item_fn_mut(self, f);
        self.write_urls_once(&f.sig, &mut f.block);
    }

    fn visit_block_mut(&mut self, block: &mut Block) {
        visit_mut::visit_block_mut(self, block);
        let before = block.stmts.len();
        block.stmts.retain(|stmt| !adds_api_version(stmt));
        if block.stmts.len() == before {
            return;
        }
        self.api_version_headers += before - block.stmts.len();
        // The map stays when anything but its `let` and the request's `.headers(header_map)`
        // still names it.
        let Some(map) = block.stmts.iter().position(declares_header_map) else {
            return;
        };
        let mut unused = UnusedMap { removed: 0 };
        let mut stmts = block.stmts.clone();
        stmts.iter_mut().for_each(|s| unused.visit_stmt_mut(s));
        let still_named = stmts
            .iter()
            .enumerate()
            .any(|(i, stmt)| i != map && mentions(stmt.to_token_stream(), "header_map"));
        if unused.removed == 1 && !still_named {
            stmts.remove(map);
            block.stmts = stmts;
            self.header_maps += 1;
        }
    }

    /// typify names a variable and schemars 0.8's module `gen`, a keyword since edition
    /// 2024 (the client's): written `r#gen`, it means the same in any edition.
    fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
        if ident == "gen" {
            *ident = proc_macro2::Ident::new_raw("gen", ident.span());
            self.raw_identifiers += 1;
        }
    }

    /// `format!`'s arguments are expressions too (progenitor builds each URL with it).
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        visit_mut::visit_macro_mut(self, mac);
        if !mac.path.is_ident("format") {
            return;
        }
        let Ok(mut args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        else {
            return;
        };
        args.iter_mut().for_each(|arg| self.visit_expr_mut(arg));
        mac.tokens = args.to_token_stream();
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        visit_mut::visit_expr_mut(self, expr);
        if let Expr::Call(call) = expr
            && let Expr::Path(path) = &*call.func
        {
            let names = segment_names(&path.path);
            if names.ends_with(&["ResponseValue".into(), "from_response".into()]) {
                *call.func = syn::parse_quote!(crate::lean::decode);
                self.decodes += 1;
            } else if names == ["encode_path"]
                && let Some(value) = uuid_to_string(call)
            {
                *expr = syn::parse_quote!(crate::lean::path_segment(#value));
                self.path_encodings += 1;
            }
        }
    }
}

impl Lean {
    /// `let url = format!(…);` and the `.query(&QueryParam::new("name", &arg))` calls after
    /// it, where every `arg` is a `&str` argument of the method: the URL written at once
    /// with its query. Nothing changes where any query call is another (an optional or
    /// typed parameter).
    fn write_urls_once(&mut self, sig: &syn::Signature, block: &mut Block) {
        let strings: Vec<String> = sig.inputs.iter().filter_map(str_argument).collect();
        let Some(at) = block.stmts.iter().position(formats_url) else {
            return;
        };
        let mut queries = Queries {
            strings: &strings,
            pairs: Vec::new(),
            unknown: false,
        };
        let mut stmts = block.stmts.clone();
        stmts[at + 1..]
            .iter_mut()
            .for_each(|s| queries.visit_stmt_mut(s));
        if queries.unknown {
            return;
        }
        let Stmt::Local(local) = &mut stmts[at] else {
            return;
        };
        let Some(init) = &mut local.init else {
            return;
        };
        let Expr::Macro(format) = &*init.expr else {
            return;
        };
        // A spec path that carries its own query or fragment (`/x?mode=a`) would need `&`
        // where `url` writes `?`: left to reqwest, which appends to it.
        if has_literal(format.mac.tokens.clone(), &|value| {
            value.contains(['?', '#'])
        }) {
            return;
        }
        let args = &format.mac.tokens;
        let pairs = queries
            .pairs
            .iter()
            .map(|(name, value)| quote::quote!((#name, #value)));
        *init.expr = syn::parse_quote!(crate::lean::url(format_args!(#args), &[#(#pairs),*]));
        self.urls += 1;
        self.query_parameters += queries.pairs.len();
        block.stmts = stmts;
    }
}

/// A `name: &str` (or `&'a str`) argument's name.
fn str_argument(arg: &syn::FnArg) -> Option<String> {
    let syn::FnArg::Typed(typed) = arg else {
        return None;
    };
    let (Pat::Ident(name), syn::Type::Reference(reference)) = (&*typed.pat, &*typed.ty) else {
        return None;
    };
    let syn::Type::Path(elem) = &*reference.elem else {
        return None;
    };
    (reference.mutability.is_none() && elem.path.is_ident("str")).then(|| name.ident.to_string())
}

/// `let url = format!(…);`
fn formats_url(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Local(local)
    if matches!(&local.pat, Pat::Ident(p) if p.ident == "url")
    && local.init.as_ref().is_some_and(|init| {
        matches!(&*init.expr, Expr::Macro(m) if m.mac.path.is_ident("format"))
    }))
}

/// Takes `.query(&QueryParam::new("name", &arg))` out of a request builder's chain, where
/// `arg` is one of `strings`; any other `.query(…)` call is `unknown`.
struct Queries<'s> {
    strings: &'s [String],
    pairs: Vec<(syn::LitStr, syn::Ident)>,
    unknown: bool,
}

impl VisitMut for Queries<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        visit_mut::visit_expr_mut(self, expr);
        let Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method != "query" || call.args.len() != 1 {
            return;
        }
        match string_query(call, self.strings) {
            Some(pair) => {
                self.pairs.push(pair);
                *expr = (*call.receiver).clone();
            }
            None => self.unknown = true,
        }
    }
}

/// `("name", arg)` of `.query(&progenitor_client::QueryParam::new("name", &arg))`, when
/// `arg` is one of `strings`.
fn string_query(
    call: &syn::ExprMethodCall,
    strings: &[String],
) -> Option<(syn::LitStr, syn::Ident)> {
    let [Expr::Reference(param)] = &call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let Expr::Call(new) = &*param.expr else {
        return None;
    };
    let Expr::Path(func) = &*new.func else {
        return None;
    };
    if !segment_names(&func.path).ends_with(&["QueryParam".into(), "new".into()]) {
        return None;
    }
    let [Expr::Lit(name), Expr::Reference(value)] = &new.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let (syn::Lit::Str(name), Expr::Path(value)) = (&name.lit, &*value.expr) else {
        return None;
    };
    let value = value.path.get_ident()?;
    strings
        .contains(&value.to_string())
        .then(|| (name.clone(), value.clone()))
}

/// `value` of `encode_path(&value.to_string())`, as progenitor encodes each path parameter
/// (every one a UUID: the facade refuses any other).
fn uuid_to_string(call: &syn::ExprCall) -> Option<Expr> {
    let [Expr::Reference(arg)] = &call.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let Expr::MethodCall(to_string) = &*arg.expr else {
        return None;
    };
    (to_string.method == "to_string" && to_string.args.is_empty())
        .then(|| (*to_string.receiver).clone())
}

/// Removes `.headers(header_map)` from a request builder's chain.
struct UnusedMap {
    removed: usize,
}

impl VisitMut for UnusedMap {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        visit_mut::visit_expr_mut(self, expr);
        if let Expr::MethodCall(call) = expr
            && call.method == "headers"
            && call.args.len() == 1
            && mentions(call.args.to_token_stream(), "header_map")
        {
            *expr = (*call.receiver).clone();
            self.removed += 1;
        }
    }
}

/// `header_map.append(HeaderName::from_static("api-version"),
/// HeaderValue::from_static(Self::api_version()));`: progenitor's own, not a header
/// parameter of that name (whose value is the argument).
fn adds_api_version(stmt: &Stmt) -> bool {
    let Stmt::Expr(Expr::MethodCall(call), Some(_)) = stmt else {
        return false;
    };
    let [name, value] = &call.args.iter().collect::<Vec<_>>()[..] else {
        return false;
    };
    call.method == "append"
        && mentions(call.receiver.to_token_stream(), "header_map")
        && mentions(name.to_token_stream(), "from_static")
        && has_literal(name.to_token_stream(), &|value| value == API_VERSION)
        && mentions(value.to_token_stream(), "api_version")
}

/// `let mut header_map = …;`
fn declares_header_map(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Local(local) if matches!(&local.pat, Pat::Ident(p) if p.ident == "header_map"))
}

/// Whether `tokens` hold the identifier `name`.
fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == name,
        TokenTree::Group(group) => mentions(group.stream(), name),
        _ => false,
    })
}

/// `a::b::c` as `["a", "b", "c"]`.
fn segment_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// Whether `tokens` hold a string literal whose value `matches`.
fn has_literal(tokens: TokenStream, matches: &impl Fn(&str) -> bool) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Literal(literal) => syn::parse2::<syn::LitStr>(literal.into_token_stream())
            .is_ok_and(|lit| matches(&lit.value())),
        TokenTree::Group(group) => has_literal(group.stream(), matches),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaned(code: TokenStream) -> (String, Lean) {
        let mut file: syn::File = syn::parse2(code).unwrap();
        let lean = lean(&mut file);
        (prettyplease::unparse(&file), lean)
    }

    #[test]
    fn drops_the_version_header_and_its_map_when_nothing_else_uses_it() {
        let (code, lean) = leaned(quote::quote! {
            async fn get(&self) -> Result<ResponseValue<T>, Error<E>> {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                );
                let url = format!("{}/{}", self.baseurl, encode_path(&id.to_string()));
                let mut request = self.client.get(url).headers(header_map).build()?;
                ResponseValue::from_response(response).await
            }
        });
        assert_eq!(
            lean,
            Lean {
                api_version_headers: 1,
                header_maps: 1,
                decodes: 1,
                path_encodings: 1,
                raw_identifiers: 0,
                urls: 1,
                query_parameters: 0,
            },
            "{code}"
        );
        assert!(!code.contains("header_map"), "{code}");
        assert!(!code.contains("api-version"), "{code}");
        assert!(code.contains("crate::lean::decode(response)"), "{code}");
        assert!(code.contains("::lean::path_segment(id)"), "{code}");
    }

    #[test]
    fn keeps_a_map_that_carries_header_parameters() {
        let (code, lean) = leaned(quote::quote! {
            async fn get(&self, trace: &str) {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                );
                header_map.append("x-trace", trace.to_string().try_into()?);
                let mut request = self.client.get(url).headers(header_map).build()?;
            }
        });
        assert_eq!(lean.api_version_headers, 1, "{code}");
        assert_eq!(lean.header_maps, 0, "{code}");
        assert!(code.contains(".headers(header_map)"), "{code}");
        assert!(code.contains("\"x-trace\""), "{code}");
        assert!(!code.contains("api-version"), "{code}");
    }

    #[test]
    fn every_operation_of_the_bundled_spec_loses_its_header_map_and_header_copy() {
        let spec = otp_spec::Spec::bundled();
        let mut file: syn::File = syn::parse2(
            crate::progenitor_tokens(&spec, crate::Options::default())
                .unwrap()
                .0,
        )
        .unwrap();
        let lean = lean(&mut file);
        let operations = spec.operations().len();
        assert_eq!(lean.api_version_headers, operations, "{lean:?}");
        assert_eq!(lean.header_maps, operations, "{lean:?}");
        // One decode per documented status, at least one per operation.
        assert!(lean.decodes >= operations, "{lean:?}");
        let code = prettyplease::unparse(&file);
        assert!(!code.contains("header_map"), "a header map is left");
        assert!(!code.contains("from_response"), "a header copy is left");
        assert!(
            !code.contains(" encode_path(") && lean.path_encodings > 0,
            "{lean:?}"
        );
        // Every URL is written at once; the bundled spec's query parameters are strings.
        assert_eq!(lean.urls, operations, "{lean:?}");
        assert!(
            lean.query_parameters > 0 && !code.contains(".query("),
            "{lean:?}"
        );
    }

    #[test]
    fn writes_a_url_with_its_string_query_at_once() {
        let (code, lean) = leaned(quote::quote! {
            async fn get_status<'a>(&'a self, request_id: &'a Id, recipient: &'a str, b: &str) {
                let url = format!("{}/{}/status", self.baseurl, encode(request_id),);
                let mut request = self
                    .client
                    .get(url)
                    .header(ACCEPT, value)
                    .query(&progenitor_client::QueryParam::new("recipient", &recipient))
                    .query(&progenitor_client::QueryParam::new("b", &b))
                    .build()?;
            }
        });
        assert_eq!((lean.urls, lean.query_parameters), (1, 2), "{code}");
        assert!(!code.contains(".query("), "{code}");
        assert!(
            code.contains(
                r#"crate::lean::url(
        format_args!("{}/{}/status", self.baseurl, encode(request_id),),
        &[("recipient", recipient), ("b", b)],
    )"#
            ),
            "{code}"
        );
    }

    #[test]
    fn leaves_a_url_whose_path_has_a_query_of_its_own() {
        for path in ["{}/items?mode=a", "{}/items#top"] {
            let source = quote::quote! {
                async fn list<'a>(&'a self, name: &'a str) {
                    let url = format!(#path, self.baseurl,);
                    let mut request = self
                        .client
                        .get(url)
                        .query(&progenitor_client::QueryParam::new("name", &name))
                        .build()?;
                }
            };
            let (code, lean) = leaned(source.clone());
            assert_eq!(lean, Lean::default(), "{path}");
            assert_eq!(code, prettyplease::unparse(&syn::parse2(source).unwrap()));
        }
    }

    #[test]
    fn leaves_a_url_whose_query_has_a_parameter_of_another_type() {
        let source = quote::quote! {
            async fn list<'a>(&'a self, name: &'a str, limit: Option<u32>) {
                let url = format!("{}/items", self.baseurl,);
                let mut request = self
                    .client
                    .get(url)
                    .query(&progenitor_client::QueryParam::new("name", &name))
                    .query(&progenitor_client::QueryParam::new("limit", &limit))
                    .build()?;
            }
        };
        let (code, lean) = leaned(source.clone());
        assert_eq!(lean, Lean::default());
        assert_eq!(code, prettyplease::unparse(&syn::parse2(source).unwrap()));
    }

    #[test]
    fn keeps_a_header_parameter_named_api_version() {
        let (code, lean) = leaned(quote::quote! {
            async fn get(&self, api_version: &str) {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(Self::api_version()),
                );
                header_map.append("api-version", api_version.to_string().try_into()?);
                let mut request = self.client.get(url).headers(header_map).build()?;
            }
        });
        assert_eq!(
            (lean.api_version_headers, lean.header_maps),
            (1, 0),
            "{code}"
        );
        assert!(code.contains("api_version.to_string()"), "{code}");
    }

    #[test]
    fn writes_the_edition_keyword_gen_as_a_raw_identifier() {
        // As typify writes its `JsonSchema` impls (the `schemars` feature).
        let (code, lean) = leaned(quote::quote! {
            fn json_schema(gen: &mut ::schemars::gen::SchemaGenerator) -> Schema {
                <i64 as ::schemars::JsonSchema>::json_schema(gen)
            }
        });
        assert_eq!(lean.raw_identifiers, 3, "{code}");
        assert!(!code.contains(" gen:") && code.contains("r#gen"), "{code}");
    }

    #[test]
    fn leaves_what_it_does_not_recognise() {
        let source = quote::quote! {
            fn f() {
                let mut header_map = HeaderMap::new();
                header_map.append("x-other", value);
                send(header_map);
            }
        };
        let (code, lean) = leaned(source.clone());
        assert_eq!(lean, Lean::default());
        assert_eq!(code, prettyplease::unparse(&syn::parse2(source).unwrap()));
    }
}
