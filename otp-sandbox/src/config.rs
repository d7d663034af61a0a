//! What a sandbox serves: its widgets, tokens and timings.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The token that owns the default widgets.
pub const DEFAULT_TOKEN: &str = "sandbox-token";
/// A valid token that owns none of the default widgets (for `ForbiddenException`).
pub const OTHER_TOKEN: &str = "sandbox-other-token";
/// An active widget whose cascade is sms → voice → sim_push (codeless).
pub const CODE_WIDGET: Uuid = Uuid::from_u128(0x5a4d_b0c1_0000_4000_8000_0000_0000_0001);
/// An active widget with one codeless channel (sim_push).
pub const CODELESS_WIDGET: Uuid = Uuid::from_u128(0x5a4d_b0c1_0000_4000_8000_0000_0000_0002);
/// A blocked widget: `send` answers `WidgetIsBlockedException`.
pub const BLOCKED_WIDGET: Uuid = Uuid::from_u128(0x5a4d_b0c1_0000_4000_8000_0000_0000_0003);
/// An inactive widget: `getWidget` says so; `send` finds no channel.
pub const INACTIVE_WIDGET: Uuid = Uuid::from_u128(0x5a4d_b0c1_0000_4000_8000_0000_0000_0004);
/// The widget id the vendor's docs use in their examples: the sandbox serves it as a code
/// widget, so that a request copied from the docs works (and contract tools that send the
/// spec's examples reach the session operations).
pub const DOCS_EXAMPLE_WIDGET: Uuid = Uuid::from_u128(0x1236_34df_ddfe_4dda_b31d_f3b4_e75f_c5dc);
/// The code of every code channel of the default widgets.
pub const DEFAULT_CODE: &str = "1234";

/// One channel of a widget's cascade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelConfig {
    /// The channel's `type` (`sms`, `voice`, …; any string).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the user confirms without a code.
    #[serde(default)]
    pub codeless: bool,
}

impl ChannelConfig {
    /// A code channel of kind `kind`.
    pub fn code(kind: &str) -> Self {
        Self {
            kind: kind.into(),
            codeless: false,
        }
    }

    /// A codeless channel of kind `kind`.
    pub fn codeless(kind: &str) -> Self {
        Self {
            kind: kind.into(),
            codeless: true,
        }
    }
}

/// One widget (form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Widget {
    /// The widget's id.
    pub id: Uuid,
    /// The widget's name.
    pub name: String,
    /// The token that owns it.
    pub owner: String,
    /// Whether it is active (an inactive widget has no channel to send over).
    #[serde(default = "yes")]
    pub active: bool,
    /// Whether it is blocked.
    #[serde(default)]
    pub blocked: bool,
    /// The channels `send` and `resend` go through, in order.
    pub cascade: Vec<ChannelConfig>,
    /// The code every code channel of this widget sends.
    #[serde(default = "default_code")]
    pub code: String,
}

fn yes() -> bool {
    true
}

fn default_code() -> String {
    DEFAULT_CODE.into()
}

/// The sandbox's whole configuration.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The widgets.
    pub widgets: Vec<Widget>,
    /// Tokens accepted besides the widgets' owners.
    pub extra_tokens: Vec<String>,
    /// How long a long-poll is held before `LongPollingTimeoutException`.
    pub hold: Duration,
    /// How long a channel stays `wait` before it is `sent`.
    pub sent_delay: Duration,
    /// How long after it is sent a codeless channel is confirmed by the (simulated) user;
    /// `None`: only `POST /sandbox/{requestId}/confirm` confirms it.
    pub codeless_confirm_delay: Option<Duration>,
    /// How long a channel lives; after it, `ResendChannelException`.
    pub channel_lifetime: Duration,
    /// How soon after a channel starts `resend` is allowed.
    pub resend_cooldown: Duration,
    /// How many wrong codes a channel takes.
    pub attempts: u32,
    /// Faults injected at random into API requests, for soak tests (none by default):
    /// beyond the spec on purpose. [`Sandbox::inject`](crate::Sandbox::inject) injects one
    /// fault into one operation's next call instead.
    pub random_faults: Option<RandomFaults>,
    /// The service's `send` limit per phone number: at most this many per window (3 per
    /// minute, as the service; `None` in [`SandboxConfig::fast`]). Past it, `send` answers
    /// 429 `RateLimitException` with `Retry-After`.
    pub send_limit: Option<(u32, Duration)>,
    /// How long a session lives after it starts; then it is forgotten (`SessionNotFound`).
    pub session_ttl: Duration,
    /// The most sessions held at once; starting one more forgets the oldest.
    pub max_sessions: usize,
    /// How long the slow scenario number's answers take.
    pub slow_delay: Duration,
}

/// Faults the sandbox injects at random before a request reaches its operation (so they
/// never change a session): a random delay, a 503 with no body, or a connection reset
/// mid-response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFaults {
    /// The share of requests that get a fault, from 0 to 1.
    pub rate: f64,
    /// The longest delay a delayed request gets.
    pub max_delay: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        let widget = |id, name: &str, cascade| Widget {
            id,
            name: name.into(),
            owner: DEFAULT_TOKEN.into(),
            active: true,
            blocked: false,
            cascade,
            code: DEFAULT_CODE.into(),
        };
        let code_cascade = vec![
            ChannelConfig::code("sms"),
            ChannelConfig::code("voice"),
            ChannelConfig::codeless("sim_push"),
        ];
        Self {
            widgets: vec![
                widget(CODE_WIDGET, "Sandbox: code", code_cascade.clone()),
                widget(
                    CODELESS_WIDGET,
                    "Sandbox: codeless",
                    vec![ChannelConfig::codeless("sim_push")],
                ),
                Widget {
                    blocked: true,
                    ..widget(BLOCKED_WIDGET, "Sandbox: blocked", code_cascade.clone())
                },
                Widget {
                    active: false,
                    ..widget(INACTIVE_WIDGET, "Sandbox: inactive", code_cascade.clone())
                },
                widget(
                    DOCS_EXAMPLE_WIDGET,
                    "Sandbox: the docs' example",
                    code_cascade,
                ),
            ],
            extra_tokens: vec![OTHER_TOKEN.into()],
            hold: Duration::from_secs(25),
            sent_delay: Duration::from_millis(800),
            codeless_confirm_delay: Some(Duration::from_secs(2)),
            channel_lifetime: Duration::from_secs(300),
            resend_cooldown: Duration::from_secs(30),
            attempts: 3,
            random_faults: None,
            send_limit: Some((3, Duration::from_secs(60))),
            session_ttl: Duration::from_secs(30 * 60),
            max_sessions: 100_000,
            slow_delay: Duration::from_secs(2),
        }
    }
}

impl SandboxConfig {
    /// Timings for tests: short holds and delays, no `send` limit (tests send to the same
    /// number often), everything else as by default (the README's table gives each value).
    /// Codeless sessions confirm themselves 60 ms after they are sent: a test that needs one
    /// unconfirmed sets `codeless_confirm_delay: None`, and only
    /// [`Sandbox::confirm`](crate::Sandbox::confirm) confirms it.
    pub fn fast() -> Self {
        Self {
            hold: Duration::from_millis(300),
            sent_delay: Duration::from_millis(30),
            codeless_confirm_delay: Some(Duration::from_millis(60)),
            resend_cooldown: Duration::from_millis(200),
            send_limit: None,
            slow_delay: Duration::from_millis(500),
            ..Self::default()
        }
    }
}
