//! What the router's handlers share: plain data, one field per guard, which an extractor
//! reaches by part ([`Holds`]) without knowing the rest.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::guard::Holds;
use crate::guard::body::BodyRules;
use crate::guard::captcha::CaptchaGate;
use crate::guard::client_ip::ClientIpResolver;
use crate::guard::long_polls::LongPolls;
use crate::guard::origin::OriginCheck;
use crate::guard::request_limit::RequestLimit;
use crate::guard::send_limits::SendLimits;
use crate::guard::session::SessionBinding;
use crate::numbers::Numbers;

/// Everything the handlers use.
pub(crate) struct WidgetState {
    /// The client the calls are forwarded through (it holds the token).
    pub(crate) client: otp_client::Client,
    pub(crate) client_ip: ClientIpResolver,
    pub(crate) requests: RequestLimit,
    pub(crate) origin: OriginCheck,
    pub(crate) captcha: CaptchaGate,
    pub(crate) sends: SendLimits,
    pub(crate) long_polls: Arc<LongPolls>,
    pub(crate) sessions: SessionBinding,
    pub(crate) body: BodyRules,
    pub(crate) numbers: Numbers,
    /// The longest `Retry-After` passed on to a browser.
    pub(crate) max_retry_after: Duration,
    /// Whether `complete` is served.
    pub(crate) expose_complete: bool,
}

/// The router's state: one reference-counted [`WidgetState`].
#[derive(Clone)]
pub(crate) struct AppState(pub(crate) Arc<WidgetState>);

impl Deref for AppState {
    type Target = WidgetState;

    fn deref(&self) -> &WidgetState {
        &self.0
    }
}

macro_rules! holds {
    ($($field:ident: $ty:ty),* $(,)?) => {
        $(impl Holds<$ty> for AppState {
            fn part(&self) -> &$ty {
                &self.0.$field
            }
        })*
    };
}

holds! {
    client_ip: ClientIpResolver,
    requests: RequestLimit,
    origin: OriginCheck,
    sessions: SessionBinding,
    numbers: Numbers,
}
