//! Error bodies, taken from the spec's own examples: the sandbox cannot drift from the
//! messages the spec quotes.

use std::collections::HashMap;

use axum::http::StatusCode;
use otp_spec::Spec;
use serde_json::{Value, json};

/// Every exception type's status and body, from the spec.
#[derive(Debug)]
pub struct Errors(HashMap<String, (StatusCode, Value)>);

impl Errors {
    pub fn from_spec() -> anyhow::Result<Self> {
        let spec = Spec::parse("openapi.yaml", crate::SPEC)?;
        let mut map = HashMap::new();
        for op in spec.operations() {
            for (status, kind) in op.exceptions {
                let body = spec
                    .error_example(&kind)
                    .ok_or_else(|| anyhow::anyhow!("the spec has no example for {kind}"))?;
                map.insert(kind, (StatusCode::from_u16(status)?, body));
            }
        }
        Ok(Self(map))
    }

    /// The status and body of exception `kind`. A kind the spec lacks is a bug of the
    /// sandbox's: a 500 that says so, rather than a body the spec does not have.
    pub fn get(&self, kind: &str) -> (StatusCode, Value) {
        self.0.get(kind).cloned().unwrap_or_else(|| {
            tracing::error!("the spec documents no {kind}: a bug of the sandbox's");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"type": "InternalServerErrorException", "httpStatus": 500}),
            )
        })
    }
}

/// The 401 answer. The reference documents no body; the spec's shared error schema allows
/// this one.
pub fn unauthorized() -> (StatusCode, Value) {
    (
        StatusCode::UNAUTHORIZED,
        json!({"message": "Unauthorized", "httpStatus": 401}),
    )
}
