//! A schema's type twice: as the spec writes it (`string(uuid)`, `integer(uint32)`), and as
//! the generated Rust code types it (`Uuid`, `u32`), following typify's rules for the
//! scalar types, so that a change of format that keeps the Rust type is told apart from
//! one that changes it.

use openapiv3::{
    IntegerType, OpenAPI, ReferenceOr, Schema, SchemaKind, StringType, Type,
    VariantOrUnknownOrEmpty,
};

use crate::resolve;

/// A schema's type, as the spec writes it and as Rust types it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Shape {
    /// As the spec writes it, e.g. `string(uuid)`, `array<Thing>`.
    pub spec: String,
    /// The Rust type, e.g. `Uuid`, `Vec<Thing>`, `Option<u32>`: a named schema is its own
    /// type; an inline object or enum is a type the generator names (`struct`, `enum`).
    pub rust: String,
}

/// The component schema `s` refers to, by name.
pub(super) fn ref_name(s: &ReferenceOr<Schema>) -> Option<&str> {
    match s {
        ReferenceOr::Reference { reference } => reference.strip_prefix("#/components/schemas/"),
        ReferenceOr::Item(_) => None,
    }
}

/// What `s` is or refers to.
pub(super) fn schema<'a>(s: &'a ReferenceOr<Schema>, spec: &'a OpenAPI) -> Option<&'a Schema> {
    resolve(s, "#/components/schemas/", |c| &c.schemas, spec)
}

/// A property's or item's schema, unboxed.
pub(super) fn unboxed(s: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    s.clone().unbox()
}

/// The shape of `s` in `spec`.
pub(super) fn shape(s: &ReferenceOr<Schema>, spec: &OpenAPI) -> Shape {
    if let Some(name) = ref_name(s) {
        return Shape {
            spec: name.to_string(),
            rust: name.to_string(),
        };
    }
    let Some(schema) = schema(s, spec) else {
        return Shape {
            spec: "?".into(),
            rust: "?".into(),
        };
    };
    let (spec_label, rust) = match &schema.schema_kind {
        SchemaKind::Type(Type::String(t)) => string(t),
        SchemaKind::Type(Type::Integer(t)) => {
            (format!("integer{}", format_label(&t.format)), integer(t))
        }
        SchemaKind::Type(Type::Number(t)) => {
            let label = format_label(&t.format);
            let rust = if label == "(float)" { "f32" } else { "f64" };
            (format!("number{label}"), rust.to_string())
        }
        SchemaKind::Type(Type::Boolean(_)) => ("boolean".into(), "bool".into()),
        SchemaKind::Type(Type::Object(o)) => {
            let map = o.properties.is_empty() && o.additional_properties.is_some();
            let rust = if map { "Map<String, Value>" } else { "struct" };
            ("object".into(), rust.into())
        }
        SchemaKind::Type(Type::Array(a)) => {
            let item = a
                .items
                .as_ref()
                .map(|i| shape(&unboxed(i), spec))
                .unwrap_or(Shape {
                    spec: "any".into(),
                    rust: "Value".into(),
                });
            (
                format!("array<{}>", item.spec),
                format!("Vec<{}>", item.rust),
            )
        }
        SchemaKind::OneOf { .. } => ("oneOf".into(), "enum".into()),
        SchemaKind::AnyOf { .. } => ("anyOf".into(), "struct".into()),
        SchemaKind::AllOf { .. } => ("allOf".into(), "struct".into()),
        SchemaKind::Not { .. } | SchemaKind::Any(_) => ("any".into(), "Value".into()),
    };
    if schema.schema_data.nullable {
        Shape {
            spec: format!("{spec_label}, nullable"),
            rust: format!("Option<{rust}>"),
        }
    } else {
        Shape {
            spec: spec_label,
            rust,
        }
    }
}

fn string(t: &StringType) -> (String, String) {
    if !t.enumeration.is_empty() {
        return ("string enum".into(), "enum".into());
    }
    let label = format_label(&t.format);
    let rust = match label.trim_matches(['(', ')']) {
        "uuid" => "Uuid",
        "date" => "NaiveDate",
        "date-time" | "datetime" => "DateTime<Utc>",
        "ip" => "IpAddr",
        "ipv4" => "Ipv4Addr",
        "ipv6" => "Ipv6Addr",
        _ => "String",
    };
    (format!("string{label}"), rust.into())
}

