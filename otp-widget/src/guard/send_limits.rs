//! What sends may cost: the countries a back end sends to, and the limits on sends per
//! number, per number range, per country and in all (a circuit breaker on the bill, shared by
//! replicas through the store); and the per-session limit on resends. SMS pumping, the fraud
//! these routes attract, sends to many numbers of a few ranges the attacker is paid for: a
//! per-number limit alone does not stop it, a range limit and a global cap do.
//!
//! A send is charged to every limit at once, and a send that is refused, by a limit or by
//! the service, is taken back from every one: what sent nothing costs nothing, so nobody can
//! use up a victim's number, range or the site's cap with refused requests.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::guard::{past_limit, store_failed};
use crate::keys::Keys;
use crate::quota::QuotaStore;
use crate::refusal::{Reason, Refusal};
use crate::{Limit, RangeLimit};

/// The number a `send` goes to, as the limits see it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// E.164.
    pub(crate) e164: String,
    /// The number's region (ISO 3166-1 alpha-2), when its country has one.
    pub(crate) region: Option<String>,
    /// What kind of line it is; `None` for a test number no numbering plan has.
    pub(crate) kind: Option<otp_client::NumberType>,
}

/// The limits of sends (see [`crate::WidgetBackendBuilder`] for their defaults).
#[derive(Debug, Clone)]
pub(crate) struct SendLimitSettings {
    /// Sends per number per window, and resends per session.
    pub(crate) per_number: Option<Limit>,
    /// Sends per number range per window.
    pub(crate) per_range: Option<RangeLimit>,
    /// Sends per country per window.
    pub(crate) per_country: Option<Limit>,
    /// Sends in all per window, across replicas.
    pub(crate) global: Option<Limit>,
    /// The regions sends may go to; empty: any.
    pub(crate) countries: Vec<String>,
    /// The kinds of line sends may go to.
    pub(crate) number_types: Vec<otp_client::NumberType>,
}

impl Default for SendLimitSettings {
    fn default() -> Self {
        let d = &crate::DEFAULTS;
        Self {
            per_number: Some(d.per_phone),
            per_range: Some(d.per_range),
            per_country: Some(d.per_country),
            global: Some(d.global),
            countries: d.countries.iter().map(|c| c.to_string()).collect(),
            number_types: d.number_types.to_vec(),
        }
    }
}

/// The guard.
pub(crate) struct SendLimits {
    settings: SendLimitSettings,
    store: Arc<dyn QuotaStore>,
    keys: Keys,
    max_wait: Duration,
}

/// One limit a send is charged to: its key, its limit, and the reason of a refusal past it.
struct Charge {
    key: String,
    limit: Limit,
    reason: Reason,
}

impl SendLimits {
    pub(crate) fn new(
        settings: SendLimitSettings,
        store: Arc<dyn QuotaStore>,
        keys: Keys,
        max_wait: Duration,
    ) -> Self {
        Self {
            settings,
            store,
            keys,
            max_wait,
        }
    }

    /// The settings, for the back end's `Debug`.
    pub(crate) fn settings(&self) -> &SendLimitSettings {
        &self.settings
    }

    /// Whether the back end sends to `target`'s country.
    pub(crate) fn sends_to(&self, target: &Target) -> bool {
        let countries = &self.settings.countries;
        countries.is_empty()
            || target
                .region
                .as_ref()
                .is_some_and(|r| countries.iter().any(|c| c.eq_ignore_ascii_case(r)))
    }

    /// Whether the back end sends to `target`'s kind of line (a test number: yes).
    pub(crate) fn sends_to_type(&self, target: &Target) -> bool {
        target
            .kind
            .is_none_or(|kind| self.settings.number_types.contains(&kind))
    }

    /// The hashes a message to `target` is counted under: its number's and its range's
    /// (the store's keys, and a session cookie's charges, never hold the number itself).
    fn hashes(&self, target: &Target) -> (String, String) {
        let digits = self.settings.per_range.map_or(0, |r| r.digits);
        let range = target.e164.get(..1 + digits).unwrap_or(&target.e164);
        (
            hex::encode(Sha256::digest(target.e164.as_bytes())),
            hex::encode(Sha256::digest(range.as_bytes())),
        )
    }

    /// The limits a send to `target` is counted against, the narrowest first: a send
    /// refused by its number's limit never touches the wider counts, even for a moment.
    fn charges(&self, target: &Target) -> Vec<Charge> {
        let (number, range) = self.hashes(target);
        self.charges_of(&number, &range, target.region.as_deref())
    }

