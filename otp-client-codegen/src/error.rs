//! What can go wrong while generating, said so a person can act on it.

use std::fmt;
use std::path::PathBuf;

/// An error from loading the spec or generating code from it.
///
/// Every variant names the file it is about; the `Display` text is meant to be read by
/// the person who edited the spec.
#[derive(Debug)]
#[non_exhaustive]
pub enum CodegenError {
    /// The spec file could not be read.
    Read {
        /// The spec's path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The generated code could not be written.
    Write {
        /// The file's path.
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
    /// The spec parses but breaks a rule the generator relies on.
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
    /// The spec lacks what the hand-written layer of the crates relies on.
    Incompatible {
        /// The spec's path.
        path: PathBuf,
        /// Each missing piece, with what needs it.
        missing: Vec<crate::compat::Missing>,
    },
    /// progenitor refused the spec (or panicked on it).
    Generator {
        /// The spec's path.
        path: PathBuf,
        /// What progenitor said.
        message: String,
    },
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => {
                write!(f, "{}: cannot read the spec: {source}", path.display())
            }
            Self::Write { path, source } => write!(
                f,
                "{}: cannot write the generated code: {source}",
                path.display()
            ),
            Self::Parse {
                path,
                location: Some((line, col)),
                message,
            } => {
                write!(
                    f,
                    "{}:{line}:{col}: not a valid OpenAPI document: {message}",
                    path.display()
                )
            }
            Self::Parse {
                path,
                location: None,
                message,
            } => {
                write!(
                    f,
                    "{}: not a valid OpenAPI document: {message}",
                    path.display()
                )
            }
            Self::Invalid { path, at, message } => write!(f, "{}: {at}: {message}", path.display()),
            Self::Override { message } => write!(f, "{message}"),
            Self::Incompatible { path, missing } => {
                write!(
                    f,
                    "{}: this spec lacks or changes {} thing(s) the otp-client crates rely on; restore \
                     them in the spec, or stay on the otp-client release that matches it:",
                    path.display(),
                    missing.len()
                )?;
                for m in missing {
                    write!(f, "\n  - {m}")?;
                }
                Ok(())
            }
            Self::Generator { path, message } => {
                write!(
                    f,
                    "{}: progenitor cannot generate a client from this spec: {message}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for CodegenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}
