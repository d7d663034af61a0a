//! Which service, with which token.

use clap::ArgMatches;
use otp_client::{Client, Environment};

use crate::Failure;

/// The environment variable that holds the token.
pub(crate) const TOKEN_VARIABLE: &str = "OTP_TOKEN";

/// The service `--env` names: production (the default), stage, or a base URL; anything
/// else is a usage error that says what `--env` takes.
pub(crate) fn environment(matches: &ArgMatches) -> Result<Environment, Failure> {
    let url = match matches.get_one::<String>("env").map(String::as_str) {
        None | Some("production") => return Ok(Environment::Production),
        Some("stage") => return Ok(Environment::Stage),
        Some(url) => url,
    };
    // What the user typed may hold credentials: only the scheme and host are quoted.
    let parsed = url::Url::parse(url).ok().filter(|u| u.has_host());
    let Some(parsed) = parsed.filter(|u| matches!(u.scheme(), "https" | "http")) else {
        return Err(Failure::Usage(
            "--env takes production, stage or a base URL such as \
             https://host/api/n/otp-handler"
                .into(),
        ));
    };
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if parsed.scheme() == "http" && !loopback {
        return Err(Failure::Usage(format!(
            "--env http://{host}…: plain http to a host that is not loopback would send the \
             token in clear; use https"
        )));
    }
    Ok(Environment::Custom(url.to_string()))
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

/// The client for `--env`, with the token. What the builder refuses (a base URL with
/// credentials or a query, a token that is not visible ASCII) came from the command line
/// or the token's file: a usage error.
pub(crate) fn client(matches: &ArgMatches) -> Result<Client, Failure> {
    Client::builder(token(matches)?)
        .environment(environment(matches)?)
        .build()
        .map_err(|e| match e.kind() {
            otp_client::ErrorKind::Config(_) => Failure::Usage(e.to_string()),
            _ => Failure::Call(e),
        })
}