    /// The charges of a message to the number and range of these hashes, in `region`: its
    /// number's, range's and country's limits, and the global cap, the narrowest first.
    fn charges_of(&self, number: &str, range: &str, region: Option<&str>) -> Vec<Charge> {
        let s = &self.settings;
        let mut charges = Vec::new();
        if let Some(limit) = s.per_number {
            let key = self.keys.sliding("phone", number);
            charges.push(Charge {
                key,
                limit,
                reason: Reason::PerNumberLimit,
            });
        }
        if let Some(range_limit) = s.per_range {
            let key = self.keys.sliding("range", range);
            charges.push(Charge {
                key,
                limit: range_limit.limit,
                reason: Reason::PerRangeLimit,
            });
        }
        if let Some(limit) = s.per_country {
            // A number of no region (`+882…`, `+883…`) counts under a key of its own.
            let key = self
                .keys
                .sliding("country", region.unwrap_or("non-geographic"));
            charges.push(Charge {
                key,
                limit,
                reason: Reason::PerCountryLimit,
            });
        }
        charges.extend(self.global_charge());
        charges
    }

    /// The global cap's charge, when there is a cap: the same key for sends and resends.
    fn global_charge(&self) -> Option<Charge> {
        let limit = self.settings.global?;
        let key = self.keys.sliding("sends", "all");
        Some(Charge {
            key,
            limit,
            reason: Reason::GlobalSendCap,
        })
    }

    /// What a session's sends are charged to, for its cookie to carry (so that its resends
    /// are charged as its send was): `{region}~{number's hash}~{range's hash}`, the hashes
    /// the store's keys use (never the number itself).
    pub(crate) fn session_charges(&self, target: &Target) -> String {
        let (number, range) = self.hashes(target);
        format!(
            "{}~{number}~{range}",
            target.region.as_deref().unwrap_or("")
        )
    }

    /// The charges of a resend of a session whose cookie carries `session` (see
    /// [`session_charges`](Self::session_charges)): its number's, range's and country's
    /// limits and the global cap, as its send was; the global cap alone for a session the
    /// application's server started (no charges in its cookie).
    fn resend_charges(&self, session: &str) -> Vec<Charge> {
        let hex = |t: &str| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit());
        let mut parts = session.split('~');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(region), Some(number), Some(range), None) if hex(number) && hex(range) => {
                self.charges_of(number, range, Some(region).filter(|r| !r.is_empty()))
            }
            _ => self.global_charge().into_iter().collect(),
        }
    }

    /// Admits a resend of session `id`, whose cookie carries `session`'s charges: each
    /// resend sends a message, so a session gets the per-number limit's count of them per
    /// window (kept: it also limits asking), and each is charged to every limit its send was
    /// charged to.
    pub(crate) async fn charge_resend(&self, id: &str, session: &str) -> Result<Charged, Refusal> {
        if let Some(limit) = self.settings.per_number {
            let counted = self
                .store
                .hit_sliding(&self.keys.sliding("resend", id), limit.per)
                .await
                .map_err(store_failed)?;
            if counted.count > u64::from(limit.count) {
                tracing::debug!("over the per-session resend limit: refusing");
                return Err(past_limit(
                    Reason::PerSessionResendLimit,
                    &counted,
                    self.max_wait,
                ));
            }
        }
        let region = session.split('~').next().filter(|r| !r.is_empty());
        self.charge(self.resend_charges(session), region).await
    }

    /// Charges a send to `target` to every limit; past one, takes back every charge it made
    /// and refuses (`RateLimitException`, 429, with how long to wait).
    pub(crate) async fn charge_send(&self, target: &Target) -> Result<Charged, Refusal> {
        self.charge(self.charges(target), target.region.as_deref())
            .await
    }

    /// Charges each of `charges` in turn; past one, takes back all it charged, that one
    /// included, and refuses; on a store failure, takes back those it knows it made.
    async fn charge(&self, charges: Vec<Charge>, region: Option<&str>) -> Result<Charged, Refusal> {
        let mut charged = Charged::default();
        for Charge { key, limit, reason } in charges {
            let counted = match self.store.hit_sliding(&key, limit.per).await {
                Ok(counted) => counted,
                Err(e) => {
                    self.take_back(charged).await;
                    return Err(store_failed(e).in_country(region));
                }
            };
            charged.0.push((key, counted.window));
            if counted.count > u64::from(limit.count) {
                tracing::info!(limit = reason.as_str(), "over the limit: refusing a send");
                self.take_back(charged).await;
                return Err(past_limit(reason, &counted, self.max_wait).in_country(region));
            }
        }
        Ok(charged)
    }

    /// Takes back `charged`, a send's or a resend's, when it sent nothing: the service
    /// refused it (an error answer below 500), or it never reached the service. Each event
    /// leaves the sliding window it was counted in.
    pub(crate) async fn refund(&self, charged: Charged, error: &otp_client::Error) {
        if sent_nothing(error) {
            self.take_back(charged).await;
        }
    }

    async fn take_back(&self, charged: Charged) {
        for (key, window) in charged.0 {
            if let Err(e) = self.store.release_event(&key, window).await {
                tracing::warn!(error = %e, "a refused send's count could not be taken back");
            }
        }
    }
}

