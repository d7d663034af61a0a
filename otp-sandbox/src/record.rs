//! The request log, and the optional record of every API exchange that conformance
//! tests check against the spec.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::api::Operation;

/// One answer the sandbox gave to an API operation.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The operationId.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The body, as sent.
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Recorder {
    on: Arc<AtomicBool>,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    pub fn enable(&self) {
        self.on.store(true, Ordering::SeqCst);
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

/// Logs each request (method, path without its query, status, latency: never a phone
/// number or a token), and records the exchange when recording is on.
pub async fn log_and_record(
    State(recorder): State<Recorder>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let operation = response.extensions().get::<Operation>().map(|o| o.0);
    tracing::info!(
        %method,
        %path,
        operation = operation.unwrap_or("-"),
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    let Some(operation) = operation.filter(|_| recorder.on.load(Ordering::SeqCst)) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if let Ok(mut exchanges) = recorder.exchanges.lock() {
        exchanges.push(Exchange {
            operation,
            status: parts.status.as_u16(),
            body: bytes.to_vec(),
        });
    }
    Response::from_parts(parts, Body::from(bytes))
}
