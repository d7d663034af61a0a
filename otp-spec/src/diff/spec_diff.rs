//! The spec's changes, classified for a caller of the generated Rust client.
//!
//! The rules follow what progenitor generates: every parameter is a positional argument
//! (so any parameter added or removed changes the method), request bodies are structs that
//! callers build with literal syntax (so any field added breaks them), response structs
//! are only read (so a field added is harmless), and the spec's enums are extensible
//! (`Unknown(String)`, `#[non_exhaustive]`), so a value added is harmless too.

use crate::resolve;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use openapiv3::{
    OpenAPI, Operation, Parameter, ReferenceOr, RequestBody, Response, Schema, SchemaKind,
    StatusCode, Type,
};

use super::Change;

/// Which way a schema travels, which decides what breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

struct Ctx<'a> {
    old: &'a OpenAPI,
    new: &'a OpenAPI,
    changes: Vec<Change>,
}

impl Ctx<'_> {
    fn push(&mut self, scope: &str, breaking: bool, what: String, reason: &str) {
        let change = Change {
            scope: scope.to_string(),
            breaking,
            what,
            reason: reason.to_string(),
        };
        if !self.changes.contains(&change) {
            self.changes.push(change);
        }
    }
}

pub fn diff(old: &OpenAPI, new: &OpenAPI) -> Vec<Change> {
    let mut ctx = Ctx {
        old,
        new,
        changes: Vec::new(),
    };
    let old_ops = operations(old);
    let new_ops = operations(new);
    for (id, (method, path, _)) in &old_ops {
        if !new_ops.contains_key(id) {
            ctx.push(
                id,
                true,
                format!("operation removed ({method} {path})"),
                "the method disappears from both clients",
            );
        }
    }
    for (id, (method, path, new_op)) in &new_ops {
        let Some((old_method, old_path, old_op)) = old_ops.get(id) else {
            ctx.push(
                id,
                false,
                format!("operation added ({method} {path})"),
                "a new method on both clients",
            );
            continue;
        };
        if old_method != method || old_path != path {
            ctx.push(
                id,
                true,
                format!("endpoint changed: {old_method} {old_path} → {method} {path}"),
                "clients generated before call an endpoint that is gone",
            );
        }
        diff_parameters(&mut ctx, id, old_op, new_op);
        diff_request_body(&mut ctx, id, old_op, new_op);
        diff_responses(&mut ctx, id, old_op, new_op);
    }
    diff_servers(&mut ctx);
    diff_security(&mut ctx);
    ctx.changes
}

type Ops<'a> = BTreeMap<String, (String, String, &'a Operation)>;

fn operations(spec: &OpenAPI) -> Ops<'_> {
    spec.operations()
        .map(|(path, method, op)| {
            let id = op
                .operation_id
                .clone()
                .unwrap_or_else(|| format!("{method} {path}"));
            (id, (method.to_uppercase(), path.to_string(), op))
        })
        .collect()
}

fn parameter<'a>(p: &'a ReferenceOr<Parameter>, spec: &'a OpenAPI) -> Option<&'a Parameter> {
    resolve(p, "#/components/parameters/", |c| &c.parameters, spec)
}

fn location(p: &Parameter) -> &'static str {
    match p {
        Parameter::Query { .. } => "query",
        Parameter::Path { .. } => "path",
        Parameter::Header { .. } => "header",
        Parameter::Cookie { .. } => "cookie",
    }
}

fn param_schema(p: &Parameter) -> Option<&ReferenceOr<Schema>> {
    match &p.parameter_data_ref().format {
        openapiv3::ParameterSchemaOrContent::Schema(s) => Some(s),
        openapiv3::ParameterSchemaOrContent::Content(_) => None,
    }
}

