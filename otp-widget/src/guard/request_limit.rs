//! The per-client request limit, on every route: each request spends the service's quota of
//! the back end's token. It counts in a store of its own, so that requests from many
//! addresses (free to send: one key each) can only push out each other's counts, never a
//! client's captcha or send counts.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::guard::{hit, past_limit, store_failed};
use crate::keys::{Keys, StackKey};
use crate::quota::{Hit, QuotaError, QuotaStore};
use crate::refusal::{Reason, Refusal};
use crate::{Ipv6Aggregates, Limit};

/// The guard.
pub(crate) struct RequestLimit {
    limit: Option<Limit>,
    ipv6: Ipv6Aggregates,
    store: Arc<dyn QuotaStore>,
    keys: Keys,
    max_wait: Duration,
}

impl RequestLimit {
    pub(crate) fn new(
        limit: Option<Limit>,
        ipv6: Ipv6Aggregates,
        store: Arc<dyn QuotaStore>,
        keys: Keys,
        max_wait: Duration,
    ) -> Self {
        Self {
            limit,
            ipv6,
            store,
            keys,
            max_wait,
        }
    }

    /// [`admit`](Self::admit) at once, where it can be decided without waiting: no limit, or
    /// an IPv4 client and a store that answers now ([`QuotaStore::hit_now`]). `None`, having
    /// counted nothing, where it cannot (an IPv6 client, whose networks count too, or a store
    /// that waits): call `admit`. Most requests are decided here, with no future to hold.
    pub(crate) fn admit_now(&self, ip: IpAddr) -> Option<Result<(), Refusal>> {
        let Some(limit) = self.limit else {
            return Some(Ok(()));
        };
        if !ip.to_canonical().is_ipv4() {
            return None;
        }
        // Written on the stack: no allocation on the request's path.
        let mut key = StackKey::default();
        self.keys.write_ip(&mut key, "requests", ip).ok()?;
        let counted = self.store.hit_now(key.as_str()?, limit.per)?;
        Some(self.within(limit, counted))
    }

    /// A request counted in its client's own window, refused past the limit.
    fn within(&self, limit: Limit, counted: Result<Hit, QuotaError>) -> Result<(), Refusal> {
        let counted = counted.map_err(store_failed)?;
        if counted.count > u64::from(limit.count) {
            tracing::debug!("over the per-client request limit: refusing");
            return Err(past_limit(Reason::PerIpLimit, &counted, self.max_wait));
        }
        Ok(())
    }

    /// Counts a request from `ip` (by its client group: an IPv6 client by its /64); past
    /// the limit, `RateLimitException` with how long to wait.
    pub(crate) async fn admit(&self, ip: IpAddr) -> Result<(), Refusal> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        // A store that answers at once (the default, in memory) is given a key written on the
        // stack; one that waits, a key of its own.
        let now = {
            let mut key = StackKey::default();
            match (self.keys.write_ip(&mut key, "requests", ip), key.as_str()) {
                (Ok(()), Some(key)) => self.store.hit_now(key, limit.per),
                _ => None,
            }
        };
        let counted = match now {
            Some(counted) => counted,
            None => hit(&*self.store, &self.keys.ip("requests", ip), limit.per).await,
        };
        self.within(limit, counted)?;
        // An IPv6 client's /56 and /48, each with a multiple of the limit in all.
        for (bits, times) in self.ipv6.tiers() {
            let Some(key) = self.keys.ipv6_network("requests", ip, bits) else {
                break;
            };
            let counted = hit(&*self.store, &key, limit.per)
                .await
                .map_err(store_failed)?;
            if counted.count > u64::from(limit.count).saturating_mul(u64::from(times)) {
                tracing::debug!(bits, "over the request limit of an IPv6 network: refusing");
                return Err(past_limit(Reason::PerIpLimit, &counted, self.max_wait));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    fn limit(count: u32) -> RequestLimit {
        RequestLimit::new(
            Some(Limit::per_minute(count)),
            Ipv6Aggregates {
                per_56: 2,
                per_48: 3,
            },
            Arc::new(MemoryStore::new(1000)),
            Keys::new("t"),
            Duration::from_secs(600),
        )
    }

    #[tokio::test]
    async fn a_client_past_its_limit_is_refused_and_others_are_not() {
        let guard = limit(2);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        assert!(guard.admit(a).await.is_ok());
        assert!(guard.admit(a).await.is_ok());
        assert!(guard.admit(a).await.is_err(), "the third of a");
        assert!(guard.admit(b).await.is_ok(), "b has its own count");
        // An IPv4 address mapped into IPv6 is the same client.
        assert!(
            guard
                .admit("::ffff:203.0.113.2".parse().unwrap())
                .await
                .is_ok()
        );
        assert!(guard.admit(b).await.is_err(), "b's third, mapped or not");
    }

    #[tokio::test]
    async fn a_request_decided_at_once_counts_as_one_that_waits() {
        let guard = limit(2);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        assert!(matches!(guard.admit_now(a), Some(Ok(()))));
        assert!(guard.admit(a).await.is_ok());
        assert!(
            matches!(guard.admit_now(a), Some(Err(_))),
            "the third of a, in the window both counted in"
        );
        // An IPv6 client's networks count too: decided by `admit`, nothing counted here.
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(guard.admit_now(v6).is_none());
        assert!(guard.admit(v6).await.is_ok());
        assert!(guard.admit(v6).await.is_ok(), "admit_now counted nothing");
        // No limit: every request, at once.
        let unlimited = RequestLimit {
            limit: None,
            ..limit(1)
        };
        assert!(matches!(unlimited.admit_now(v6), Some(Ok(()))));
    }

    #[tokio::test]
    async fn the_64s_of_a_56_and_a_48_share_a_multiple_of_the_limit() {
        let guard = limit(1);
        let admitted = |ip: &str| {
            let ip: IpAddr = ip.parse().unwrap();
            let guard = &guard;
            async move { guard.admit(ip).await.is_ok() }
        };
        // Two /64s of one /56: 2 in all.
        assert!(admitted("2001:db8:1:100::1").await);
        assert!(admitted("2001:db8:1:101::1").await);
        assert!(
            !admitted("2001:db8:1:102::1").await,
            "a third /64 of the /56"
        );
        // Another /56 of the same /48: the /48 has 3 in all.
        assert!(admitted("2001:db8:1:200::1").await);
        assert!(
            !admitted("2001:db8:1:300::1").await,
            "a fourth request of the /48"
        );
        assert!(admitted("2001:db8:2::1").await, "another /48");
    }

    #[tokio::test]
    async fn no_limit_admits_everything() {
        let guard = RequestLimit::new(
            None,
            Ipv6Aggregates {
                per_56: 1,
                per_48: 1,
            },
            Arc::new(MemoryStore::new(1)),
            Keys::new("t"),
            Duration::from_secs(1),
        );
        for _ in 0..10 {
            assert!(guard.admit("203.0.113.9".parse().unwrap()).await.is_ok());
        }
    }
}
