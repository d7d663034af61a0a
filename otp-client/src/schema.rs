//! What the generated code's `JsonSchema` impls share (the `schemars` feature).

use schemars::schema::{InstanceType, Schema, SchemaObject};

/// The schema of an extensible enum as the spec describes it: a string, one of the `known`
/// values, with its `description`, marked with the `extension` (`x-extensible-enum`).
pub(crate) fn extensible_enum(known: &[&str], description: &str, extension: &str) -> Schema {
    let mut schema = SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        enum_values: Some(known.iter().map(|v| serde_json::Value::from(*v)).collect()),
        ..Default::default()
    };
    schema.metadata().description = Some(description.into());
    schema
        .extensions
        .insert(extension.into(), serde_json::Value::Bool(true));
    schema.into()
}
