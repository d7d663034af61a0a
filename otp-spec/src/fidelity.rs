//! Whether the generated types still mean what the spec says: each component schema of the
//! spec beside the JSON Schema its Rust type gives of itself (`otp_client::schemas`, with the
//! client's `schemars` feature), compared by what a document must be to match: the same
//! properties, the same required set, and for each value its type, its format where the spec
//! gives one, its enum values, whether it may be null and whether an object is closed.
//!
//! Where the types differ from the spec on purpose, the difference is one entry of
//! [`DELIBERATE`], and it is the only difference the comparison lets pass.
//!
//! ```no_run
//! # fn check(
//! #     generated: &[(&str, serde_json::Value)],
//! #     definitions: &serde_json::Map<String, serde_json::Value>,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! // `generated` and `definitions`: from `otp_client::schemas` and its generator.
//! let text = std::fs::read_to_string("otp-handler.yaml")?;
//! let spec = otp_spec::Spec::parse("otp-handler.yaml", &text)?;
//! let mismatches = otp_spec::fidelity::compare(&spec, generated, definitions);
//! assert!(mismatches.is_empty(), "{}", otp_spec::fidelity::report(&mismatches));
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use heck::ToUpperCamelCase;
use openapiv3::{AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

use crate::{EXTENSIBLE_ENUM_EXTENSION, Spec};

/// The differences between the spec and the generated types that are there on purpose, each
/// with its reason: the comparison lets these pass, and nothing else.
pub const DELIBERATE: &[(&str, &str)] = &[
    (
        "an optional property may also be null",
        "it is an `Option`, which reads a `null` as absent, as the service sends some",
    ),
    (
        "a number's format, where the spec gives none, is the Rust type's",
        "the spec leaves the width open; the Rust type must choose one (`i64`, `f64`)",
    ),
    (
        "a string enum of `components/schemas` also keeps values it does not list",
        "the generator makes every one open, marked `x-extensible-enum` or not: its Rust type \
         has an `Unknown(String)` variant; its schema lists the same values as the spec does, \
         marked extensible",
    ),
    (
        "a string format other than uuid, date, date-time, ip, ipv4 and ipv6 is a plain string",
        "typify has a Rust type for those six formats only (`TYPED_STRING_FORMATS`); a \
         `byte`, `binary` or `uri` value is a `String`, passed on as it came",
    ),
    (
        "an object that is one arm of a `oneOf` or `anyOf` is closed",
        "typify denies unknown fields in the arms of an untagged enum, so that it can tell \
         them apart: a document with a property no arm names is refused",
    ),
    (
        "an integer may be unsigned (`uint64` for `int64`); the check does not read the spec's `minimum`",
        "typify makes such an integer unsigned (or `NonZero`); the width is the spec's",
    ),
    (
        "lengths, patterns and bounds are not compared",
        "the client checks a required string's emptiness itself (the codegen drops \
         `minLength: 1`); the rest is the service's to enforce",
    ),
];

/// The string formats typify gives a Rust type of their own (`Uuid`, chrono's `NaiveDate`
/// and `DateTime<Utc>`, `IpAddr`, `Ipv4Addr`, `Ipv6Addr`), whose schemas carry the format.
pub const TYPED_STRING_FORMATS: &[&str] = &["uuid", "date", "date-time", "ip", "ipv4", "ipv6"];

/// One difference between a schema of the spec and its Rust type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where: the schema's name, then the property path (`ChannelSettings.lifetime`).
    pub at: String,
    /// What the spec says there.
    pub spec: String,
    /// What the Rust type's schema says there.
    pub rust: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the spec says {}, the Rust type {}",
            self.at, self.spec, self.rust
        )
    }
}

/// Every mismatch, one per line.
pub fn report(mismatches: &[Mismatch]) -> String {
    mismatches
        .iter()
        .map(|m| format!("{m}\n"))
        .collect::<String>()
}

