//! Operations compared: added, removed, moved; then, for each operation on both sides, its
//! overlay marks, parameters, request body and responses. Each operation is a method
//! `op(required…)` and `op_with(required…, &OpOptions)` of both clients, whose optional
//! parameters are fields of `OpOptions` (`#[non_exhaustive]`, `new()` and setters).

use std::collections::HashSet;

use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema};

use super::changes::Changes;
use super::reach::Uses;
use super::schemas::{Pair, Site, diff_schema};
use super::{Impact, marks, responses};
use crate::{Spec, WidgetExposure, resolve};

/// An operation: its id, `METHOD /path`, and the operation.
type Op<'a> = (String, String, &'a Operation);

fn operations(spec: &OpenAPI) -> Vec<Op<'_>> {
    spec.operations()
        .map(|(path, method, op)| {
            let id = op.operation_id.clone().unwrap_or_default();
            (id, format!("{} {path}", method.to_uppercase()), op)
        })
        .collect()
}

/// Every operation's changes, in the new spec's order (removed ones first). An operation
/// whose id is gone while a new id has its endpoint is the same operation, renamed.
pub(super) fn diff(changes: &mut Changes, old: &Spec, new: &Spec) {
    let pair = Pair {
        old: old.openapi(),
        new: new.openapi(),
    };
    let (old_ops, new_ops) = (operations(pair.old), operations(pair.new));
    let (old_facts, new_facts) = (old.operations(), new.operations());
    let by_id = |ops: &[Op<'_>], id: &str| ops.iter().position(|(i, _, _)| i == id);
    // The old operation each new one continues: the same id, else the same endpoint under
    // an id that is gone.
    let partner = |id: &str, endpoint: &str| {
        by_id(&old_ops, id).or_else(|| {
            old_ops.iter().position(|(old_id, old_endpoint, _)| {
                old_endpoint == endpoint && by_id(&new_ops, old_id).is_none()
            })
        })
    };
    let partners: Vec<Option<usize>> = new_ops.iter().map(|(id, e, _)| partner(id, e)).collect();
    for (at, (id, endpoint, _)) in old_ops.iter().enumerate() {
        if partners.contains(&Some(at)) {
            continue;
        }
        let widget = old_facts
            .iter()
            .any(|f| f.id == *id && f.widget == Some(WidgetExposure::Browser));
        let wire = if widget {
            "the endpoint is gone, and the widget's route to it with it"
        } else {
            "the endpoint is gone"
        };
        changes.push(
            id,
            format!("operation removed ({endpoint})"),
            std::slice::from_ref(id),
            Impact::breaking(wire),
            Impact::breaking("the method (and its `_with` form and options) disappears"),
        );
    }
    for ((id, endpoint, op), partner) in new_ops.iter().zip(partners) {
        let new_fact = new_facts.iter().find(|f| f.id == *id);
        let Some(at) = partner else {
            changes.push(
                id,
                format!("operation added ({endpoint})"),
                std::slice::from_ref(id),
                Impact::compatible("a new endpoint"),
                Impact::compatible("a new method on both clients"),
            );
            marks::added(changes, id, new_fact);
            continue;
        };
        let (old_id, old_endpoint, old_op) = &old_ops[at];
        if old_id != id {
            changes.push(
                id,
                format!("operation renamed: {old_id} → {id} ({endpoint})"),
                &[old_id.clone(), id.clone()],
                Impact::compatible("the same endpoint"),
                Impact::breaking(format!(
                    "the method `{}` is now `{}` (and its `_with` form and options with it)",
                    old_id.to_snake_case(),
                    id.to_snake_case()
                )),
            );
        } else if old_endpoint != endpoint {
            changes.push(
                id,
                format!("endpoint changed: {old_endpoint} → {endpoint}"),
                std::slice::from_ref(id),
                Impact::breaking("an older client calls an endpoint that is gone"),
                Impact::compatible("the method keeps its name and arguments"),
            );
        }
        let old_fact = old_facts.iter().find(|f| f.id == *old_id);
        marks::diff(changes, id, old_fact, new_fact);
        parameters(changes, id, old_op, op, pair);
        request_body(changes, id, old_op, op, pair);
        responses::diff(changes, id, old_op, op, pair);
    }
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
        ParameterSchemaOrContent::Schema(s) => Some(s),
        ParameterSchemaOrContent::Content(_) => None,
    }
}