/// What a send or a resend was charged: each key, with the event that counted there.
#[derive(Debug, Default)]
#[must_use = "a refused send's charges are taken back with `refund`"]
pub(crate) struct Charged(Vec<(String, u64)>);

/// Whether a failed call sent nothing: the service refused it (an error answer below 500), or
/// it never reached the service.
fn sent_nothing(error: &otp_client::Error) -> bool {
    let refused = error
        .status()
        .is_some_and(|s| s.is_client_error() && error.api().is_some());
    refused || !error.may_have_been_sent()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn limits(store: Arc<dyn QuotaStore>) -> SendLimits {
        SendLimits::new(
            SendLimitSettings {
                per_number: Some(Limit::per_minute(2)),
                per_range: Some(RangeLimit {
                    digits: 4,
                    limit: Limit::per_minute(3),
                }),
                per_country: Some(Limit::per_minute(10)),
                global: Some(Limit::per_minute(10)),
                countries: vec!["RU".into()],
                number_types: vec![otp_client::NumberType::Mobile],
            },
            store,
            Keys::new("t"),
            Duration::from_secs(600),
        )
    }

    fn target(e164: &str) -> Target {
        Target {
            e164: e164.into(),
            region: Some("RU".into()),
            kind: Some(otp_client::NumberType::Mobile),
        }
    }

    #[tokio::test]
    async fn a_send_past_a_limit_is_refused_and_charges_nothing() {
        let store: Arc<dyn QuotaStore> = Arc::new(MemoryStore::new(100));
        let guard = limits(store.clone());
        for number in ["+79991110001", "+79991110002", "+79991110003"] {
            let _charged = guard.charge_send(&target(number)).await.unwrap();
        }
        // The range (+7999) is full: the fourth number is refused, its own count taken back.
        assert!(guard.charge_send(&target("+79991110004")).await.is_err());
        let (number, _) = guard.hashes(&target("+79991110004"));
        let phone = guard.keys.sliding("phone", &number);
        assert_eq!(
            store
                .hit_sliding(&phone, Duration::from_secs(60))
                .await
                .unwrap()
                .count,
            1,
            "this hit alone: the refused send's count was taken back"
        );
        let global = guard.keys.sliding("sends", "all");
        assert_eq!(
            store
                .hit_sliding(&global, Duration::from_secs(60))
                .await
                .unwrap()
                .count,
            4,
            "the three sends and this hit: the refused send was taken back"
        );
    }

    #[tokio::test]
    async fn a_resend_is_charged_as_its_send_was_and_a_forged_cookie_only_to_the_cap() {
        let store: Arc<dyn QuotaStore> = Arc::new(MemoryStore::new(100));
        let guard = limits(store);
        let sent = target("+79991110001");
        let _charged = guard.charge_send(&sent).await.unwrap();
        let session = guard.session_charges(&sent);
        assert!(session.starts_with("RU~"), "{session}");
        assert!(!session.contains("7999111"), "the number itself: {session}");
        // The number's limit (2) is spent by the send and one resend.
        let _charged = guard.charge_resend("s1", &session).await.unwrap();
        assert!(guard.charge_resend("s1", &session).await.is_err());
        // Charges that are not the cookie's shape count against the global cap alone.
        let charges = guard.resend_charges("RU~nothex~0");
        assert_eq!(charges.len(), 1);
        assert_eq!(charges[0].reason, Reason::GlobalSendCap);
        assert_eq!(guard.resend_charges("").len(), 1);
    }

    #[test]
    fn countries_and_kinds_of_line_are_checked() {
        let guard = limits(Arc::new(MemoryStore::new(10)));
        assert!(guard.sends_to(&target("+79991110001")));
        let kz = Target {
            region: Some("KZ".into()),
            ..target("+77011234567")
        };
        assert!(!guard.sends_to(&kz));
        let premium = Target {
            kind: Some(otp_client::NumberType::PremiumRate),
            ..target("+78091234567")
        };
        assert!(!guard.sends_to_type(&premium));
        let test_number = Target {
            kind: None,
            ..target("+70000000001")
        };
        assert!(guard.sends_to_type(&test_number));
    }
}