/// Compares every component schema of `spec` with `generated`: (schema name, the JSON Schema
/// of its Rust type, with `$ref`s to other types by their names), `definitions` holding the
/// types those `$ref`s name that are not component schemas (a type typify made of an inline
/// schema). A schema of the spec with no generated type, or a generated type with no schema,
/// is a mismatch too.
pub fn compare(
    spec: &Spec,
    generated: &[(&str, Value)],
    definitions: &serde_json::Map<String, Value>,
) -> Vec<Mismatch> {
    let schemas = spec
        .openapi()
        .components
        .as_ref()
        .map(|c| &c.schemas)
        .cloned()
        .unwrap_or_default();
    let generated: BTreeMap<&str, &Value> = generated.iter().map(|(n, v)| (*n, v)).collect();
    let sides = Sides {
        spec: &schemas,
        definitions,
    };
    let mut out = Vec::new();
    for (name, schema) in &schemas {
        match generated.get(name.as_str()) {
            Some(rust) => {
                let mut expected = from_spec(borrowed(schema, |s| s));
                // The generator makes every string enum of `components/schemas` open.
                if let (
                    Shape::String {
                        values: Some(_),
                        extensible,
                        ..
                    },
                    _,
                ) = &mut expected
                {
                    *extensible = true;
                }
                let actual = from_json(rust);
                sides.diff(name, &expected, &actual, true, &mut out);
            }
            None => out.push(Mismatch {
                at: name.clone(),
                spec: "a schema".into(),
                rust: "has no type listed".into(),
            }),
        }
    }
    for name in generated.keys() {
        if !schemas.contains_key(*name) {
            out.push(Mismatch {
                at: (*name).to_string(),
                spec: "no such schema".into(),
                rust: "lists a type for it".into(),
            });
        }
    }
    out
}

/// What a schema requires of a document, as far as the comparison goes.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Ref(String),
    Object {
        properties: BTreeMap<String, (Shape, bool)>,
        required: BTreeSet<String>,
        closed: bool,
    },
    Array(Box<(Shape, bool)>),
    String {
        format: Option<String>,
        values: Option<BTreeSet<String>>,
        extensible: bool,
    },
    Integer(Option<String>),
    Number(Option<String>),
    Boolean,
    Any,
    Union(Vec<(Shape, bool)>),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Ref(name) => write!(f, "`{name}`"),
            Shape::Object { .. } => write!(f, "an object"),
            Shape::Array(_) => write!(f, "an array"),
            Shape::String { format, .. } => match format {
                Some(format) => write!(f, "a string ({format})"),
                None => write!(f, "a string"),
            },
            Shape::Integer(_) => write!(f, "an integer"),
            Shape::Number(_) => write!(f, "a number"),
            Shape::Boolean => write!(f, "a boolean"),
            Shape::Any => write!(f, "any value"),
            Shape::Union(_) => write!(f, "one of several schemas"),
        }
    }
}

/// `r`, borrowed through `f`.
fn borrowed<'a, T, U>(r: &'a ReferenceOr<T>, f: impl Fn(&'a T) -> &'a U) -> ReferenceOr<&'a U> {
    match r {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(item) => ReferenceOr::Item(f(item)),
    }
}

/// An object's shape from its `properties`, `required` and `additionalProperties`.
fn object_shape<'a>(
    properties: impl IntoIterator<Item = (&'a String, &'a ReferenceOr<Box<Schema>>)>,
    required: &[String],
    additional: &Option<AdditionalProperties>,
) -> Shape {
    Shape::Object {
        properties: properties
            .into_iter()
            .map(|(name, s)| (name.clone(), from_spec(borrowed(s, |b| &**b))))
            .collect(),
        required: required.iter().cloned().collect(),
        closed: matches!(additional, Some(AdditionalProperties::Any(false))),
    }
}

