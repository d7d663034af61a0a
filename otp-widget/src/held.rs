//! Long-polls held for browsers: each holds a connection here and one to the service for as
//! long as the service holds it, so they are capped, per client and in all. Past a cap a
//! long-poll is refused (`RateLimitException`, 429) instead of held.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::backend::Shared;
use crate::reply::Refusal;

/// How many long-polls are held, per client (an IPv6 client by its /64) and in all.
#[derive(Debug, Default)]
pub(crate) struct Held {
    per_client: Mutex<HashMap<IpAddr, usize>>,
}

/// One long-poll held: counted until it is dropped (answered, or its browser went away).
pub(crate) struct HeldPoll {
    shared: Arc<Shared>,
    client: IpAddr,
}

impl Drop for HeldPoll {
    fn drop(&mut self) {
        let mut counts = self.shared.held.lock();
        if let Some(n) = counts.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

impl Held {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.per_client.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The client a long-poll is counted for: an IPv6 address by its /64.
fn client(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Counts a long-poll from `ip` as held, or refuses it past `shared`'s caps.
pub(crate) fn hold(shared: &Arc<Shared>, ip: IpAddr) -> Result<HeldPoll, Refusal> {
    let client = client(ip);
    let mut counts = shared.held.lock();
    let total: usize = counts.values().sum();
    let mine = counts.get(&client).copied().unwrap_or(0);
    if mine >= shared.max_long_polls_per_client || total >= shared.max_long_polls {
        tracing::info!(%client, mine, total, "a long-poll past the caps: refused");
        crate::metrics::refused("long_poll_cap", None);
        return Err(crate::gate::rate_limited(std::time::Duration::from_secs(1)));
    }
    *counts.entry(client).or_insert(0) += 1;
    Ok(HeldPoll {
        shared: shared.clone(),
        client,
    })
}
