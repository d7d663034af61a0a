//! What the routes share: plain data, one field per guard, each of which the routes hand
//! to the guard that owns it, which knows nothing of the rest.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::cors::Cors;
use crate::guard::body::BodyRules;
use crate::guard::captcha::CaptchaGate;
use crate::guard::client_ip::ClientIpResolver;
use crate::guard::long_polls::LongPolls;
use crate::guard::origin::OriginCheck;
use crate::guard::request_limit::RequestLimit;
use crate::guard::send_limits::SendLimits;
use crate::guard::session::SessionBinding;
use crate::numbers::Numbers;
use crate::paths::Paths;

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
    /// The routes served (`complete` among them when exposed).
    pub(crate) paths: Paths,
    /// The origins whose pages may call the routes.
    pub(crate) cors: Cors,
}

/// The routes' state: one reference-counted [`WidgetState`].
#[derive(Clone)]
pub(crate) struct AppState(pub(crate) Arc<WidgetState>);

impl Deref for AppState {
    type Target = WidgetState;

    fn deref(&self) -> &WidgetState {
        &self.0
    }
}