fn diff_parameters(ctx: &mut Ctx, id: &str, old: &Operation, new: &Operation) {
    let index = |op: &Operation, spec| -> BTreeMap<String, Parameter> {
        op.parameters
            .iter()
            .filter_map(|p| parameter(p, spec))
            .map(|p| (p.parameter_data_ref().name.clone(), p.clone()))
            .collect()
    };
    let old_params = index(old, ctx.old);
    let new_params = index(new, ctx.new);
    for (name, p) in &old_params {
        if !new_params.contains_key(name) {
            let what = format!("{} parameter `{name}` removed", location(p));
            ctx.push(id, true, what, "the method loses an argument");
        }
    }
    for (name, p) in &new_params {
        let data = p.parameter_data_ref();
        let Some(old_p) = old_params.get(name) else {
            let (what, reason) = if data.required {
                (
                    format!("required {} parameter `{name}` added", location(p)),
                    "callers must pass a new argument",
                )
            } else {
                (
                    format!("optional {} parameter `{name}` added", location(p)),
                    "methods are positional: even an optional parameter is a new argument (`None` where unused)",
                )
            };
            ctx.push(id, true, what, reason);
            continue;
        };
        let old_data = old_p.parameter_data_ref();
        if location(old_p) != location(p) {
            let what = format!(
                "parameter `{name}` moved from {} to {}",
                location(old_p),
                location(p)
            );
            ctx.push(
                id,
                true,
                what,
                "the request changes shape; the argument may change type",
            );
        }
        if old_data.required != data.required {
            let what = format!(
                "parameter `{name}` is now {}",
                if data.required {
                    "required"
                } else {
                    "optional"
                }
            );
            ctx.push(
                id,
                true,
                what,
                "the argument's type changes between `T` and `Option<T>`",
            );
        }
        let (old_type, new_type) = (
            param_schema(old_p).map(|s| type_label(s, ctx.old)),
            param_schema(p).map(|s| type_label(s, ctx.new)),
        );
        if old_type != new_type {
            let what = format!(
                "parameter `{name}` type {} → {}",
                old_type.unwrap_or_default(),
                new_type.unwrap_or_default()
            );
            ctx.push(id, true, what, "the argument's Rust type changes");
        }
    }
}

fn body_schema<'a>(op: &'a Operation, spec: &'a OpenAPI) -> Option<&'a ReferenceOr<Schema>> {
    let body: &RequestBody = resolve(
        op.request_body.as_ref()?,
        "#/components/requestBodies/",
        |c| &c.request_bodies,
        spec,
    )?;
    body.content.get("application/json")?.schema.as_ref()
}

fn diff_request_body(ctx: &mut Ctx, id: &str, old: &Operation, new: &Operation) {
    match (body_schema(old, ctx.old), body_schema(new, ctx.new)) {
        (None, None) => {}
        (Some(_), None) => ctx.push(
            id,
            true,
            "request body removed".into(),
            "the method loses its body argument",
        ),
        (None, Some(_)) => ctx.push(
            id,
            true,
            "request body added".into(),
            "the method gains a body argument",
        ),
        (Some(o), Some(n)) => {
            let mut seen = HashSet::new();
            diff_schema(ctx, id, "request body", o, n, Dir::Request, &mut seen);
        }
    }
}

fn response<'a>(r: &'a ReferenceOr<Response>, spec: &'a OpenAPI) -> Option<&'a Response> {
    resolve(r, "#/components/responses/", |c| &c.responses, spec)
}

fn status_label(code: &StatusCode) -> String {
    code.to_string()
}

fn examples(r: Option<&Response>) -> BTreeSet<String> {
    r.and_then(|r| r.content.get("application/json"))
        .map(|m| m.examples.keys().cloned().collect())
        .unwrap_or_default()
}

