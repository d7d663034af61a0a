//! A request body, read whole within one deadline and one size limit. tower-http's body
//! timeout is reset by every frame, so a client that sends one byte every few seconds held a
//! `POST` open for as long as it liked; here the deadline covers the whole body, from the
//! moment the route starts reading it.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::BodyExt;

use crate::refusal::{Reason, Refusal};

/// The guard.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyRules {
    /// The largest body read.
    limit: usize,
    /// How long the whole body may take to arrive.
    deadline: Duration,
}

/// A request's body as a mount hands it to the routes.
pub(crate) enum Incoming<B> {
    /// The body, to read (a tower host's).
    Body(B),
    /// The body as the mount read it itself, within [`BodyRules::limits`] (actix-web's, whose
    /// payload cannot cross threads): one byte past the limit is enough to refuse it.
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    Read(Result<Bytes, Unread>),
}

/// Why a mount could not read a body.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "actix"), allow(dead_code))]
pub(crate) enum Unread {
    /// The client's body failed (a broken connection, a bad chunk).
    Failed,
    /// It had not arrived by the deadline.
    Late,
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
    pub(crate) async fn read<B>(&self, body: Incoming<B>) -> Result<Bytes, Refusal>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let invalid = |status| Refusal::invalid(Reason::InvalidRequest).with_status(status);
        let read = match body {
            Incoming::Read(read) => read,
            Incoming::Body(body) => {
                let limited = http_body_util::Limited::new(body, self.limit);
                match tokio::time::timeout(self.deadline, limited.collect()).await {
                    Ok(Ok(collected)) => Ok(collected.to_bytes()),
                    Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                        return Err(invalid(StatusCode::PAYLOAD_TOO_LARGE));
                    }
                    Ok(Err(_)) => Err(Unread::Failed),
                    Err(_) => Err(Unread::Late),
                }
            }
        };
        match read {
            Ok(bytes) if bytes.len() > self.limit => Err(invalid(StatusCode::PAYLOAD_TOO_LARGE)),
            Ok(bytes) => Ok(bytes),
            Err(Unread::Failed) => Err(invalid(StatusCode::BAD_REQUEST)),
            Err(Unread::Late) => {
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
        let body =
            |text: &'static str| Incoming::Body(http_body_util::Full::new(Bytes::from(text)));
        assert_eq!(&rules.read(body("abcd")).await.unwrap()[..], b"abcd");
        let too_large = rules.read(body("abcde")).await.unwrap_err();
        assert!(format!("{too_large:?}").contains("413"), "{too_large:?}");
        // As a mount read it: the same limit.
        let read = |r| Incoming::<http_body_util::Empty<Bytes>>::Read(r);
        let too_large = rules
            .read(read(Ok(Bytes::from("abcde"))))
            .await
            .unwrap_err();
        assert!(format!("{too_large:?}").contains("413"), "{too_large:?}");
        let late = rules.read(read(Err(Unread::Late))).await.unwrap_err();
        assert!(format!("{late:?}").contains("408"), "{late:?}");
        let failed = rules.read(read(Err(Unread::Failed))).await.unwrap_err();
        assert!(format!("{failed:?}").contains("400"), "{failed:?}");
        // A body that never ends, as a trickling client's: cut at the deadline.
        let started = std::time::Instant::now();
        let never = http_body_util::StreamBody::new(futures::stream::pending::<
            Result<http_body::Frame<Bytes>, std::io::Error>,
        >());
        let late = rules.read(Incoming::Body(never)).await.unwrap_err();
        assert!(format!("{late:?}").contains("408"), "{late:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
