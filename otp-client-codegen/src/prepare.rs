//! What the codegen changes in the spec before progenitor reads it, each for a reason that
//! holds for any spec (a user's `OTP_HANDLER_SPEC` too). The spec itself stays as written:
//! contract tools and the sandbox read it unchanged.

use openapiv3::{OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, Type};

/// `openapi` ready for progenitor:
/// - each optional property that typify would make a plain map or list (an object without
///   properties, an array) is `nullable`, so that it is an `Option` and a `null` from the
///   service decodes as absent, as for every other optional property (already an `Option`);
/// - a string's `minLength: 1` is dropped: typify would make the string a newtype checked on
///   construction, where the client already refuses an empty or blank required string or
///   parameter before sending (`InvalidArgument`), and the API's types stay `String`/`&str`.
pub(crate) fn prepared(mut openapi: OpenAPI) -> OpenAPI {
    let Some(components) = openapi.components.as_mut() else {
        return openapi;
    };
    for schema in components.schemas.values_mut() {
        if let ReferenceOr::Item(schema) = schema {
            prepare_schema(schema);
        }
    }
    for parameter in components.parameters.values_mut() {
        if let ReferenceOr::Item(parameter) = parameter {
            prepare_parameter(parameter);
        }
    }
    for path in openapi.paths.paths.values_mut() {
        let ReferenceOr::Item(path) = path else {
            continue;
        };
        let operations = [
            &mut path.get,
            &mut path.put,
            &mut path.post,
            &mut path.delete,
            &mut path.options,
            &mut path.head,
            &mut path.patch,
            &mut path.trace,
        ];
        let operations = operations.into_iter().filter_map(|op| op.as_mut());
        for parameter in operations.flat_map(|op| op.parameters.iter_mut()) {
            if let ReferenceOr::Item(parameter) = parameter {
                prepare_parameter(parameter);
            }
        }
    }
    openapi
}

fn prepare_parameter(parameter: &mut Parameter) {
    let data = match parameter {
        Parameter::Query { parameter_data, .. }
        | Parameter::Header { parameter_data, .. }
        | Parameter::Path { parameter_data, .. }
        | Parameter::Cookie { parameter_data, .. } => parameter_data,
    };
    if let openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &mut data.format
    {
        drop_non_empty(schema);
    }
}

fn prepare_schema(schema: &mut Schema) {
    drop_non_empty(schema);
    let SchemaKind::Type(Type::Object(object)) = &mut schema.schema_kind else {
        return;
    };
    for (name, property) in object.properties.iter_mut() {
        let ReferenceOr::Item(property) = property else {
            continue;
        };
        drop_non_empty(property);
        if object.required.contains(name) {
            continue;
        }
        let container = match &property.schema_kind {
            SchemaKind::Type(Type::Object(o)) => o.properties.is_empty(),
            SchemaKind::Type(Type::Array(_)) => true,
            _ => false,
        };
        if container {
            property.schema_data.nullable = true;
        }
    }
}

/// Drops a string's `minLength` of 1 (see [`prepared`]).
fn drop_non_empty(schema: &mut Schema) {
    if let SchemaKind::Type(Type::String(string)) = &mut schema.schema_kind
        && string.min_length == Some(1)
    {
        string.min_length = None;
    }
}