fn diff_responses(ctx: &mut Ctx, id: &str, old: &Operation, new: &Operation) {
    let old_codes: BTreeMap<String, &ReferenceOr<Response>> = old
        .responses
        .responses
        .iter()
        .map(|(c, r)| (status_label(c), r))
        .collect();
    let new_codes: BTreeMap<String, &ReferenceOr<Response>> = new
        .responses
        .responses
        .iter()
        .map(|(c, r)| (status_label(c), r))
        .collect();
    let is_success = |code: &str| code.starts_with('2');
    for (code, r) in &old_codes {
        if !new_codes.contains_key(code) {
            if is_success(code) {
                ctx.push(
                    id,
                    true,
                    format!("success status {code} removed"),
                    "the method's return type changes",
                );
            } else {
                let kinds = examples(response(r, ctx.old));
                let what = format!("error status {code} removed{}", list(" (", &kinds, ")"));
                ctx.push(
                    id,
                    false,
                    what,
                    "errors arrive as `Error`; an undeclared status still decodes its error body",
                );
            }
        }
    }
    for (code, r) in &new_codes {
        let new_resp = response(r, ctx.new);
        let Some(old_r) = old_codes.get(code) else {
            if is_success(code) {
                ctx.push(
                    id,
                    true,
                    format!("success status {code} added"),
                    "the method's return type may change",
                );
            } else {
                let kinds = examples(new_resp);
                let what = format!("error status {code} added{}", list(" (", &kinds, ")"));
                ctx.push(
                    id,
                    false,
                    what,
                    "errors arrive as `Error`; its `ExceptionType` keeps unknown kinds",
                );
            }
            continue;
        };
        let old_resp = response(old_r, ctx.old);
        let (old_kinds, new_kinds) = (examples(old_resp), examples(new_resp));
        for kind in new_kinds.difference(&old_kinds) {
            ctx.push(
                id,
                false,
                format!("{code}: exception type {kind} added"),
                "a new `ExceptionType` kind; the enum is non-exhaustive",
            );
        }
        for kind in old_kinds.difference(&new_kinds) {
            ctx.push(
                id,
                false,
                format!("{code}: exception type {kind} removed"),
                "the call no longer answers it; matching on it still compiles",
            );
        }
        let schema = |r: Option<&Response>| {
            r.and_then(|r| r.content.get("application/json"))
                .and_then(|m| m.schema.clone())
        };
        match (schema(old_resp), schema(new_resp)) {
            (Some(o), Some(n)) => {
                let mut seen = HashSet::new();
                diff_schema(
                    ctx,
                    id,
                    &format!("response {code}"),
                    &o,
                    &n,
                    Dir::Response,
                    &mut seen,
                );
            }
            (None, Some(_)) | (Some(_), None) if is_success(code) => {
                ctx.push(
                    id,
                    true,
                    format!("response {code} body added or removed"),
                    "the method's return type changes",
                );
            }
            _ => {}
        }
    }
}

fn list(open: &str, items: &BTreeSet<String>, close: &str) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(
            "{open}{}{close}",
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

fn schema<'a>(s: &'a ReferenceOr<Schema>, spec: &'a OpenAPI) -> Option<&'a Schema> {
    resolve(s, "#/components/schemas/", |c| &c.schemas, spec)
}

fn ref_name(s: &ReferenceOr<Schema>) -> Option<&str> {
    match s {
        ReferenceOr::Reference { reference } => reference.rsplit('/').next(),
        ReferenceOr::Item(_) => None,
    }
}

/// A short label of a schema's type: `string(uuid)`, `integer`, `object`, `array<string>`.
fn type_label(s: &ReferenceOr<Schema>, spec: &OpenAPI) -> String {
    let Some(schema) = schema(s, spec) else {
        return "?".into();
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(t)) => format!("string{}", fmt(&t.format)),
        SchemaKind::Type(Type::Integer(t)) => format!("integer{}", fmt(&t.format)),
        SchemaKind::Type(Type::Number(t)) => format!("number{}", fmt(&t.format)),
        SchemaKind::Type(Type::Boolean(_)) => "boolean".into(),
        SchemaKind::Type(Type::Object(_)) => "object".into(),
        SchemaKind::Type(Type::Array(a)) => {
            let item = a
                .items
                .as_ref()
                .map(|i| type_label(&i.clone().unbox(), spec))
                .unwrap_or_default();
            format!("array<{item}>")
        }
        _ => "composite".into(),
    }
}

