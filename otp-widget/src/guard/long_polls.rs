//! Long-polls held for browsers: each holds a connection here and one to the service for as
//! long as the service holds it, so they are capped, per client (an IPv6 client by its
//! /64), per session (a session's cookie works from any address) and in all. Past a cap a
//! long-poll is refused (`RateLimitException`, 429) instead of held.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use otp_client::RequestId;

use crate::LongPollCaps;
use crate::keys::client_of;
use crate::refusal::{Reason, Refusal};

/// The guard: how many long-polls are held, per client, per session and in all.
#[derive(Debug)]
pub(crate) struct LongPolls {
    caps: LongPollCaps,
    held: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    per_client: HashMap<IpAddr, usize>,
    per_session: HashMap<RequestId, usize>,
    total: usize,
}

/// One long-poll held: counted until it is dropped (answered, or its browser went away).
pub(crate) struct HeldPoll {
    polls: Arc<LongPolls>,
    client: IpAddr,
    session: RequestId,
}

impl Drop for HeldPoll {
    fn drop(&mut self) {
        let mut counts = self.polls.lock();
        counts.total = counts.total.saturating_sub(1);
        release(&mut counts.per_client, &self.client);
        release(&mut counts.per_session, &self.session);
    }
}

fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

impl LongPolls {
    pub(crate) fn new(caps: LongPollCaps) -> Self {
        Self {
            caps,
            held: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a long-poll of `session` from `ip` as held, or refuses it past a cap.
    pub(crate) fn hold(
        self: &Arc<Self>,
        ip: IpAddr,
        session: &RequestId,
    ) -> Result<HeldPoll, Refusal> {
        let client = client_of(ip);
        let mut counts = self.lock();
        let mine = counts.per_client.get(&client).copied().unwrap_or(0);
        let its = counts.per_session.get(session).copied().unwrap_or(0);
        let caps = &self.caps;
        if mine >= caps.per_client || its >= caps.per_session || counts.total >= caps.total {
            tracing::info!(%client, mine, its, total = counts.total, "a long-poll past the caps: refused");
            return Err(Refusal::rate_limited(
                Reason::LongPollCap,
                Duration::from_secs(1),
            ));
        }
        *counts.per_client.entry(client).or_insert(0) += 1;
        *counts.per_session.entry(*session).or_insert(0) += 1;
        counts.total += 1;
        Ok(HeldPoll {
            polls: self.clone(),
            client,
            session: *session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cap_holds_and_a_dropped_poll_gives_its_place_back() {
        let polls = Arc::new(LongPolls::new(LongPollCaps {
            per_client: 2,
            per_session: 1,
            total: 3,
        }));
        let one: RequestId = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6".parse().unwrap();
        let two: RequestId = "0e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b".parse().unwrap();
        let three: RequestId = "1e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b".parse().unwrap();
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        let held = polls.hold(a, &one).unwrap();
        // One session from a second address: its cap is per session, not per address.
        assert!(
            polls.hold(b, &one).is_err(),
            "a second long-poll of one session"
        );
        let _second = polls.hold(a, &two).unwrap();
        assert!(polls.hold(a, &three).is_err(), "a third of one client");
        let _third = polls.hold(b, &three).unwrap();
        let four: RequestId = "2e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b".parse().unwrap();
        let c: IpAddr = "203.0.113.3".parse().unwrap();
        assert!(polls.hold(c, &four).is_err(), "past the total");
        drop(held);
        assert!(polls.hold(b, &one).is_ok(), "the session's place came back");
    }
}