fn parameters(changes: &mut Changes, id: &str, old: &Operation, new: &Operation, pair: Pair) {
    let index = |op: &'_ Operation, spec| -> Vec<Parameter> {
        op.parameters
            .iter()
            .filter_map(|p| parameter(p, spec).cloned())
            .collect()
    };
    let (old_params, new_params) = (index(old, pair.old), index(new, pair.new));
    let named = |list: &[Parameter], name: &str| {
        list.iter()
            .find(|p| p.parameter_data_ref().name == name)
            .cloned()
    };
    let ops = [id.to_string()];
    let options = format!("{}Options", id.to_upper_camel_case());
    for p in &old_params {
        let name = &p.parameter_data_ref().name;
        if named(&new_params, name).is_none() {
            changes.push(
                id,
                format!("{} parameter `{name}` removed", location(p)),
                &ops,
                Impact::breaking("an older client sends a parameter the service no longer reads"),
                Impact::breaking("the method loses an argument, or the options a field"),
            );
        }
    }
    for p in &new_params {
        let data = p.parameter_data_ref();
        let name = &data.name;
        let Some(old_p) = named(&old_params, name) else {
            let (kind, wire, rust) = if data.required {
                (
                    "required",
                    Impact::breaking("an older client does not send it"),
                    Impact::breaking("the method and its `_with` form gain an argument"),
                )
            } else {
                (
                    "optional",
                    Impact::compatible("an older client leaves it out, as it may"),
                    Impact::compatible(format!(
                        "a field and setter of `{options}`; the methods are unchanged"
                    )),
                )
            };
            let what = format!("{kind} {} parameter `{name}` added", location(p));
            changes.push(id, what, &ops, wire, rust);
            continue;
        };
        let old_data = old_p.parameter_data_ref();
        if location(&old_p) != location(p) {
            changes.push(
                id,
                format!(
                    "parameter `{name}` moved from {} to {}",
                    location(&old_p),
                    location(p)
                ),
                &ops,
                Impact::breaking("an older client sends it where the service no longer reads it"),
                Impact::compatible("the argument keeps its name and type"),
            );
        }
        if old_data.required != data.required {
            let (now, wire, rust) = if data.required {
                (
                    "required",
                    Impact::breaking("an older client may leave it out"),
                    Impact::breaking(format!(
                        "it moves from `{options}` to an argument of the methods"
                    )),
                )
            } else {
                (
                    "optional",
                    Impact::compatible("the service takes it missing"),
                    Impact::breaking(format!(
                        "the methods lose a positional argument: it moves to `{options}`"
                    )),
                )
            };
            let what = format!("parameter `{name}` is now {now}");
            changes.push(id, what, &ops, wire, rust);
        }
        if let (Some(o), Some(n)) = (param_schema(&old_p), param_schema(p)) {
            let uses = Uses::of(id, true);
            let prefix = format!("parameter `{name}`: ");
            let site = Site {
                subject: id,
                uses: &uses,
                prefix: &prefix,
                component: false,
            };
            diff_schema(changes, &site, "", o, n, pair, &mut HashSet::new());
        }
    }
}

fn body_schema<'a>(
    op: &'a Operation,
    spec: &'a OpenAPI,
) -> Option<(bool, &'a ReferenceOr<Schema>)> {
    let body = resolve(
        op.request_body.as_ref()?,
        "#/components/requestBodies/",
        |c| &c.request_bodies,
        spec,
    )?;
    let schema = body.content.get("application/json")?.schema.as_ref()?;
    Some((body.required, schema))
}

fn request_body(changes: &mut Changes, id: &str, old: &Operation, new: &Operation, pair: Pair) {
    let ops = [id.to_string()];
    match (body_schema(old, pair.old), body_schema(new, pair.new)) {
        (None, None) => {}
        (Some(_), None) => changes.push(
            id,
            "request body removed",
            &ops,
            Impact::breaking("an older client sends a body the service no longer reads"),
            Impact::breaking("the methods lose their body argument"),
        ),
        (None, Some((required, _))) => changes.push(
            id,
            "request body added",
            &ops,
            Impact::either(
                required,
                "an older client sends no body",
                "an older client sends none, as it may",
            ),
            Impact::breaking("the methods gain a body argument"),
        ),
        (Some((old_required, o)), Some((required, n))) => {
            if required && !old_required {
                changes.push(
                    id,
                    "request body is now required",
                    &ops,
                    Impact::breaking("an older client may send none"),
                    Impact::compatible("the methods already take a body"),
                );
            }
            let uses = Uses::of(id, true);
            let site = Site {
                subject: id,
                uses: &uses,
                prefix: "request body: ",
                component: false,
            };
            diff_schema(changes, &site, "", o, n, pair, &mut HashSet::new());
        }
    }
}