fn fmt<T: std::fmt::Debug>(f: &openapiv3::VariantOrUnknownOrEmpty<T>) -> String {
    match f {
        openapiv3::VariantOrUnknownOrEmpty::Item(i) => {
            format!("({})", format!("{i:?}").to_lowercase())
        }
        openapiv3::VariantOrUnknownOrEmpty::Unknown(u) => format!("({u})"),
        openapiv3::VariantOrUnknownOrEmpty::Empty => String::new(),
    }
}

fn diff_schema(
    ctx: &mut Ctx,
    scope: &str,
    at: &str,
    old: &ReferenceOr<Schema>,
    new: &ReferenceOr<Schema>,
    dir: Dir,
    seen: &mut HashSet<(String, String)>,
) {
    // Follow `$ref`s, once per pair, so recursive schemas end.
    let key = (
        format!("{:?}", ref_name(old)),
        format!("{at}{:?}", ref_name(new)),
    );
    if ref_name(old).is_some() && !seen.insert(key) {
        return;
    }
    let (Some(o), Some(n)) = (schema(old, ctx.old), schema(new, ctx.new)) else {
        return;
    };
    let (old_type, new_type) = (type_label(old, ctx.old), type_label(new, ctx.new));
    if old_type != new_type {
        ctx.push(
            scope,
            true,
            format!("{at}: type {old_type} → {new_type}"),
            "the field's Rust type changes",
        );
        return;
    }
    match (&o.schema_kind, &n.schema_kind) {
        (SchemaKind::Type(Type::Object(oo)), SchemaKind::Type(Type::Object(no))) => {
            for (name, field) in &oo.properties {
                if !no.properties.contains_key(name) {
                    let reason = match dir {
                        Dir::Request => "callers setting it no longer compile",
                        Dir::Response => "callers reading it no longer compile",
                    };
                    // A field of the same type that appears at the same time is likely its new name.
                    let label = type_label(&field.clone().unbox(), ctx.old);
                    let renamed = no.properties.iter().find(|(n, f)| {
                        !oo.properties.contains_key(*n)
                            && type_label(&(*f).clone().unbox(), ctx.new) == label
                    });
                    let what = match renamed {
                        Some((new_name, _)) => {
                            format!("{at}: field `{name}` removed (renamed to `{new_name}`?)")
                        }
                        None => format!("{at}: field `{name}` removed"),
                    };
                    ctx.push(scope, true, what, reason);
                }
            }
            for (name, new_field) in &no.properties {
                let required = no.required.contains(name);
                let Some(old_field) = oo.properties.get(name) else {
                    let (breaking, reason) = match dir {
                        Dir::Request => (
                            true,
                            "the request struct gains a field: struct literals must set it",
                        ),
                        Dir::Response => (
                            false,
                            "the response struct gains a field; callers only read it",
                        ),
                    };
                    let what = format!(
                        "{at}: {} field `{name}` added",
                        if required { "required" } else { "optional" }
                    );
                    ctx.push(scope, breaking, what, reason);
                    continue;
                };
                if oo.required.contains(name) != required {
                    let what = format!(
                        "{at}: field `{name}` is now {}",
                        if required { "required" } else { "optional" }
                    );
                    ctx.push(
                        scope,
                        true,
                        what,
                        "the field's type changes between `T` and `Option<T>`",
                    );
                }
                diff_schema(
                    ctx,
                    scope,
                    &format!("{at}.{name}"),
                    &old_field.clone().unbox(),
                    &new_field.clone().unbox(),
                    dir,
                    seen,
                );
            }
        }
        (SchemaKind::Type(Type::String(os)), SchemaKind::Type(Type::String(ns))) => {
            let values = |s: &openapiv3::StringType| {
                s.enumeration
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<BTreeSet<_>>()
            };
            let (ov, nv) = (values(os), values(ns));
            let extensible = n
                .schema_data
                .extensions
                .get(crate::EXTENSIBLE_ENUM_EXTENSION)
                .and_then(|v| v.as_bool())
                == Some(true);
            for v in nv.difference(&ov) {
                let (breaking, reason) = if extensible {
                    (
                        false,
                        "the enum is extensible and non-exhaustive: the value decoded as `Unknown` before, as a variant now",
                    )
                } else {
                    (
                        true,
                        "a closed enum gains a variant: exhaustive matches break",
                    )
                };
                ctx.push(
                    scope,
                    breaking,
                    format!("{at}: enum value `{v}` added"),
                    reason,
                );
            }
            for v in ov.difference(&nv) {
                ctx.push(
                    scope,
                    true,
                    format!("{at}: enum value `{v}` removed"),
                    "the variant disappears",
                );
            }
        }
        (SchemaKind::Type(Type::Array(oa)), SchemaKind::Type(Type::Array(na))) => {
            if let (Some(oi), Some(ni)) = (&oa.items, &na.items) {
                diff_schema(
                    ctx,
                    scope,
                    &format!("{at}[]"),
                    &oi.clone().unbox(),
                    &ni.clone().unbox(),
                    dir,
                    seen,
                );
            }
        }
        _ => {}
    }
}

