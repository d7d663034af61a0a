//! The captcha after the free sends: each client (an IPv6 client by its /64) gets a number of
//! sends (and resends) per window without one; past them, a send needs a token the provider
//! confirms, accepted once.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use otp_client::types::ExceptionType;

use crate::guard::store_failed;
use crate::keys::Keys;
use crate::quota::QuotaStore;
use crate::refusal::{Reason, Refusal};
use crate::{Captcha, Ipv6Aggregates};

/// How long a captcha token stays spent: longer than any provider lets one live (Google
/// 2 minutes, Cloudflare 5).
const TOKEN_MEMORY: Duration = Duration::from_secs(600);

/// The guard.
pub(crate) struct CaptchaGate {
    captcha: Option<Captcha>,
    ipv6: Ipv6Aggregates,
    /// The HTTP client that asks the provider (no redirects).
    http: reqwest::Client,
    store: Arc<dyn QuotaStore>,
    keys: Keys,
}

impl CaptchaGate {
    pub(crate) fn new(
        captcha: Option<Captcha>,
        ipv6: Ipv6Aggregates,
        http: reqwest::Client,
        store: Arc<dyn QuotaStore>,
        keys: Keys,
    ) -> Self {
        Self {
            captcha,
            ipv6,
            http,
            store,
            keys,
        }
    }

    /// The captcha settings, if the back end asks for one.
    pub(crate) fn captcha(&self) -> Option<&Captcha> {
        self.captcha.as_ref()
    }

    /// Whether the next send from `ip` needs a captcha (for `getWidget`'s answer).
    pub(crate) async fn required(&self, ip: IpAddr) -> Result<bool, Refusal> {
        let Some(captcha) = &self.captcha else {
            return Ok(false);
        };
        let free = u64::from(captcha.free());
        let used = self
            .store
            .count(&self.keys.ip("ip", ip))
            .await
            .map_err(store_failed)?;
        if used >= free {
            return Ok(true);
        }
        for (bits, times) in self.ipv6.tiers() {
            let Some(key) = self.keys.ipv6_network("ip", ip, bits) else {
                break;
            };
            let used = self.store.count(&key).await.map_err(store_failed)?;
            if used >= free.saturating_mul(u64::from(times)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Counts a send from `ip` under its client group and, for IPv6, its /56 and /48;
    /// whether any is past its free sends.
    async fn past_free(&self, captcha: &Captcha, ip: IpAddr) -> Result<bool, Refusal> {
        let free = u64::from(captcha.free());
        let counted = self
            .store
            .hit(&self.keys.ip("ip", ip), captcha.window())
            .await
            .map_err(store_failed)?;
        let mut past = counted.count > free;
        for (bits, times) in self.ipv6.tiers() {
            let Some(key) = self.keys.ipv6_network("ip", ip, bits) else {
                break;
            };
            let counted = self
                .store
                .hit(&key, captcha.window())
                .await
                .map_err(store_failed)?;
            past |= counted.count > free.saturating_mul(u64::from(times));
        }
        Ok(past)
    }

    /// Counts a send (or a resend) from `ip`; past the client's free ones, admits it only
    /// with a `token` the provider confirms and that was not used before.
    pub(crate) async fn admit(&self, ip: IpAddr, token: Option<&str>) -> Result<(), Refusal> {
        let Some(captcha) = &self.captcha else {
            return Ok(());
        };
        if !self.past_free(captcha, ip).await? {
            return Ok(());
        }
        let not_confirmed = || {
            Refusal::of(
                Reason::Captcha,
                ExceptionType::CaptchaNotConfirmedException,
                StatusCode::FORBIDDEN,
            )
        };
        // Compared after trimming: ` token` is `token`, and spends it.
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(not_confirmed());
        };
        // The provider first: only a token it confirms is remembered, so that junk tokens
        // cannot fill the store.
        let verdict = captcha.verify(&self.http, token, ip).await;
        crate::metrics::captcha_checked(verdict.is_ok());
        if let Err(reason) = verdict {
            tracing::info!(%ip, reason, "captcha refused");
            return Err(not_confirmed());
        }
        let spent = self.keys.hashed("captcha", token);
        if !self
            .store
            .first_use(&spent, TOKEN_MEMORY)
            .await
            .map_err(store_failed)?
        {
            tracing::info!(%ip, "captcha refused: the token was used before");
            return Err(not_confirmed());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    #[tokio::test]
    async fn past_the_free_sends_a_send_without_a_token_is_refused() {
        let gate = CaptchaGate::new(
            Some(Captcha::google("s").free_sends(2, Duration::from_secs(60))),
            Ipv6Aggregates {
                per_56: 4,
                per_48: 16,
            },
            reqwest::Client::new(),
            Arc::new(MemoryStore::new(100)),
            Keys::new("t"),
        );
        let ip: IpAddr = "203.0.113.1".parse().unwrap();
        assert!(!gate.required(ip).await.unwrap());
        assert!(gate.admit(ip, None).await.is_ok());
        assert!(gate.admit(ip, None).await.is_ok());
        assert!(gate.required(ip).await.unwrap(), "the free sends are used");
        assert!(gate.admit(ip, None).await.is_err());
        assert!(gate.admit(ip, Some("   ")).await.is_err(), "a blank token");
        let other: IpAddr = "203.0.113.2".parse().unwrap();
        assert!(gate.admit(other, None).await.is_ok(), "another client");
    }

    #[tokio::test]
    async fn without_a_captcha_every_send_passes() {
        let gate = CaptchaGate::new(
            None,
            Ipv6Aggregates {
                per_56: 1,
                per_48: 1,
            },
            reqwest::Client::new(),
            Arc::new(MemoryStore::new(1)),
            Keys::new("t"),
        );
        for _ in 0..5 {
            assert!(
                gate.admit("203.0.113.1".parse().unwrap(), None)
                    .await
                    .is_ok()
            );
        }
    }
}
