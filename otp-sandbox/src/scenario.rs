//! Scenario phone numbers: sessions started for them behave in a fixed way, whatever the
//! widget, so that a test can force what it needs without a mock.

use std::fmt;

/// What a scenario number's session does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Behaviour {
    /// One codeless channel (`sim_push`), confirmed by the simulated user after the
    /// configured delay (or by [`Sandbox::confirm`](crate::Sandbox::confirm)).
    Codeless,
    /// No channel can take it: `send` answers `NoAvailableChannelsException`.
    NoChannel,
    /// The first channel's code has expired already: reading the channel answers
    /// `ResendChannelException`; after `resend`, the next channel works.
    ExpiredCode,
    /// One attempt per channel: a wrong code answers `AttemptsExpiredException`.
    OneAttempt,
    /// Once the first channel is sent, the service switches to the next one: `getStatus`
    /// and `checkCode` answer `ChannelChangedException` until the channel is read again.
    ChannelChange,
    /// Every `send` answers 429 `RateLimitException` with `Retry-After: 60`.
    RateLimited,
    /// Every answer about it takes the configured `slow_delay`.
    Slow,
}

impl Behaviour {
    /// The scenario number whose sessions behave this way.
    ///
    /// ```
    /// use otp_sandbox::Behaviour;
    /// assert_eq!(Behaviour::Codeless.phone(), "+70000000001");
    /// ```
    pub fn phone(self) -> &'static str {
        SCENARIOS
            .iter()
            .find(|s| s.behaviour == self)
            .map(|s| s.phone)
            .expect("every behaviour has a scenario number")
    }
}

/// One scenario number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// The phone number to start a session for.
    pub phone: &'static str,
    /// What its session does.
    pub behaviour: Behaviour,
    /// The same, in one line, for tables and `--help`.
    pub summary: &'static str,
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {}", self.phone, self.summary)
    }
}

/// Every scenario number (`+7 000 000 00 0N`: not a number anyone can have).
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        phone: "+70000000001",
        behaviour: Behaviour::Codeless,
        summary: "codeless: one sim_push channel, sent after sent_delay, confirmed by the simulated user codeless_confirm_delay later (None: only Sandbox::confirm confirms it)",
    },
    Scenario {
        phone: "+70000000002",
        behaviour: Behaviour::NoChannel,
        summary: "no channel available: send answers NoAvailableChannelsException",
    },
    Scenario {
        phone: "+70000000003",
        behaviour: Behaviour::ExpiredCode,
        summary: "the code has expired from the start: ResendChannelException; resend (allowed resend_cooldown after the channel started) moves to the next channel of the cascade",
    },
    Scenario {
        phone: "+70000000004",
        behaviour: Behaviour::OneAttempt,
        summary: "one attempt: a wrong code answers AttemptsExpiredException",
    },
    Scenario {
        phone: "+70000000005",
        behaviour: Behaviour::ChannelChange,
        summary: "the channel changes sent_delay after its first read as sent: ChannelChangedException until it is read again",
    },
    Scenario {
        phone: "+70000000006",
        behaviour: Behaviour::RateLimited,
        summary: "rate-limited: send answers 429 RateLimitException, Retry-After: 60",
    },
    Scenario {
        phone: "+70000000007",
        behaviour: Behaviour::Slow,
        summary: "a slow service: every answer about it takes slow_delay (--slow-delay)",
    },
];

/// The behaviour of `phone`'s sessions, if it is a scenario number.
pub fn behaviour(phone: &str) -> Option<Behaviour> {
    SCENARIOS
        .iter()
        .find(|s| s.phone == phone)
        .map(|s| s.behaviour)
}
