//! A request body, read whole within one deadline and one size limit. tower-http's body
//! timeout is reset by every frame, so a client that sends one byte every few seconds held a
//! `POST` open for as long as it liked; here the deadline covers the whole body, from the
//! moment the route starts reading it.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;

use crate::refusal::{Reason, Refusal};

/// The guard.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyRules {
    /// The largest body read.
    limit: usize,
    /// How long the whole body may take to arrive.
    deadline: Duration,
}

impl BodyRules {
    pub(crate) fn new(limit: usize, deadline: Duration) -> Self {
        Self { limit, deadline }
    }

    /// The body limit and deadline, for a mount that reads the body itself (actix's).
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    pub(crate) fn limits(&self) -> (usize, Duration) {
        (self.limit, self.deadline)
    }

    /// The whole body; `ValidateError` with 413 when it is larger than the limit, with 408
    /// when it has not arrived by the deadline.
    pub(crate) async fn read(&self, body: Body) -> Result<Bytes, Refusal> {
        let invalid = |status| Refusal::invalid(Reason::InvalidRequest).with_status(status);
        match tokio::time::timeout(self.deadline, axum::body::to_bytes(body, self.limit)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(e)) => {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                Err(invalid(if too_large {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                }))
            }
            Err(_) => {
                tracing::info!("a request body not sent within its deadline: refused");
                Err(invalid(StatusCode::REQUEST_TIMEOUT))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_is_read_whole_within_its_limit_and_deadline() {
        let rules = BodyRules::new(4, Duration::from_millis(200));
        assert_eq!(&rules.read(Body::from("abcd")).await.unwrap()[..], b"abcd");
        let too_large = rules.read(Body::from("abcde")).await.unwrap_err();
        assert!(format!("{too_large:?}").contains("413"), "{too_large:?}");
        // A body that never ends, as a trickling client's: cut at the deadline.
        let started = std::time::Instant::now();
        let never = Body::from_stream(futures::stream::pending::<Result<Bytes, std::io::Error>>());
        let late = rules.read(never).await.unwrap_err();
        assert!(format!("{late:?}").contains("408"), "{late:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