/// A spec schema's shape, and whether it may be null.
fn from_spec(schema: ReferenceOr<&Schema>) -> (Shape, bool) {
    let schema = match schema {
        ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next().unwrap_or(&reference);
            return (Shape::Ref(name.to_string()), false);
        }
        ReferenceOr::Item(schema) => schema,
    };
    let nullable = schema.schema_data.nullable;
    let boxed = |s: &ReferenceOr<Box<Schema>>| from_spec(borrowed(s, |b| &**b));
    let shape = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => {
            let values: BTreeSet<String> = s.enumeration.iter().flatten().cloned().collect();
            Shape::String {
                format: format_name(&s.format),
                values: (!values.is_empty()).then_some(values),
                extensible: schema
                    .schema_data
                    .extensions
                    .get(EXTENSIBLE_ENUM_EXTENSION)
                    .and_then(Value::as_bool)
                    == Some(true),
            }
        }
        SchemaKind::Type(Type::Integer(i)) => Shape::Integer(format_name(&i.format)),
        SchemaKind::Type(Type::Number(n)) => Shape::Number(format_name(&n.format)),
        SchemaKind::Type(Type::Boolean(_)) => Shape::Boolean,
        SchemaKind::Type(Type::Array(a)) => Shape::Array(Box::new(
            a.items.as_ref().map_or((Shape::Any, false), boxed),
        )),
        SchemaKind::Type(Type::Object(o)) => {
            object_shape(&o.properties, &o.required, &o.additional_properties)
        }
        SchemaKind::OneOf { one_of: all } | SchemaKind::AnyOf { any_of: all } => {
            Shape::Union(all.iter().map(|s| from_spec(borrowed(s, |s| s))).collect())
        }
        // `allOf: [one]` (a `$ref` with a description of its own) is that one.
        SchemaKind::AllOf { all_of } if all_of.len() == 1 => {
            let (shape, inner) = from_spec(borrowed(&all_of[0], |s| s));
            return (shape, nullable || inner);
        }
        // Properties without `type: object` describe an object all the same.
        SchemaKind::Any(any) if !any.properties.is_empty() => {
            object_shape(&any.properties, &any.required, &any.additional_properties)
        }
        _ => Shape::Any,
    };
    (shape, nullable)
}

/// An openapiv3 format as its name in the document (`date-time`, `int64`, `uuid`).
fn format_name<T: serde::Serialize>(
    format: &openapiv3::VariantOrUnknownOrEmpty<T>,
) -> Option<String> {
    match format {
        openapiv3::VariantOrUnknownOrEmpty::Item(f) => {
            serde_json::to_value(f).ok()?.as_str().map(String::from)
        }
        openapiv3::VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
    }
}

/// A generated JSON Schema's shape, and whether it may be null.
fn from_json(schema: &Value) -> (Shape, bool) {
    let Some(object) = schema.as_object() else {
        return (Shape::Any, false);
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return (Shape::Ref(name.to_string()), false);
    }
    // `allOf: [one]` (schemars's `$ref` with a description of its own) is that one.
    if let Some([only]) = object
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return from_json(only);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(all) = object.get(key).and_then(Value::as_array) {
            let null = |s: &Value| s.get("type").and_then(Value::as_str) == Some("null");
            let rest: Vec<&Value> = all.iter().filter(|s| !null(s)).collect();
            let nullable = rest.len() < all.len();
            if let [only] = rest[..] {
                let (shape, inner) = from_json(only);
                return (shape, nullable || inner);
            }
            let shapes = rest.into_iter().map(from_json).collect();
            return (Shape::Union(shapes), nullable);
        }
    }
    let types: Vec<&str> = match object.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let nullable = types.contains(&"null");
    let format = || {
        object
            .get("format")
            .and_then(Value::as_str)
            .map(String::from)
    };
    let shape = match types.iter().find(|t| **t != "null").copied() {
        Some("string") => {
            let values: Option<BTreeSet<String>> =
                object.get("enum").and_then(Value::as_array).map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                });
            Shape::String {
                format: format(),
                values,
                extensible: object
                    .get(EXTENSIBLE_ENUM_EXTENSION)
                    .and_then(Value::as_bool)
                    == Some(true),
            }
        }
        Some("integer") => Shape::Integer(format()),
        Some("number") => Shape::Number(format()),
        Some("boolean") => Shape::Boolean,
        Some("array") => Shape::Array(Box::new(
            object.get("items").map_or((Shape::Any, false), from_json),
        )),
        Some("object") => Shape::Object {
            properties: object
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
                .unwrap_or_default(),
            required: object
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            closed: object.get("additionalProperties") == Some(&Value::Bool(false)),
        },
        _ => Shape::Any,
    };
    (shape, nullable)
}

