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
    /// The spec could not be read, parsed or checked, or `OTP_HANDLER_SPEC` is wrong.
    Spec(otp_spec::SpecError),
    /// The generated code could not be written.
    Write {
        /// The file's path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
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
            Self::Spec(e) => e.fmt(f),
            Self::Write { path, source } => write!(
                f,
                "{}: cannot write the generated code: {source}",
                path.display()
            ),
            Self::Invalid { path, at, message } => write!(f, "{}: {at}: {message}", path.display()),
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
            Self::Spec(e) => e.source(),
            Self::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<otp_spec::SpecError> for CodegenError {
    fn from(e: otp_spec::SpecError) -> Self {
        Self::Spec(e)
    }
}
