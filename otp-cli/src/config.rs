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
        None | Some("production") => Environment::Production,
        Some("stage") => Environment::Stage,
        Some(url) => Environment::Custom(url.to_string()),
    }
}

/// The token, from `--token-file` or `OTP_TOKEN`.
pub(crate) fn token(matches: &ArgMatches) -> Result<String, Failure> {
    if let Some(path) = matches.get_one::<String>("token-file") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("--token-file {path}: {e}")))?;
        return Ok(text.trim().to_string());
    }
    std::env::var(TOKEN_VARIABLE).map_err(|_| {
        Failure::Usage(format!(
            "no API token: set {TOKEN_VARIABLE}, or pass --token-file PATH"
        ))
    })
}

/// The client for `--env`, with the token. What the builder refuses (a base URL that is
/// not one, plain http to a remote host, credentials or a query in it; a token that is not
/// visible ASCII) came from the command line or the token's file: a usage error, in the
/// builder's words (which never show the URL's credentials), with what `--env` takes.
pub(crate) fn client(matches: &ArgMatches) -> Result<Client, Failure> {
    let environment = environment(matches);
    let custom = matches!(environment, Environment::Custom(_));
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
