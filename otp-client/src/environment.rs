//! Which otp-handler deployment a [`Client`](crate::Client) talks to ([`Environment`]), and
//! the checks its base URL passes before any request is built on it.

use std::fmt;
use std::net::IpAddr;

use crate::error::Error;
use crate::redact::display_url;

/// Which otp-handler deployment to talk to. The URLs come from the spec's `servers`.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// The production service (the default).
    #[default]
    Production,
    /// The vendor's staging service.
    Stage,
    /// Any other base URL, such as a local sandbox (`http://127.0.0.1:8080/api/n/otp-handler`).
    Custom(String),
}

impl Environment {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => server("production"),
            Environment::Stage => server("stage"),
            Environment::Custom(url) => url,
        }
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("Production"),
            Environment::Stage => f.write_str("Stage"),
            Environment::Custom(url) => f.debug_tuple("Custom").field(&display_url(url)).finish(),
        }
    }
}

/// The spec's server whose description is `name`.
fn server(name: &str) -> &'static str {
    crate::generated::SERVERS
        .iter()
        .find(|(description, _)| *description == name)
        .map_or("", |(_, url)| url)
}

/// `environment`'s base URL, parsed and checked (plain http to a host that is not loopback
/// only when `allow_insecure_http`); its serialization is what requests are built on, so
/// that each request's URL can be checked against it.
pub(crate) fn checked_base_url(
    environment: &Environment,
    allow_insecure_http: bool,
) -> Result<reqwest::Url, Error> {
    let text = environment.base_url();
    let shown = display_url(text);
    let url =
        reqwest::Url::parse(text).map_err(|e| Error::config(format!("base URL `{shown}`: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!(
            "base URL `{shown}` has credentials: the API authenticates with the token alone"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "base URL `{shown}` has a query or a fragment: it must be the API's root, such as https://online.sigmasms.ru/api/n/otp-handler"
        )));
    }
    match url.scheme() {
        "https" => https_reachable(&shown, HAS_TLS)?,
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(Error::config(format!(
                "base URL `{shown}` is plain http to a host that is not loopback: the token would travel in clear; use https"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "base URL `{shown}`: scheme `{other}` is not http(s)"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::config(format!("base URL `{shown}` has no host")));
    }
    // A base URL the parser changed (`/api/%2e%2e/x` resolved to `/x`, a line break or
    // tab dropped, a host lower-cased) is not the one the caller meant: say what it became.
    let written = text.trim_end_matches('/');
    let parsed = url.as_str().trim_end_matches('/');
    if written != parsed {
        return Err(Error::config(format!(
            "base URL `{shown}` does not read back as written: it would be `{}`; write it that way if that is the one",
            display_url(parsed)
        )));
    }
    let mut url = url;
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

/// Whether this build has a TLS backend (the `rustls` or `native-tls` feature).
const HAS_TLS: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

/// An https base URL is reachable only in a build with a TLS backend (`has_tls`): without one,
/// every call would fail to connect, in reqwest's words, far from the cause.
fn https_reachable(shown: &str, has_tls: bool) -> Result<(), Error> {
    if has_tls {
        return Ok(());
    }
    Err(Error::config(format!(
        "base URL `{shown}` is https, and otp-client was built without a TLS feature: turn on \
         `rustls` (a default feature) or `native-tls`"
    )))
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_base_url_without_a_tls_feature_is_refused_naming_the_features() {
        assert!(https_reachable("https://online.sigmasms.ru/api", true).is_ok());
        let message = https_reachable("https://online.sigmasms.ru/api", false)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("`rustls`") && message.contains("`native-tls`"),
            "{message}"
        );
        // This build's own answer: the features it was compiled with decide.
        let built = crate::Client::builder("token")
            .base_url("https://example.com/api")
            .build();
        assert_eq!(built.is_ok(), HAS_TLS, "{:?}", built.err());
    }
}