/// `(format)`, or nothing without one.
fn format_label<T: std::fmt::Debug>(f: &VariantOrUnknownOrEmpty<T>) -> String {
    match f {
        VariantOrUnknownOrEmpty::Item(i) => {
            let name = format!("{i:?}").to_lowercase();
            // openapiv3 spells `date-time` `DateTime`.
            let name = if name == "datetime" {
                "date-time".into()
            } else {
                name
            };
            format!("({name})")
        }
        VariantOrUnknownOrEmpty::Unknown(u) => format!("({u})"),
        VariantOrUnknownOrEmpty::Empty => String::new(),
    }
}

/// typify's integer type: the format's type where the bounds fit it (`NonZero` from a
/// minimum of 1), else the type whose range the bounds name, else `i64`.
fn integer(t: &IntegerType) -> String {
    // (format, type, non-zero type, min, max), most restrictive first, as typify has them.
    const FORMATS: &[(&str, &str, &str, f64, f64)] = &[
        ("int8", "i8", "NonZeroU8", i8::MIN as f64, i8::MAX as f64),
        ("uint8", "u8", "NonZeroU8", u8::MIN as f64, u8::MAX as f64),
        (
            "int16",
            "i16",
            "NonZeroU16",
            i16::MIN as f64,
            i16::MAX as f64,
        ),
        (
            "uint16",
            "u16",
            "NonZeroU16",
            u16::MIN as f64,
            u16::MAX as f64,
        ),
        ("int", "i32", "NonZeroU32", i32::MIN as f64, i32::MAX as f64),
        (
            "int32",
            "i32",
            "NonZeroU32",
            i32::MIN as f64,
            i32::MAX as f64,
        ),
        (
            "uint",
            "u32",
            "NonZeroU32",
            u32::MIN as f64,
            u32::MAX as f64,
        ),
        (
            "uint32",
            "u32",
            "NonZeroU32",
            u32::MIN as f64,
            u32::MAX as f64,
        ),
        (
            "int64",
            "i64",
            "NonZeroU64",
            i64::MIN as f64,
            i64::MAX as f64,
        ),
        (
            "uint64",
            "u64",
            "NonZeroU64",
            u64::MIN as f64,
            u64::MAX as f64,
        ),
    ];
    let mut min = t
        .minimum
        .map(|m| m as f64 + if t.exclusive_minimum { 1.0 } else { 0.0 });
    let mut max = t
        .maximum
        .map(|m| m as f64 - if t.exclusive_maximum { 1.0 } else { 0.0 });
    let format = format_label(&t.format);
    let format = format.trim_matches(['(', ')']);
    if let Some(&(_, ty, nz, imin, imax)) = FORMATS.iter().find(|f| f.0 == format) {
        let fits = min.is_none_or(|m| m >= imin) && max.is_none_or(|m| m <= imax);
        if t.multiple_of.is_none() && fits {
            return if min == Some(1.0) { nz } else { ty }.to_string();
        }
        min.get_or_insert(imin);
        max.get_or_insert(imax);
    }
    let same = |a: f64, b: f64| (a - b).abs() <= f64::EPSILON;
    let by_bounds = FORMATS
        .iter()
        .rev()
        .find_map(|&(_, ty, nz, imin, imax)| match (min, max) {
            (Some(1.0), _) => Some(nz),
            (None, Some(max)) if same(imax, max) => Some(ty),
            (Some(min), None) if same(imin, min) => Some(ty),
            (Some(min), Some(max)) if same(imin, min) && same(imax, max) => Some(ty),
            _ => None,
        });
    by_bounds.unwrap_or("i64").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust_of(yaml: &str) -> String {
        let s: ReferenceOr<Schema> = serde_norway::from_str(yaml).unwrap();
        shape(&s, &OpenAPI::default()).rust
    }

    #[test]
    fn scalar_types_follow_typify() {
        for (yaml, rust) in [
            ("{ type: string }", "String"),
            ("{ type: string, format: email }", "String"),
            ("{ type: string, format: uuid }", "Uuid"),
            ("{ type: string, format: date-time }", "DateTime<Utc>"),
            ("{ type: integer }", "i64"),
            ("{ type: integer, format: int32 }", "i32"),
            ("{ type: integer, format: uint32 }", "u32"),
            (
                "{ type: integer, format: uint32, minimum: 1 }",
                "NonZeroU32",
            ),
            ("{ type: integer, minimum: 0 }", "u64"),
            (
                "{ type: integer, format: int32, nullable: true }",
                "Option<i32>",
            ),
            ("{ type: number }", "f64"),
            ("{ type: number, format: float }", "f32"),
            ("{ type: array, items: { type: boolean } }", "Vec<bool>"),
            ("{ $ref: '#/components/schemas/Thing' }", "Thing"),
        ] {
            assert_eq!(rust_of(yaml), rust, "{yaml}");
        }
    }
}
