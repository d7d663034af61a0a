//! The widget back end's named settings, and every default, written once: the builder, its
//! docs table and the README's table are all checked against [`DEFAULTS`].

use std::time::Duration;

/// A count per window: at most `count` events (sends, requests) per `per`.
///
/// ```
/// use std::time::Duration;
/// let limit = otp_widget::Limit::new(3, Duration::from_secs(60));
/// assert_eq!(limit, otp_widget::Limit::per_minute(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    /// How many events a window admits.
    pub count: u32,
    /// The window.
    pub per: Duration,
}

impl Limit {
    /// `count` events per `per`.
    pub const fn new(count: u32, per: Duration) -> Self {
        Self { count, per }
    }

    /// `count` events per minute.
    pub const fn per_minute(count: u32) -> Self {
        Self::new(count, Duration::from_secs(60))
    }

    /// `count` events per hour.
    pub const fn per_hour(count: u32) -> Self {
        Self::new(count, Duration::from_secs(3600))
    }

    /// `count` events per day.
    pub const fn per_day(count: u32) -> Self {
        Self::new(count, Duration::from_secs(24 * 3600))
    }
}

/// A limit on the sends to one number range: the E.164 number's first `digits` digits
/// (`+7999123…` with 8: `+79991234`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RangeLimit {
    /// How many digits of the E.164 number (after `+`) make its range.
    pub digits: usize,
    /// The sends a range gets.
    pub limit: Limit,
}

/// How IPv6 clients are grouped beyond their /64: the limits of a /64 (one subscriber's
/// network) apply to each, and the /56 (what an ISP gives one home: 256 /64s) and the /48
/// (what a tunnel broker gives anyone for free: 65,536 /64s) it is in get `per_56` and
/// `per_48` times as much, in all. Without them a /48 is 65,536 budgets of free sends and
/// requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Aggregates {
    /// How many /64s' worth a /56 gets.
    pub per_56: u32,
    /// How many /64s' worth a /48 gets.
    pub per_48: u32,
}

impl Ipv6Aggregates {
    /// The wider networks of `ip` with their multipliers: (prefix length, multiplier).
    pub(crate) fn tiers(self) -> [(u32, u32); 2] {
        [(56, self.per_56), (48, self.per_48)]
    }
}

/// Caps on the long-polls held at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LongPollCaps {
    /// Per client (an IPv6 client by its /64).
    pub per_client: usize,
    /// Per session.
    pub per_session: usize,
    /// In all.
    pub total: usize,
}

/// Every default of [`WidgetBackendBuilder`](crate::WidgetBackendBuilder), in one place.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Defaults {
    /// `per_phone_limit`.
    pub per_phone: Limit,
    /// `per_range_limit`.
    pub per_range: RangeLimit,
    /// `per_country_limit`.
    pub per_country: Limit,
    /// `global_send_cap`.
    pub global: Limit,
    /// `countries`.
    pub countries: &'static [&'static str],
    /// `number_types`.
    pub number_types: &'static [otp_client::NumberType],
    /// `per_ip_request_limit`.
    pub per_ip_requests: Limit,
    /// `body_limit`, in bytes.
    pub body_limit: usize,
    /// `body_timeout`.
    pub body_timeout: Duration,
    /// `max_long_polls`.
    pub long_polls: LongPollCaps,
    /// `ipv6_aggregates`.
    pub ipv6: Ipv6Aggregates,
    /// `max_retry_after`.
    pub max_retry_after: Duration,
    /// `region`.
    pub region: &'static str,
    /// `key_prefix`.
    pub key_prefix: &'static str,
    /// The keys each [`MemoryStore`](crate::MemoryStore) holds by default.
    pub memory_store_keys: u64,
}

/// The defaults.
pub const DEFAULTS: Defaults = Defaults {
    per_phone: Limit::per_minute(3),
    per_range: RangeLimit {
        digits: 8,
        limit: Limit::per_hour(20),
    },
    per_country: Limit::per_hour(1000),
    global: Limit::per_day(5000),
    countries: &["RU"],
    number_types: &[
        otp_client::NumberType::Mobile,
        otp_client::NumberType::FixedLineOrMobile,
        otp_client::NumberType::FixedLine,
    ],
    per_ip_requests: Limit::per_minute(300),
    body_limit: 8 * 1024,
    body_timeout: Duration::from_secs(10),
    long_polls: LongPollCaps {
        per_client: 4,
        per_session: 2,
        total: 10_000,
    },
    ipv6: Ipv6Aggregates {
        per_56: 4,
        per_48: 16,
    },
    max_retry_after: Duration::from_secs(600),
    region: "RU",
    key_prefix: "otp-widget",
    memory_store_keys: 100_000,
};

