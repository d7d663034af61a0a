//! Which operations reach each schema under `components/schemas`, and which way: a change
//! of a shared schema is one change, listing every operation whose request or response
//! reaches it, and its wire severity depends on whether a request, a response or both
//! carry it.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, Operation, ReferenceOr, Schema, SchemaKind, Type};

use super::rust_type::{ref_name, schema, unboxed};
use crate::resolve;

/// Where a schema travels: the operations, and whether in a request (a parameter or a
/// body) or a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Uses {
    /// The operations, in the spec's order (the new spec's first).
    pub operations: Vec<String>,
    /// A client sends it.
    pub request: bool,
    /// The service sends it.
    pub response: bool,
}

impl Uses {
    /// One operation's use, one way.
    pub(super) fn of(op: &str, request: bool) -> Self {
        Self {
            operations: vec![op.to_string()],
            request,
            response: !request,
        }
    }

    fn add(&mut self, other: &Uses) {
        for op in &other.operations {
            if !self.operations.contains(op) {
                self.operations.push(op.clone());
            }
        }
        self.request |= other.request;
        self.response |= other.response;
    }
}

/// Schema name → its uses, in both specs together.
pub(super) fn reach(old: &OpenAPI, new: &OpenAPI) -> BTreeMap<String, Uses> {
    let mut uses = BTreeMap::new();
    for spec in [new, old] {
        for (_, _, op) in spec.operations() {
            let id = op.operation_id.clone().unwrap_or_default();
            for (root, request) in roots(op, spec) {
                let mut names = BTreeSet::new();
                collect(root, spec, &mut names);
                for name in names {
                    uses.entry(name)
                        .or_insert_with(Uses::default)
                        .add(&Uses::of(&id, request));
                }
            }
        }
    }
    uses
}

/// The schemas an operation starts from: (schema, whether a request carries it).
fn roots<'a>(op: &'a Operation, spec: &'a OpenAPI) -> Vec<(&'a ReferenceOr<Schema>, bool)> {
    let mut roots = Vec::new();
    for p in &op.parameters {
        let Some(p) = resolve(p, "#/components/parameters/", |c| &c.parameters, spec) else {
            continue;
        };
        if let openapiv3::ParameterSchemaOrContent::Schema(s) = &p.parameter_data_ref().format {
            roots.push((s, true));
        }
    }
    let body = op.request_body.as_ref().and_then(|b| {
        resolve(
            b,
            "#/components/requestBodies/",
            |c| &c.request_bodies,
            spec,
        )
    });
    for media in body.iter().flat_map(|b| b.content.values()) {
        roots.extend(media.schema.as_ref().map(|s| (s, true)));
    }
    for r in op.responses.responses.values() {
        let Some(r) = resolve(r, "#/components/responses/", |c| &c.responses, spec) else {
            continue;
        };
        for media in r.content.values() {
            roots.extend(media.schema.as_ref().map(|s| (s, false)));
        }
    }
    roots
}

/// Every component schema `s` reaches, itself included, once each.
fn collect(s: &ReferenceOr<Schema>, spec: &OpenAPI, names: &mut BTreeSet<String>) {
    if let Some(name) = ref_name(s)
        && !names.insert(name.to_string())
    {
        return;
    }
    let Some(schema) = schema(s, spec) else {
        return;
    };
    let boxed = |s: &ReferenceOr<Box<Schema>>, names: &mut BTreeSet<String>| {
        collect(&unboxed(s), spec, names)
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            o.properties.values().for_each(|p| boxed(p, names));
            if let Some(openapiv3::AdditionalProperties::Schema(s)) = &o.additional_properties {
                collect(s, spec, names);
            }
        }
        SchemaKind::Type(Type::Array(a)) => a.items.iter().for_each(|i| boxed(i, names)),
        SchemaKind::OneOf { one_of: all }
        | SchemaKind::AllOf { all_of: all }
        | SchemaKind::AnyOf { any_of: all } => all.iter().for_each(|s| collect(s, spec, names)),
        SchemaKind::Not { not } => collect(not, spec, names),
        SchemaKind::Any(a) => {
            a.properties.values().for_each(|p| boxed(p, names));
            a.items.iter().for_each(|i| boxed(i, names));
            for s in a.one_of.iter().chain(&a.all_of).chain(&a.any_of) {
                collect(s, spec, names);
            }
        }
        SchemaKind::Type(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_reached_through_another_lists_each_operation_and_way() {
        let spec: OpenAPI = serde_norway::from_str(
            r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /a:
    post:
      operationId: a
      requestBody: { content: { application/json: { schema: { $ref: "#/components/schemas/Outer" } } } }
      responses: { "204": { description: none } }
  /b:
    get:
      operationId: b
      responses:
        "200": { description: ok, content: { application/json: { schema: { type: array, items: { $ref: "#/components/schemas/Inner" } } } } }
components:
  schemas:
    Outer: { type: object, properties: { inner: { $ref: "#/components/schemas/Inner" } } }
    Inner: { type: string, enum: [x] }
"##,
        )
        .unwrap();
        let uses = reach(&spec, &spec);
        assert_eq!(
            uses["Inner"],
            Uses {
                operations: vec!["a".into(), "b".into()],
                request: true,
                response: true
            }
        );
        assert_eq!(uses["Outer"], Uses::of("a", true));
    }
}
