//! What a `send` must pass before the service is called: a captcha once its IP has used
//! its free sends, and the per-phone limit. Each count is kept in the [`QuotaStore`].

use std::fmt::Write;
use std::net::IpAddr;
use std::time::Duration;

use axum::http::StatusCode;
use otp_client::types::ExceptionType;
use sha2::{Digest, Sha256};

use crate::backend::Shared;
use crate::quota::{Hit, QuotaError, QuotaStore};
use crate::reply::Refusal;

/// How long a captcha token stays spent: longer than any provider lets one live (Google
/// 2 minutes, Cloudflare 5).
const TOKEN_MEMORY: Duration = Duration::from_secs(600);

impl Shared {
    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        let mut key = String::with_capacity(self.key_prefix.len() + kind.len() + id.len() + 2);
        for part in [self.key_prefix.as_str(), ":", kind, ":", id] {
            key.push_str(part);
        }
        key
    }

    /// The quota key of `kind` for a client address, by what the address is counted as: an
    /// IPv6 client by its /64 (one subscriber gets a whole /64, and could otherwise pick a
    /// fresh address per `send`).
    fn ip_key(&self, kind: &str, ip: IpAddr) -> String {
        // Room for the longest address written here (`ffff:ffff:ffff:ffff::/64`, 24 bytes;
        // an IPv4 address takes 15): the key is allocated once.
        let mut key = String::with_capacity(self.key_prefix.len() + kind.len() + 2 + 24);
        let _ = self.write_ip_key(&mut key, kind, ip);
        key
    }

    /// Writes [`ip_key`](Self::ip_key)'s key to `out`. By hand: it is made on every request,
    /// and the formatter's machinery costs more than the rest of the key.
    fn write_ip_key(&self, out: &mut impl Write, kind: &str, ip: IpAddr) -> std::fmt::Result {
        for part in [self.key_prefix.as_str(), ":", kind, ":"] {
            out.write_str(part)?;
        }
        match ip {
            IpAddr::V4(v4) => push_ipv4(out, v4),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                write!(out, "{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
    }

    /// Whether the next `send` from `ip` needs a captcha (for `getWidget`'s answer).
    pub(crate) async fn captcha_required(&self, ip: IpAddr) -> Result<bool, Refusal> {
        let Some(captcha) = &self.captcha else {
            return Ok(false);
        };
        let used = self
            .store
            .count(&self.ip_key("ip", ip))
            .await
            .map_err(store_failed)?;
        Ok(used >= u64::from(captcha.free()))
    }

    /// Lets a `send` to `target` from `ip` through, or says why not: the captcha, then the
    /// send limits (see `spend`).
    pub(crate) async fn admit_send(
        &self,
        ip: IpAddr,
        target: &crate::spend::Target,
        captcha_token: Option<&str>,
    ) -> Result<crate::spend::Charged, Refusal> {
        if let Some(captcha) = &self.captcha {
            let hit = self
                .store
                .hit(&self.ip_key("ip", ip), captcha.window())
                .await
                .map_err(store_failed)?;
            if hit.count > u64::from(captcha.free()) {
                let not_confirmed = || {
                    Refusal::of(
                        ExceptionType::CaptchaNotConfirmedException,
                        StatusCode::FORBIDDEN,
                    )
                };
                // Compared after trimming: ` token` is `token`, and spends it.
                let Some(token) = captcha_token.map(str::trim).filter(|t| !t.is_empty()) else {
                    crate::metrics::refused("captcha", None);
                    return Err(not_confirmed());
                };
                // The provider first: only a token it confirms is remembered, so that junk
                // tokens cannot fill the store.
                let verdict = captcha.verify(&self.captcha_http, token, ip).await;
                crate::metrics::captcha_checked(verdict.is_ok());
                if let Err(reason) = verdict {
                    tracing::info!(%ip, reason, "captcha refused");
                    crate::metrics::refused("captcha", None);
                    return Err(not_confirmed());
                }
                let spent = self.key("captcha", &hex::encode(Sha256::digest(token.as_bytes())));
                if !self
                    .store
                    .first_use(&spent, TOKEN_MEMORY)
                    .await
                    .map_err(store_failed)?
                {
                    tracing::info!(%ip, "captcha refused: the token was used before");
                    crate::metrics::refused("captcha", None);
                    return Err(not_confirmed());
                }
            }
        }
        self.charge_send(target).await
    }
}

impl Shared {
    /// Counts a request from `ip` against the per-IP request limit; the refusal past it.
    pub(crate) async fn admit_request(&self, ip: IpAddr) -> Result<(), Refusal> {
        let Some((limit, window)) = self.request_limit else {
            return Ok(());
        };
        // A store that answers at once (the default, in memory) is given a key written on the
        // stack; one that waits, a key of its own.
        let now = {
            let mut key = StackKey::default();
            match (self.write_ip_key(&mut key, "requests", ip), key.as_str()) {
                (Ok(()), Some(key)) => self.request_store.hit_now(key, window),
                _ => None,
            }
        };
        let hit = match now {
            Some(hit) => hit,
            None => hit(&*self.request_store, &self.ip_key("requests", ip), window).await,
        };
        let admitted = self.judge(hit, limit, "per-IP request limit");
        if let Err(refusal) = &admitted {
            let reason = if refusal.status() == StatusCode::TOO_MANY_REQUESTS {
                "per_ip_limit"
            } else {
                "store_failed"
            };
            crate::metrics::refused(reason, None);
        }
        admitted
    }

    /// Lets a `resend` of session `id` through: each one sends a message, so a session gets
    /// the per-phone limit's number of them per window (the router does not know its phone).
    pub(crate) async fn admit_resend(&self, id: &str) -> Result<(), Refusal> {
        let Some((limit, window)) = self.limits.per_number else {
            return Ok(());
        };
        let counted = hit(&*self.store, &self.key("resend", id), window).await;
        self.judge(counted, limit, "per-session resend limit")
    }

    /// The refusal for a count past `limit` (`RateLimitException`, with how long to wait),
    /// or for a store that failed.
    fn judge(
        &self,
        hit: Result<Hit, QuotaError>,
        limit: u32,
        name: &'static str,
    ) -> Result<(), Refusal> {
        let hit = hit.map_err(store_failed)?;
        if hit.count > u64::from(limit) {
            tracing::debug!(limit = name, "over the limit: refusing");
            return Err(self.past_limit(&hit));
        }
        Ok(())
    }

    /// `RateLimitException` for a count past its limit: wait until its window ends, at most
    /// the back end's `max_retry_after`.
    pub(crate) fn past_limit(&self, hit: &Hit) -> Refusal {
        rate_limited(hit.resets_in.min(self.max_retry_after))
    }
}

/// Counts one more event under `key` in `store`: at once where the store can
/// ([`QuotaStore::hit_now`]), else by waiting for it.
pub(crate) async fn hit(
    store: &dyn QuotaStore,
    key: &str,
    window: Duration,
) -> Result<Hit, QuotaError> {
    match store.hit_now(key, window) {
        Some(hit) => hit,
        None => store.hit(key, window).await,
    }
}

/// A key written on the stack, for a store that answers at once: no allocation on the
/// request's path. Writing fails when the key does not fit (a long `key_prefix`).
struct StackKey {
    bytes: [u8; 96],
    len: usize,
}

impl Default for StackKey {
    fn default() -> Self {
        Self {
            bytes: [0; 96],
            len: 0,
        }
    }
}

impl Write for StackKey {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl StackKey {
    /// The key (only whole `str`s are written: always UTF-8, so never `None`).
    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes[..self.len]).ok()
    }
}

