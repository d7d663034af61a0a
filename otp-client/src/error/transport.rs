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
    let mut source = error.source();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            match io.kind() {
                K::ConnectionRefused => return TransportFailure::ConnectionRefused,
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    return TransportFailure::ConnectionReset;
                }
                K::TimedOut => return TransportFailure::TimedOut,
                _ => {}
            }
        }
        if let Some(hyper) = e.downcast_ref::<hyper::Error>()
            && (hyper.is_incomplete_message() || hyper.is_canceled())
        {
            return TransportFailure::ConnectionReset;
        }
        // The TLS stack and the resolver are not ours to name (rustls or native-tls, the
        // system's resolver): their messages say which they are.
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return TransportFailure::Dns;
        }
        if ["certificate", "tls", "handshake", "ssl"]
            .iter()
            .any(|w| text.contains(w))
        {
            return TransportFailure::Tls;
        }
        source = e.source();
    }
    if error.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::Other
    }
}
