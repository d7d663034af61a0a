//! What a `send` must pass before the service is called: a captcha once its IP has used
//! its free sends, and the per-phone limit. Each count is kept in the [`QuotaStore`].

use std::fmt::Write;
use std::net::IpAddr;
use std::time::Duration;

use axum::http::StatusCode;
use otp_client::types::ExceptionType;
use sha2::{Digest, Sha256};

use crate::backend::Shared;
use crate::quota::{QuotaError, QuotaStore};
use crate::reply::Refusal;

/// How long a captcha token stays spent: longer than any provider lets one live (Google
/// 2 minutes, Cloudflare 5).
const TOKEN_MEMORY: Duration = Duration::from_secs(600);

impl Shared {
    pub(crate) fn key(&self, kind: &str, id: &str) -> String {
        self.key_with_room(kind, id, 0)
    }

    /// [`key`](Self::key), allocated with `room` bytes more for the caller to append.
    fn key_with_room(&self, kind: &str, id: &str, room: usize) -> String {
        let mut key =
            String::with_capacity(self.key_prefix.len() + kind.len() + id.len() + 2 + room);
        for part in [self.key_prefix.as_str(), ":", kind, ":", id] {
            key.push_str(part);
        }
        key
    }

    /// The quota key of `kind` for a client address, by what the address is counted as: an
    /// IPv6 client by its /64 (one subscriber gets a whole /64, and could otherwise pick a
    /// fresh address per `send`). Built by hand: it is made on every request, and the
    /// formatter's machinery costs more than the rest of the key.
    fn ip_key(&self, kind: &str, ip: IpAddr) -> String {
        // Room for the longest address written here (`ffff:ffff:ffff:ffff::/64`, 24 bytes;
        // an IPv4 address takes 15): the key is allocated once.
        let mut key = self.key_with_room(kind, "", 24);
        match ip {
            IpAddr::V4(v4) => push_ipv4(&mut key, v4),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                let _ = write!(key, "{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]);
            }
        }
        key
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
        let admitted = self
            .count_against(
                &*self.request_store,
                self.request_limit,
                "per-IP request limit",
                || self.ip_key("requests", ip),
            )
            .await;
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
        self.count_against(
            &*self.store,
            self.limits.per_number,
            "per-session resend limit",
            || self.key("resend", id),
        )
        .await
    }

    /// Counts one more event under the key `key` makes, in `store`, against `limit` events
    /// per window (none: nothing is counted); past it, `RateLimitException` with how long
    /// to wait.
    async fn count_against(
        &self,
        store: &dyn QuotaStore,
        limit: Option<(u32, Duration)>,
        name: &'static str,
        key: impl FnOnce() -> String,
    ) -> Result<(), Refusal> {
        let Some((limit, window)) = limit else {
            return Ok(());
        };
        let hit = store.hit(&key(), window).await.map_err(store_failed)?;
        if hit.count > u64::from(limit) {
            tracing::debug!(limit = name, "over the limit: refusing");
            return Err(rate_limited(hit.resets_in.min(self.max_retry_after)));
        }
        Ok(())
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

/// Appends `ip` as its `Display` writes it.
fn push_ipv4(out: &mut String, ip: std::net::Ipv4Addr) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(out, octet);
    }
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut String, n: u8) {
    if n >= 100 {
        out.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_digit_by_digit_is_what_its_display_writes() {
        for octet in [0u8, 7, 9, 10, 42, 99, 100, 199, 200, 255] {
            let ip = std::net::Ipv4Addr::new(octet, 255 - octet, 1, octet);
            let mut written = String::from("prefix:");
            push_ipv4(&mut written, ip);
            assert_eq!(written, format!("prefix:{ip}"));
        }
    }
}
