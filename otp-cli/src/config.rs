//! Which service, with which token.

use clap::ArgMatches;
use otp_client::{Client, Environment};

use crate::Failure;

/// The environment variable that holds the token.
pub(crate) const TOKEN_VARIABLE: &str = "OTP_TOKEN";

/// The service `--env` names: production (the default), stage, or a base URL (which the
/// client's builder checks).
pub(crate) fn environment(matches: &ArgMatches) -> Environment {
    match matches.get_one::<String>("env").map(String::as_str) {
        None => Environment::Production,
        Some(name) if name.eq_ignore_ascii_case("production") => Environment::Production,
        Some(name) if name.eq_ignore_ascii_case("stage") => Environment::Stage,
        Some(url) => Environment::Custom(url.to_string()),
    }
}

/// The token, from `--token-file` or `OTP_TOKEN`.
pub(crate) fn token(matches: &ArgMatches) -> Result<String, Failure> {
    let token = if let Some(path) = matches.get_one::<String>("token-file") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("--token-file {path}: {e}")))?;
        if text.trim().is_empty() {
            return Err(Failure::Usage(format!("--token-file {path} is empty")));
        }
        text
    } else {
        std::env::var(TOKEN_VARIABLE).map_err(|_| {
            Failure::Usage(format!(
                "no API token: set {TOKEN_VARIABLE}, or pass --token-file PATH"
            ))
        })?
    };
    if token.trim().is_empty() {
        return Err(Failure::Usage(format!(
            "{TOKEN_VARIABLE} is empty: set it to the API token, or pass --token-file PATH"
        )));
    }
    Ok(token.trim().to_string())
}

/// The client for `--env`, with the token. What the builder refuses (a base URL that is
/// not one, plain http to a remote host, credentials or a query in it; a token that is not
/// visible ASCII) came from the command line or the token's file: a usage error, in the
/// builder's words (which never show the URL's credentials), with what `--env` takes.
pub(crate) fn client(matches: &ArgMatches) -> Result<Client, Failure> {
    let environment = environment(matches);
    let custom = matches!(environment, Environment::Custom(_));
    // A base URL with no path is the host, not the API: every call would be a 404.
    if let Environment::Custom(url) = &environment
        && url_path(url).is_some_and(|path| path.trim_matches('/').is_empty())
    {
        return Err(Failure::Usage(
            "--env has no API path: give the API's root, such as \
             https://host/api/n/otp-handler"
                .into(),
        ));
    }
    Client::builder(token(matches)?)
        .environment(environment)
        .build()
        .map_err(|e| match e.kind() {
            otp_client::ErrorKind::Config(_) if custom => Failure::Usage(format!(
                "{e} (--env takes production, stage or a base URL such as \
                 https://host/api/n/otp-handler)"
            )),
            otp_client::ErrorKind::Config(_) => Failure::Usage(e.to_string()),
            _ => Failure::Call(e),
        })
}

/// What follows the host of an `http(s)://` URL (empty for none); `None` for another text.
fn url_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(rest.find('/').map_or("", |at| &rest[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_read_in_any_case() {
        for (given, expected) in [
            ("Stage", Environment::Stage),
            ("STAGE", Environment::Stage),
            ("Production", Environment::Production),
            (
                "http://127.0.0.1:8080/api",
                Environment::Custom("http://127.0.0.1:8080/api".into()),
            ),
        ] {
            let matches = crate::command()
                .try_get_matches_from(["otp", "--env", given, "spec", "diff", "a", "b"])
                .unwrap();
            assert_eq!(environment(&matches), expected, "{given}");
        }
    }
}
