//! What sends may cost: the countries a back end sends to, and the limits on sends per
//! number, per number range, per country and in all (a circuit breaker on the bill, shared by
//! replicas through the store). SMS pumping, the fraud these routes attract, sends to many
//! numbers of a few ranges the attacker is paid for: a per-number limit alone does not stop
//! it, a range limit and a global cap do.
//!
//! A send is charged to every limit at once, and a send that is refused, by a limit or by
//! the service, is taken back from every one: what sent nothing costs nothing, so nobody can
//! use up a victim's number, range or the site's cap with refused requests.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::backend::Shared;
use crate::reply::Refusal;

/// The number a `send` goes to, as the limits see it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// E.164.
    pub(crate) e164: String,
    /// The number's region (ISO 3166-1 alpha-2), when its country has one.
    pub(crate) region: Option<String>,
}

/// The limits of sends, with their defaults (see [`crate::WidgetBackendBuilder`]).
#[derive(Debug, Clone)]
pub(crate) struct SendLimits {
    /// Sends per number per window.
    pub(crate) per_number: Option<(u32, Duration)>,
    /// Sends per number range (the E.164 prefix of `digits` digits) per window.
    pub(crate) per_range: Option<(usize, u32, Duration)>,
    /// Sends per country per window.
    pub(crate) per_country: Option<(u32, Duration)>,
    /// Sends in all per window, across replicas.
    pub(crate) global: Option<(u32, Duration)>,
    /// The regions sends may go to; empty: any.
    pub(crate) countries: Vec<String>,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self {
            per_number: Some((3, Duration::from_secs(60))),
            per_range: Some((8, 20, Duration::from_secs(3600))),
            per_country: Some((1000, Duration::from_secs(3600))),
            global: Some((5000, Duration::from_secs(24 * 3600))),
            countries: vec!["RU".into()],
        }
    }
}

impl Shared {
    /// Whether the back end sends to `target`'s country.
    pub(crate) fn sends_to(&self, target: &Target) -> bool {
        let countries = &self.limits.countries;
        countries.is_empty()
            || target
                .region
                .as_ref()
                .is_some_and(|r| countries.iter().any(|c| c.eq_ignore_ascii_case(r)))
    }

    /// The limits a send to `target` is counted against, with their keys and names, the
    /// narrowest first: a send refused by its number's limit never touches the wider counts,
    /// even for a moment.
    fn charges(&self, target: &Target) -> Vec<(String, u32, Duration, &'static str)> {
        let hashed =
            |kind: &str, text: &str| self.key(kind, &hex::encode(Sha256::digest(text.as_bytes())));
        let limits = &self.limits;
        let mut charges = Vec::new();
        if let Some((limit, window)) = limits.per_number {
            let key = hashed("phone", &target.e164);
            charges.push((key, limit, window, "per_number_limit"));
        }
        if let Some((digits, limit, window)) = limits.per_range {
            let range = target.e164.get(..1 + digits).unwrap_or(&target.e164);
            charges.push((hashed("range", range), limit, window, "per_range_limit"));
        }
        if let (Some((limit, window)), Some(region)) = (limits.per_country, &target.region) {
            let key = self.key("country", region);
            charges.push((key, limit, window, "per_country_limit"));
        }
        charges.extend(self.global_charge());
        charges
    }

    /// The global cap's charge, when there is a cap: the same key for sends and resends.
    fn global_charge(&self) -> Option<(String, u32, Duration, &'static str)> {
        let (limit, window) = self.limits.global?;
        Some((self.key("sends", "all"), limit, window, "global_send_cap"))
    }

    /// Charges a resend of a session: each sends a message, so the global cap counts it
    /// (the router does not know the session's number; its per-session limit is the gate's).
    pub(crate) async fn charge_resend(&self) -> Result<Charged, Refusal> {
        self.charge(self.global_charge().into_iter().collect(), None)
            .await
    }

    /// Charges a send to `target` to every limit; past one, takes back every charge it made
    /// and refuses (`RateLimitException`, 429, with how long to wait).
    pub(crate) async fn charge_send(&self, target: &Target) -> Result<Charged, Refusal> {
        self.charge(self.charges(target), target.region.as_deref())
            .await
    }

    /// Charges each of `charges` in turn; past one, takes back all it charged, that one
    /// included, and refuses; on a store failure, takes back those it knows it made.
    async fn charge(
        &self,
        charges: Vec<(String, u32, Duration, &'static str)>,
        region: Option<&str>,
    ) -> Result<Charged, Refusal> {
        let mut charged = Charged::default();
        for (key, limit, window, name) in charges {
            let hit = match crate::gate::hit(&*self.store, &key, window).await {
                Ok(hit) => hit,
                Err(e) => {
                    self.take_back(charged).await;
                    crate::metrics::refused("store_failed", region);
                    return Err(crate::gate::store_failed(e));
                }
            };
            charged.0.push((key, hit.window));
            if hit.count > u64::from(limit) {
                tracing::info!(limit = name, "over the limit: refusing a send");
                crate::metrics::refused(name, region);
                self.take_back(charged).await;
                return Err(self.past_limit(&hit));
            }
        }
        Ok(charged)
    }

    /// Takes back `charged`, a send's or a resend's, when it sent nothing: the service
    /// refused it (an error answer below 500), or it never reached the service. Each count
    /// goes back to the window it was made in, and to no later one.
    pub(crate) async fn refund(&self, charged: Charged, error: &otp_client::Error) {
        if sent_nothing(error) {
            self.take_back(charged).await;
        }
    }

    async fn take_back(&self, charged: Charged) {
        for (key, window) in charged.0 {
            if let Err(e) = self.store.release(&key, window).await {
                tracing::warn!(error = %e, "a refused send's count could not be taken back");
            }
        }
    }
}

/// What a send or a resend was charged: each key, with the window that counted it.
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
