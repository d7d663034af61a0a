//! What can go wrong while loading a spec, said so a person can act on it.

use std::fmt;
use std::path::PathBuf;

/// An error from reading, parsing or checking a spec.
///
/// Every variant names the file it is about; the `Display` text is meant to be read by
/// the person who edited the spec.
#[derive(Debug)]
#[non_exhaustive]
pub enum SpecError {
    /// The spec file could not be read.
    Read {
        /// The spec's path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The spec is not valid YAML, or not an OpenAPI document.
    Parse {
        /// The spec's path.
        path: PathBuf,
        /// Line and column, when the parser knows them.
        location: Option<(usize, usize)>,
        /// What the parser said.
        message: String,
    },
    /// The spec parses but breaks a rule the generators rely on.
    Invalid {
        /// The spec's path.
        path: PathBuf,
        /// Where in the spec (an operation, a schema).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// `OTP_HANDLER_SPEC` cannot be used as it is set.
    Override {
        /// What is wrong, and what to set instead.
        message: String,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => {
                write!(f, "{}: cannot read the spec: {source}", path.display())
            }
            Self::Parse {
                path,
                location: Some((line, col)),
                message,
            } => write!(
                f,
                "{}:{line}:{col}: not a valid OpenAPI document: {message}",
                path.display()
            ),
            Self::Parse {
                path,
                location: None,
                message,
            } => write!(
                f,
                "{}: not a valid OpenAPI document: {message}",
                path.display()
            ),
            Self::Invalid { path, at, message } => write!(f, "{}: {at}: {message}", path.display()),
            Self::Override { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for SpecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}