/// A window in words, for the docs' tables: "minute", "hour", "day", or seconds.
#[cfg(test)]
fn window_words(window: Duration) -> String {
    match window.as_secs() {
        60 => "minute".into(),
        3600 => "hour".into(),
        86_400 => "day".into(),
        s => format!("{s} s"),
    }
}

/// A count with thousands separated by commas, as the docs write it.
#[cfg(test)]
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults as the README's table of settings writes them: each line must be there.
    #[test]
    fn the_readme_gives_the_defaults_this_module_holds() {
        let readme = include_str!("../README.md");
        let d = &DEFAULTS;
        let per = |l: Limit| format!("{} per", thousands(l.count.into()));
        let expected = [
            format!(
                "| `per_phone_limit` | {} number per {}",
                per(d.per_phone),
                window_words(d.per_phone.per)
            ),
            format!(
                "| `per_range_limit` | {} {} per {}-digit E.164 prefix",
                per(d.per_range.limit),
                window_words(d.per_range.limit.per),
                d.per_range.digits
            ),
            format!(
                "| `per_country_limit` | {} country per {}",
                per(d.per_country),
                window_words(d.per_country.per)
            ),
            format!(
                "| `global_send_cap` | {} {}, across replicas",
                per(d.global),
                window_words(d.global.per)
            ),
            format!(
                "| `per_ip_request_limit` | {} requests per client per {}",
                thousands(d.per_ip_requests.count.into()),
                window_words(d.per_ip_requests.per)
            ),
            format!(
                "| `ipv6_aggregates` | a /56 gets {}, a /48 {} times a /64's limits",
                d.ipv6.per_56, d.ipv6.per_48
            ),
            format!(
                "| `max_long_polls` | {} per client, {} per session, {} in all",
                d.long_polls.per_client,
                d.long_polls.per_session,
                thousands(d.long_polls.total as u64)
            ),
        ];
        let missing: Vec<&String> = expected.iter().filter(|l| !readme.contains(*l)).collect();
        assert!(
            missing.is_empty(),
            "otp-widget/README.md does not give these defaults as settings.rs holds them: {missing:#?}"
        );
    }

    /// The builder's docs table gives the same defaults: each setting's row holds the
    /// numbers this module holds.
    #[test]
    fn the_builder_docs_give_the_defaults_this_module_holds() {
        let source = include_str!("backend.rs");
        let row = |setting: &str| {
            source
                .lines()
                .find(|l| l.starts_with(&format!("/// | [`{setting}`]")))
                .unwrap_or_else(|| panic!("no row for {setting} in the builder's docs"))
        };
        let d = &DEFAULTS;
        let expected: Vec<(&str, String)> = vec![
            (
                "per_phone_limit",
                format!(
                    "{} sends per phone number per {}",
                    d.per_phone.count,
                    window_words(d.per_phone.per)
                ),
            ),
            (
                "per_range_limit",
                format!(
                    "{} sends per {} to one range (the first {} digits",
                    d.per_range.limit.count,
                    window_words(d.per_range.limit.per),
                    d.per_range.digits
                ),
            ),
            (
                "per_country_limit",
                format!(
                    "{} sends per country per {}",
                    thousands(d.per_country.count.into()),
                    window_words(d.per_country.per)
                ),
            ),
            (
                "global_send_cap",
                format!(
                    "{} sends per {} in all",
                    thousands(d.global.count.into()),
                    window_words(d.global.per)
                ),
            ),
            (
                "per_ip_request_limit",
                format!(
                    "{} requests per client IP per {}",
                    d.per_ip_requests.count,
                    window_words(d.per_ip_requests.per)
                ),
            ),
            ("store", format!("{} keys", thousands(d.memory_store_keys))),
            ("body_limit", format!("{} KiB", d.body_limit / 1024)),
            (
                "max_retry_after",
                format!("{} minutes", d.max_retry_after.as_secs() / 60),
            ),
            ("body_timeout", format!("{} s", d.body_timeout.as_secs())),
            (
                "max_long_polls",
                format!(
                    "{} per client, {} per session, {} in all",
                    d.long_polls.per_client,
                    d.long_polls.per_session,
                    thousands(d.long_polls.total as u64)
                ),
            ),
            (
                "ipv6_aggregates",
                format!(
                    "a /56 gets {}, a /48 {} times",
                    d.ipv6.per_56, d.ipv6.per_48
                ),
            ),
            ("region", format!("`{}`", d.region)),
        ];
        let wrong: Vec<String> = expected
            .iter()
            .filter(|(setting, text)| !row(setting).contains(text.as_str()))
            .map(|(setting, text)| format!("{setting}: `{text}` not in `{}`", row(setting)))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(5000), "5,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(300), "300");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
