//! Faults: one injected into the next call of one operation (for a test that needs it), or
//! random ones over every call (for soak tests). A fault never changes a session.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngExt;

use crate::state::State as Sandbox;
use crate::{API_PREFIX, RandomFaults};

/// What to do to one call instead of, or before, answering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status, with an empty body, without running the operation.
    Status(u16),
    /// Wait this long, then run the operation.
    Delay(Duration),
    /// Send the headers, then break the connection: the operation does not run.
    Reset,
}

/// Before an operation runs: the fault queued for its next call, if any
/// ([`Sandbox::inject`](crate::Sandbox::inject)).
pub async fn injected(
    State((state, operation)): State<(Arc<Sandbox>, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    match state.take_fault(operation) {
        None => next.run(request).await,
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Some(Fault::Status(status)) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Some(Fault::Reset) => broken(),
    }
}

/// Headers go out, then the body fails: the server drops the connection.
fn broken() -> Response {
    let broken = futures::stream::once(async {
        Err::<axum::body::Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault",
        ))
    });
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        Body::from_stream(broken),
    )
        .into_response()
}

/// Before an API request reaches its operation: with probability `rate`, delay it, answer
/// 503, or reset the connection mid-response. Nothing it does changes a session.
pub async fn random(
    State(faults): State<Option<RandomFaults>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(faults) = faults.filter(|_| request.uri().path().starts_with(API_PREFIX)) else {
        return next.run(request).await;
    };
    let (roll, pick, delay) = {
        let mut rng = rand::rng();
        (
            rng.random::<f64>(),
            rng.random_range(0..3u8),
            rng.random_range(0.0..=1.0f64),
        )
    };
    if roll >= faults.rate {
        return next.run(request).await;
    }
    match pick {
        0 => {
            tokio::time::sleep(faults.max_delay.mul_f64(delay)).await;
            next.run(request).await
        }
        1 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        _ => broken(),
    }
}
