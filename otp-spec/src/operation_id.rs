//! `OperationId`: the spec's operations as a Rust type, written as source text, so that code
//! that decides something per operation (the widget's routes, the sandbox's simulations)
//! matches over a type rather than over strings. One generator: otp-client's code generator
//! puts it in the client, the sandbox's build script in the sandbox.

use heck::ToUpperCamelCase;

use crate::Spec;

/// The Rust source of `pub enum OperationId`, one variant per operation in the spec's order
/// (`getStatus`: `GetStatus`), `#[non_exhaustive]` (an operation a newer spec adds falls to a
/// match's default arm), with `ALL`, `as_str`, `from_id` and `Display`.
///
/// ```
/// let spec = otp_spec::Spec::bundled();
/// let code = otp_spec::operation_id_enum(&spec);
/// assert!(code.contains("GetStatusLongPolling,"));
/// assert!(code.contains("\"checkCode\" => ::std::option::Option::Some(OperationId::CheckCode)"));
/// ```
pub fn operation_id_enum(spec: &Spec) -> String {
    operation_id_enum_of(&[spec])
}

/// [`operation_id_enum`] over the operations of several specs, each once, in the order the
/// specs and their operations come: for code whose arms name the operations of one spec
/// (the sandbox's, the bundled one) built against another (`OTP_HANDLER_SPEC`), which may
/// lack one of them. Its arm then still compiles, and is never reached.
pub fn operation_id_enum_of(specs: &[&Spec]) -> String {
    let mut operations: Vec<crate::Operation> = Vec::new();
    for spec in specs {
        for op in spec.operations() {
            if !operations.iter().any(|o| o.id == op.id) {
                operations.push(op);
            }
        }
    }
    let variants: Vec<String> = operations
        .iter()
        .map(|op| op.id.to_upper_camel_case())
        .collect();
    let mut code = String::from(
        "/// The spec's operations, by `operationId`, in the spec's order.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         #[non_exhaustive]\n\
         pub enum OperationId {\n",
    );
    for (op, variant) in operations.iter().zip(&variants) {
        let doc = if op.summary.is_empty() {
            format!("`{}`.", op.id)
        } else {
            format!("`{}`: {}", op.id, op.summary)
        };
        code.push_str(&format!("    #[doc = {doc:?}]\n    {variant},\n"));
    }
    code.push_str("}\n\nimpl OperationId {\n    /// Every operation, in the spec's order.\n    pub const ALL: &'static [OperationId] = &[");
    for variant in &variants {
        code.push_str(&format!("OperationId::{variant}, "));
    }
    code.push_str("];\n\n    /// The spec's `operationId`.\n    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for (op, variant) in operations.iter().zip(&variants) {
        code.push_str(&format!(
            "            OperationId::{variant} => {:?},\n",
            op.id
        ));
    }
    code.push_str("        }\n    }\n\n    /// The operation of `operationId` `id`, if the spec has it.\n    pub fn from_id(id: &str) -> ::std::option::Option<Self> {\n        match id {\n");
    for (op, variant) in operations.iter().zip(&variants) {
        code.push_str(&format!(
            "            {:?} => ::std::option::Option::Some(OperationId::{variant}),\n",
            op.id
        ));
    }
    code.push_str(
        "            _ => ::std::option::Option::None,\n        }\n    }\n}\n\n\
         impl ::std::fmt::Display for OperationId {\n    \
         fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {\n        \
         f.write_str(self.as_str())\n    }\n}\n",
    );
    code
}