/// `RateLimitException` (429), with how long to wait.
pub(crate) fn rate_limited(wait: Duration) -> Refusal {
    Refusal::of(
        ExceptionType::RateLimitException,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .retry_after(wait)
}

/// A store that cannot answer refuses: the quotas fail closed.
pub(crate) fn store_failed(e: QuotaError) -> Refusal {
    tracing::error!(error = %e, "the quota store failed: refusing");
    Refusal::internal()
}

/// Writes `ip` as its `Display` writes it.
fn push_ipv4(out: &mut impl Write, ip: std::net::Ipv4Addr) -> std::fmt::Result {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.write_char('.')?;
        }
        push_decimal(out, octet)?;
    }
    Ok(())
}

/// Writes `n` in decimal.
fn push_decimal(out: &mut impl Write, n: u8) -> std::fmt::Result {
    if n >= 100 {
        out.write_char(char::from(b'0' + n / 100))?;
    }
    if n >= 10 {
        out.write_char(char::from(b'0' + n / 10 % 10))?;
    }
    out.write_char(char::from(b'0' + n % 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_digit_by_digit_is_what_its_display_writes() {
        for octet in [0u8, 7, 9, 10, 42, 99, 100, 199, 200, 255] {
            let ip = std::net::Ipv4Addr::new(octet, 255 - octet, 1, octet);
            let mut written = String::from("prefix:");
            push_ipv4(&mut written, ip).unwrap();
            assert_eq!(written, format!("prefix:{ip}"));
        }
    }

    #[test]
    fn a_stack_key_holds_what_fits_and_refuses_the_rest() {
        let mut key = StackKey::default();
        key.write_str("otp-widget:requests:").unwrap();
        push_ipv4(&mut key, std::net::Ipv4Addr::new(192, 168, 100, 255)).unwrap();
        assert_eq!(key.as_str(), Some("otp-widget:requests:192.168.100.255"));
        let mut full = StackKey::default();
        assert!(full.write_str(&"x".repeat(97)).is_err(), "97 bytes in 96");
        assert_eq!(
            full.as_str(),
            Some(""),
            "nothing written of what did not fit"
        );
    }
}