/// Where a `$ref` on either side leads: the spec's component schemas, and the definitions of
/// the types generated from inline schemas.
struct Sides<'a> {
    spec: &'a indexmap::IndexMap<String, ReferenceOr<Schema>>,
    definitions: &'a serde_json::Map<String, Value>,
}

impl Sides<'_> {
    /// Appends to `out` each difference between `spec` and `rust` at `at`. `required`: whether
    /// the value must be present (an optional one may also be null: [`DELIBERATE`]). A `$ref`
    /// on one side only is followed (typify names a type for an inline union; a spec may name
    /// what the Rust type inlines), once: `at` ends with `*` while it is, so that a chain of
    /// `$ref`s is not followed round a cycle.
    fn diff(
        &self,
        at: &str,
        spec: &(Shape, bool),
        rust: &(Shape, bool),
        required: bool,
        out: &mut Vec<Mismatch>,
    ) {
        match (&spec.0, &rust.0) {
            (Shape::Ref(_), Shape::Ref(_)) => {}
            (Shape::Ref(name), _) if !at.ends_with('*') => {
                if let Some(schema) = self.spec.get(name) {
                    let (shape, null) = from_spec(borrowed(schema, |s| s));
                    return self.diff(
                        &format!("{at}*"),
                        &(shape, null || spec.1),
                        rust,
                        required,
                        out,
                    );
                }
            }
            (_, Shape::Ref(name)) if !at.ends_with('*') => {
                if let Some(schema) = self.definitions.get(name) {
                    let (shape, null) = from_json(schema);
                    return self.diff(
                        &format!("{at}*"),
                        spec,
                        &(shape, null || rust.1),
                        required,
                        out,
                    );
                }
            }
            _ => {}
        }
        let at = at.trim_end_matches('*');
        let mut differ = |spec: String, rust: String| {
            out.push(Mismatch {
                at: at.to_string(),
                spec,
                rust,
            })
        };
        let ((expected, spec_null), (actual, rust_null)) = (spec, rust);
        if required && spec_null != rust_null {
            let says = |null: bool| if null { "may be null" } else { "is never null" };
            differ(says(*spec_null).into(), says(*rust_null).into());
        }
        match (expected, actual) {
            (
                Shape::Object {
                    properties: sp,
                    required: sr,
                    closed: sc,
                },
                Shape::Object {
                    properties: rp,
                    required: rr,
                    closed: rc,
                },
            ) => {
                if sr != rr {
                    differ(format!("required {sr:?}"), format!("required {rr:?}"));
                }
                // An arm of a union (`x|0`) may be closed: [`DELIBERATE`].
                let arm = at.rsplit('.').next().is_some_and(|last| last.contains('|'));
                if sc != rc && !(arm && *rc) {
                    let says = |closed: bool| {
                        if closed {
                            "closed"
                        } else {
                            "open to more properties"
                        }
                    };
                    differ(says(*sc).into(), says(*rc).into());
                }
                for (name, s) in sp {
                    let path = format!("{at}.{name}");
                    match rp.get(name) {
                        Some(r) => self.diff(&path, s, r, sr.contains(name), out),
                        None => out.push(Mismatch {
                            at: path,
                            spec: format!("{}", s.0),
                            rust: "has no such property".into(),
                        }),
                    }
                }
                for name in rp.keys().filter(|n| !sp.contains_key(*n)) {
                    out.push(Mismatch {
                        at: format!("{at}.{name}"),
                        spec: "no such property".into(),
                        rust: "has it".into(),
                    });
                }
            }
            (Shape::Array(s), Shape::Array(r)) => self.diff(&format!("{at}[]"), s, r, true, out),
            (
                Shape::String {
                    format: sf,
                    values: sv,
                    extensible: se,
                },
                Shape::String {
                    format: rf,
                    values: rv,
                    extensible: re,
                },
            ) => {
                let untyped = rf.is_none()
                    && sf
                        .as_deref()
                        .is_some_and(|f| !TYPED_STRING_FORMATS.contains(&f));
                if sf.is_some() && sf != rf && !untyped {
                    differ(format!("format {sf:?}"), format!("format {rf:?}"));
                }
                if sv != rv || se != re {
                    let says = |v: &Option<BTreeSet<String>>, e: bool| match v {
                        Some(v) if e => format!("one of {v:?}, or another (extensible)"),
                        Some(v) => format!("one of {v:?}"),
                        None => "any string".to_string(),
                    };
                    differ(says(sv, *se), says(rv, *re));
                }
            }
            (Shape::Integer(sf), Shape::Integer(rf)) | (Shape::Number(sf), Shape::Number(rf)) => {
                // `int64` may be `u64` (`uint64`), whatever the spec's `minimum`: [`DELIBERATE`].
                let unsigned =
                    matches!((sf, rf), (Some(s), Some(r)) if r.strip_prefix('u') == Some(s));
                if sf.is_some() && sf != rf && !unsigned {
                    differ(format!("format {sf:?}"), format!("format {rf:?}"));
                }
            }
            (Shape::Union(s), Shape::Union(r)) if s.len() == r.len() => {
                for (i, (s, r)) in s.iter().zip(r).enumerate() {
                    self.diff(&format!("{at}|{i}"), s, r, true, out);
                }
            }
            // typify names a type after its schema, in upper camel case.
            (Shape::Ref(s), Shape::Ref(r))
                if s.to_upper_camel_case() == r.to_upper_camel_case() => {}
            (s, r) if s == r => {}
            (s, r) => differ(format!("{s}"), format!("{r}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Settings:
      type: object
      required: [lifetime]
      properties:
        lifetime: {type: integer, format: int32}
        kind: {$ref: '#/components/schemas/Kind'}
    Kind:
      type: string
      enum: [a, b]
      x-extensible-enum: true
"#;

    fn generated(lifetime: Value) -> Vec<(&'static str, Value)> {
        vec![
            (
                "Settings",
                serde_json::json!({
                    "type": "object",
                    "required": ["lifetime"],
                    "properties": {
                        "lifetime": lifetime,
                        "kind": {"anyOf": [{"$ref": "#/$defs/Kind"}, {"type": "null"}]},
                    },
                }),
            ),
            (
                "Kind",
                serde_json::json!({"type": "string", "enum": ["b", "a"], "x-extensible-enum": true}),
            ),
        ]
    }

    #[test]
    fn the_same_documents_pass() {
        let spec = Spec::parse("t.yaml", SPEC).unwrap();
        let same = generated(serde_json::json!({"type": "integer", "format": "int32"}));
        assert_eq!(compare(&spec, &same, &Default::default()), vec![]);
    }

    #[test]
    fn a_property_of_another_type_is_named() {
        let spec = Spec::parse("t.yaml", SPEC).unwrap();
        let changed = generated(serde_json::json!({"type": "string"}));
        let mismatches = compare(&spec, &changed, &Default::default());
        assert_eq!(mismatches.len(), 1, "{}", report(&mismatches));
        assert_eq!(mismatches[0].at, "Settings.lifetime");
        assert_eq!(mismatches[0].spec, "an integer");
        assert_eq!(mismatches[0].rust, "a string");
    }

    #[test]
    fn a_required_property_that_may_be_null_is_named() {
        let spec = Spec::parse("t.yaml", SPEC).unwrap();
        let changed =
            generated(serde_json::json!({"type": ["integer", "null"], "format": "int32"}));
        let mismatches = compare(&spec, &changed, &Default::default());
        assert_eq!(mismatches.len(), 1, "{}", report(&mismatches));
        assert_eq!(mismatches[0].at, "Settings.lifetime");
    }
}
