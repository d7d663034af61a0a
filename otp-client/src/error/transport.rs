//! What went wrong on the way, read off reqwest's error and its sources.

use std::error::Error as _;
use std::fmt;

/// What happened to a request lost on the way ([`ErrorKind::Transport`](super::ErrorKind)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The host's name could not be resolved.
    Dns,
    /// The service's host refused the connection.
    ConnectionRefused,
    /// No connection could be opened, for another reason.
    Connect,
    /// The TLS handshake failed (a certificate the platform does not trust, say).
    Tls,
    /// The connection was reset or closed before the answer was complete.
    ConnectionReset,
    /// The request or its answer took longer than the configured timeout.
    TimedOut,
    /// Something else went wrong with the connection.
    Other,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Dns => "could not resolve the service's host name",
            Self::ConnectionRefused => "the connection was refused",
            Self::Connect => "could not open a connection",
            Self::Tls => "the TLS handshake failed",
            Self::ConnectionReset => "the connection broke before the answer was complete",
            Self::TimedOut => "timed out",
            Self::Other => "the connection failed",
        })
    }
}

/// Classifies a reqwest error by its kind and the errors underneath it.
pub(crate) fn classify(error: &reqwest::Error) -> TransportFailure {
    if error.is_timeout() {
        return TransportFailure::TimedOut;
    }
    let found = error.source().and_then(classify_source);
    match found {
        Some(failure) => failure,
        None if error.is_connect() => TransportFailure::Connect,
        None => TransportFailure::Other,
    }
}

/// The first failure `e` or an error under it names. An `io::Error` wrapping another
/// error is looked into (its `source()` skips the wrapped error itself).
fn classify_source(e: &(dyn std::error::Error + 'static)) -> Option<TransportFailure> {
    if is_tls(e) {
        return Some(TransportFailure::Tls);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::ConnectionRefused => return Some(TransportFailure::ConnectionRefused),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                return Some(TransportFailure::ConnectionReset);
            }
            K::TimedOut => return Some(TransportFailure::TimedOut),
            _ => {}
        }
        if let Some(inner) = io.get_ref()
            && let Some(failure) = classify_source(inner)
        {
            return Some(failure);
        }
    }
    if let Some(hyper) = e.downcast_ref::<hyper::Error>()
        && (hyper.is_incomplete_message() || hyper.is_canceled())
    {
        return Some(TransportFailure::ConnectionReset);
    }
    // The resolver is not ours to name (the system's, or another): its message says.
    let text = e.to_string().to_ascii_lowercase();
    if text.contains("dns error") || text.contains("failed to lookup address") {
        return Some(TransportFailure::Dns);
    }
    e.source().and_then(classify_source)
}

/// Whether `e` is the TLS stack's own error.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    #[cfg(feature = "rustls")]
    if e.is::<rustls::Error>() {
        return true;
    }
    #[cfg(feature = "native-tls")]
    if e.is::<native_tls::Error>() {
        return true;
    }
    let _ = e;
    false
}
