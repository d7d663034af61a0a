//! Fault injection for soak tests.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::{API_PREFIX, Faults};

/// Before an API request reaches its operation: with probability `rate`, delay it, answer
/// 503, or reset the connection mid-response. Nothing it does changes a session.
pub async fn inject(
    State(faults): State<Option<Faults>>,
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
        _ => {
            // Headers go out, then the body fails: the server drops the connection.
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
    }
}
