//! `generated/prebuilt.txt`: the manifest of the code otp-client ships for a build without its
//! `generate` feature. `cargo xtask generate` writes it and otp-client's build script
//! (`build/prebuilt.rs`) follows it; both include this file (`#[path]`), so its format is
//! written once.

use std::fmt;

/// The folder of otp-client that holds the prebuilt code and the manifest.
pub const FOLDER: &str = "generated";

/// The manifest's name in that folder.
pub const FILE: &str = "prebuilt.txt";

/// One line of the manifest (a blank line, or one that starts with `#`, says nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `source FILE DIGEST`: a file of the crate the code was generated from, and its
    /// [`digest`]; an edited file stops the build (the code would no longer be its).
    Source { file: String, digest: String },
    /// `env NAME`: a variable that points the build at another spec or overlay; set, it stops
    /// the build, since only the generator can follow it.
    Env(String),
    /// `copy FILE`: a file of the folder, copied into `OUT_DIR`.
    Copy(String),
    /// `metadata KEY FILE`: the same copy, and `cargo::metadata=KEY=` its path, for the
    /// crates built on otp-client (`DEP_OTP_CLIENT_KEY`).
    Metadata { key: String, file: String },
    /// `needs FEATURE`: the code names the crate of that feature of otp-client.
    Needs(String),
}

impl Directive {
    /// The directive `line` says, `None` for a blank line or a comment.
    pub fn parse(line: &str) -> Result<Option<Self>, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let owned = |s: &str| s.to_string();
        Ok(Some(match words[..] {
            [] => return Ok(None),
            [first, ..] if first.starts_with('#') => return Ok(None),
            ["source", file, digest] => Self::Source {
                file: owned(file),
                digest: owned(digest),
            },
            ["env", name] => Self::Env(owned(name)),
            ["copy", file] => Self::Copy(owned(file)),
            ["metadata", key, file] => Self::Metadata {
                key: owned(key),
                file: owned(file),
            },
            ["needs", feature] => Self::Needs(owned(feature)),
            _ => return Err(format!("not a directive: {line}")),
        }))
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source { file, digest } => write!(f, "source {file} {digest}"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::Copy(file) => write!(f, "copy {file}"),
            Self::Metadata { key, file } => write!(f, "metadata {key} {file}"),
            Self::Needs(feature) => write!(f, "needs {feature}"),
        }
    }
}

/// FNV-1a (64 bits) of `bytes`, as 16 hex digits: it tells an edited file from the one the
/// code was generated from (the file is the crate's own; nobody is racing to collide it).
pub fn digest(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directive_reads_back_as_written() {
        let all = [
            Directive::Source {
                file: "openapi.yaml".into(),
                digest: digest(b"openapi: 3.0.3"),
            },
            Directive::Env("OTP_HANDLER_SPEC".into()),
            Directive::Copy("otp_client.rs".into()),
            Directive::Metadata {
                key: "blocking".into(),
                file: "otp_client_blocking.rs".into(),
            },
            Directive::Needs("chrono".into()),
        ];
        for directive in all {
            let line = directive.to_string();
            assert_eq!(Directive::parse(&line), Ok(Some(directive)), "{line}");
        }
        assert_eq!(Directive::parse("  "), Ok(None));
        assert_eq!(Directive::parse("# a comment"), Ok(None));
        assert!(Directive::parse("copy").is_err());
        assert!(Directive::parse("delete everything").is_err());
    }

    #[test]
    fn the_digest_tells_one_byte_apart() {
        assert_eq!(digest(b""), "cbf29ce484222325");
        assert_ne!(digest(b"openapi: 3.0.3"), digest(b"openapi: 3.0.4"));
    }
}