fn diff_servers(ctx: &mut Ctx) {
    let urls = |s: &OpenAPI| -> BTreeMap<String, String> {
        s.servers
            .iter()
            .map(|s| {
                (
                    s.description.clone().unwrap_or_else(|| s.url.clone()),
                    s.url.clone(),
                )
            })
            .collect()
    };
    let (old, new) = (urls(ctx.old), urls(ctx.new));
    for (name, url) in &old {
        match new.get(name) {
            None => ctx.push(
                "servers",
                true,
                format!("server `{name}` ({url}) removed"),
                "its `Environment` no longer resolves",
            ),
            Some(new_url) if new_url != url => ctx.push(
                "servers",
                true,
                format!("server `{name}`: {url} → {new_url}"),
                "clients built before talk to the old address",
            ),
            _ => {}
        }
    }
    for (name, url) in &new {
        if !old.contains_key(name) {
            ctx.push(
                "servers",
                false,
                format!("server `{name}` ({url}) added"),
                "a new address to choose",
            );
        }
    }
}

fn diff_security(ctx: &mut Ctx) {
    let schemes = |s: &OpenAPI| -> BTreeMap<String, String> {
        s.components
            .as_ref()
            .map(|c| {
                c.security_schemes
                    .iter()
                    .map(|(n, s)| (n.clone(), format!("{s:?}")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (schemes(ctx.old), schemes(ctx.new));
    for name in old.keys().chain(new.keys()).collect::<BTreeSet<_>>() {
        match (old.get(name), new.get(name)) {
            (Some(_), None) => ctx.push(
                "security",
                true,
                format!("security scheme `{name}` removed"),
                "the client's authentication no longer matches",
            ),
            (None, Some(_)) => ctx.push(
                "security",
                true,
                format!("security scheme `{name}` added"),
                "the service may expect credentials the client does not send",
            ),
            (Some(o), Some(n)) if o != n => ctx.push(
                "security",
                true,
                format!("security scheme `{name}` changed"),
                "the client's authentication no longer matches",
            ),
            _ => {}
        }
    }
    if format!("{:?}", ctx.old.security) != format!("{:?}", ctx.new.security) {
        ctx.push(
            "security",
            true,
            "global security requirement changed".into(),
            "the client's authentication no longer matches",
        );
    }
}
