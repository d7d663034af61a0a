//! The widget back end: its settings, and the routes it serves.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::cors::Cors;
use crate::guard::body::BodyRules;
use crate::guard::captcha::CaptchaGate;
use crate::guard::client_ip::{ClientIpResolver, TrustedProxies, resolver};
use crate::guard::long_polls::LongPolls;
use crate::guard::origin::OriginCheck;
use crate::guard::request_limit::RequestLimit;
use crate::guard::send_limits::{SendLimitSettings, SendLimits};
use crate::guard::session::{SessionBinding, SessionKey};
use crate::keys::Keys;
use crate::numbers::Numbers;
use crate::paths::Paths;
use crate::quota::{MemoryStore, QuotaStore};
use crate::state::{AppState, WidgetState};
use crate::{
    Captcha, DEFAULTS, Ipv6Aggregates, Limit, LongPollCaps, RangeLimit, RequestHead, WidgetService,
    routes,
};

/// The widget back end: the routes the vendor's browser widget calls, forwarding each to
/// the service with the server's token. See the [crate docs](crate) for what it serves.
///
/// ```
/// let client = otp_client::Client::builder("my-api-token").build()?;
/// let my_widget: uuid::Uuid = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse()?;
/// let widget = otp_widget::WidgetBackend::builder(client, [my_widget]).build()?;
/// let app: axum::Router = axum::Router::new().nest("/otp/", widget.router());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct WidgetBackend {
    pub(crate) state: AppState,
}

impl fmt::Debug for WidgetBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WidgetBackend")
            .field("client", &self.state.client)
            .field("captcha", &self.state.captcha.captcha())
            .field("limits", self.state.sends.settings())
            .field("cors", &self.state.cors.origins())
            .field("body", &self.state.body)
            .finish_non_exhaustive()
    }
}

impl WidgetBackend {
    /// Starts building a back end that forwards through `client` (which holds the token),
    /// for the `widgets` of your account that your pages use: the browser names the widget,
    /// and any other id is answered `WidgetNotFoundException` before anything is counted or
    /// sent (the token reaches every widget of the account).
    pub fn builder(
        client: otp_client::Client,
        widgets: impl IntoIterator<Item = uuid::Uuid>,
    ) -> WidgetBackendBuilder {
        let d = &DEFAULTS;
        WidgetBackendBuilder {
            client,
            widgets: widgets.into_iter().collect(),
            region: d.region.into(),
            test_numbers: Vec::new(),
            max_retry_after: d.max_retry_after,
            session_secret: None,
            secure_cookie: true,
            body_timeout: d.body_timeout,
            long_polls: d.long_polls,
            ipv6: d.ipv6,
            captcha: None,
            limits: SendLimitSettings::default(),
            request_limit: Some(d.per_ip_requests),
            store: None,
            request_store: None,
            proxies: TrustedProxies::none(),
            client_ip: None,
            cors: Vec::new(),
            body_limit: d.body_limit,
            expose_complete: true,
            key_prefix: d.key_prefix.into(),
        }
    }

    /// Whether the request's cookies prove that its browser started session `id` (the cookie
    /// the router set on that browser's `send`, or [`session_cookie`](Self::session_cookie)
    /// gave): check it in your own handlers before acting on a session a browser names, as
    /// the crate's `finish` example does. Only the `__Host-` cookie counts when cookies are
    /// secure.
    ///
    /// ```
    /// # let client = otp_client::Client::builder("token").build().unwrap();
    /// let widget = otp_widget::WidgetBackend::builder(client, [uuid::Uuid::nil()]).build().unwrap();
    /// let id: otp_client::RequestId = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6".parse().unwrap();
    /// let cookie = widget.session_cookie(&id);
    /// let pair = cookie.to_str().unwrap().split(';').next().unwrap();
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("cookie", pair.parse().unwrap());
    /// assert!(widget.holds_session(&headers, &id));
    /// assert!(!widget.holds_session(&http::HeaderMap::new(), &id));
    /// ```
    pub fn holds_session(&self, headers: &http::HeaderMap, id: &otp_client::RequestId) -> bool {
        self.state.sessions.admit(headers, id).is_ok()
    }

    /// The routes as one `tower::Service` over `http` types, relative to the root: for a
    /// host that serves tower services (hyper, tonic's server, another framework's tower
    /// adapter). [`router`](Self::router) is the same service as an axum `Router`, to nest;
    /// `actix` (feature `actix`) runs the same routes in actix-web.
    pub fn service(&self) -> WidgetService {
        WidgetService {
            state: self.state.clone(),
        }
    }

    /// The `Set-Cookie` value that gives the browser it is sent to the session `id`: for a
    /// session your own server started (the router sets it itself on its `send`'s answer,
    /// with what the send was charged to, so that each resend is charged to the same
    /// number, range and country limits; a session your server started has no number in its
    /// cookie, and its resends count against the per-session limit and the global cap).
    /// Without it a browser's session routes answer `SessionNotFoundException`.
    pub fn session_cookie(&self, id: &otp_client::RequestId) -> HeaderValue {
        self.state.sessions.cookie(id, "")
    }
}

#[cfg(test)]
impl WidgetBackend {
    /// A back end with its defaults for `widgets`, whose client points at a closed port: for
    /// tests of what is answered before the service is asked.
    pub(crate) fn for_tests(widgets: impl IntoIterator<Item = uuid::Uuid>) -> Self {
        let client = otp_client::Client::builder("token")
            .base_url("http://127.0.0.1:9/api/n/otp-handler")
            .build()
            .unwrap();
        Self::builder(client, widgets).build().unwrap()
    }
}

/// Builds a [`WidgetBackend`]. Every setting has a default:
///
/// | setting | default |
/// |---|---|
/// | [`captcha`](Self::captcha) | none |
/// | [`per_phone_limit`](Self::per_phone_limit) | 3 sends per phone number per minute (the service's own); as many resends per session |
/// | [`per_range_limit`](Self::per_range_limit) | 20 sends per hour to one range (the first 8 digits of the E.164 number) |
/// | [`per_country_limit`](Self::per_country_limit) | 1,000 sends per country per hour |
/// | [`global_send_cap`](Self::global_send_cap) | 5,000 sends per day in all, across replicas |
/// | [`countries`](Self::countries) | `RU` only |
/// | [`number_types`](Self::number_types) | mobile, fixed-line-or-mobile, fixed-line |
/// | [`per_ip_request_limit`](Self::per_ip_request_limit) | 300 requests per client IP per minute, every route |
/// | [`store`](Self::store) | a [`MemoryStore`] of 100,000 keys, refusing when full |
/// | [`request_limit_store`](Self::request_limit_store) | a [`MemoryStore`] of 100,000 keys of its own (per replica), evicting when full |
/// | [`trusted_proxies`](Self::trusted_proxies) | none: the socket peer is the client |
/// | [`allowed_origins`](Self::allowed_origins) | none: no CORS headers (same origin only) |
/// | [`body_limit`](Self::body_limit) | 8 KiB |
/// | [`expose_complete`](Self::expose_complete) | yes, as the vendor's SDK does |
/// | [`region`](Self::region) | `RU`: `8 999 …` is `+7 999 …` |
/// | [`max_retry_after`](Self::max_retry_after) | 10 minutes |
/// | [`session_secret`](Self::session_secret) | random per process (one replica) |
/// | [`secure_cookie`](Self::secure_cookie) | yes |
/// | [`body_timeout`](Self::body_timeout) | 10 s |
/// | [`max_long_polls`](Self::max_long_polls) | 4 per client, 2 per session, 10,000 in all |
/// | [`ipv6_aggregates`](Self::ipv6_aggregates) | a /56 gets 4, a /48 16 times a /64's limits |
///
/// The widgets are the one setting without a default: [`WidgetBackend::builder`] takes them.
#[must_use]
pub struct WidgetBackendBuilder {
    client: otp_client::Client,
    widgets: Vec<uuid::Uuid>,
    region: String,
    test_numbers: Vec<String>,
    max_retry_after: Duration,
    session_secret: Option<Vec<u8>>,
    secure_cookie: bool,
    body_timeout: Duration,
    long_polls: LongPollCaps,
    ipv6: Ipv6Aggregates,
    captcha: Option<Captcha>,
    limits: SendLimitSettings,
    request_limit: Option<Limit>,
    store: Option<Arc<dyn QuotaStore>>,
    request_store: Option<Arc<dyn QuotaStore>>,
    proxies: TrustedProxies,
    client_ip: Option<ClientIpResolver>,
    cors: Vec<String>,
    body_limit: usize,
    expose_complete: bool,
    key_prefix: String,
}

/// Why [`WidgetBackendBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An origin given to [`WidgetBackendBuilder::allowed_origins`] is not one.
    #[error("`{0}` is not an origin (scheme://host[:port], such as https://app.example)")]
    InvalidOrigin(String),
    /// The HTTP client that asks the captcha provider could not be built (its TLS backend
    /// failed to initialise).
    #[error("the HTTP client for the captcha provider could not be built")]
    CaptchaClient(#[source] reqwest::Error),
    /// The session secret is shorter than 32 bytes.
    #[error("the session secret must be at least 32 bytes")]
    ShortSessionSecret,
    /// No widget was given: every `send` would be refused.
    #[error("no widget is allowed: name your widgets' ids in WidgetBackend::builder")]
    NoWidgets,
    /// The region given to [`WidgetBackendBuilder::region`] is not one libphonenumber knows.
    #[error("`{0}` is not a region code (ISO 3166-1 alpha-2, such as RU)")]
    UnknownRegion(String),
}

impl fmt::Debug for WidgetBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WidgetBackendBuilder")
            .field("captcha", &self.captcha)
            .field("limits", &self.limits)
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

impl WidgetBackendBuilder {
    /// Where a phone number written without `+` (`8 999 123-45-63`) is read as written
    /// (ISO 3166-1 alpha-2; `RU` by default). Every number is parsed with libphonenumber's
    /// metadata into E.164 before anything else: what is not a valid number is refused
    /// (`ValidateError`) and counts nowhere, and each number has one per-number count,
    /// whatever its spelling.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Numbers taken exactly as written (E.164) though no numbering plan has them: for tests
    /// against the sandbox's scenario numbers (`otp_sandbox::SCENARIOS`), which no one can
    /// have. None by default; never list a real range here.
    pub fn test_numbers<I, S>(mut self, numbers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.test_numbers = numbers.into_iter().map(Into::into).collect();
        self
    }

    /// The secret that binds each session to the browser that started it (a MAC of the
    /// session's id, in an `HttpOnly`, `SameSite=Strict` cookie): every replica of the back
    /// end must share it, and it must be at least 32 bytes. Without it, a random one per
    /// process: right for one replica, wrong for several.
    pub fn session_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.session_secret = Some(secret.as_ref().to_vec());
        self
    }

    /// Whether the session cookie is `Secure`, sent over https only (the default): turn it
    /// off only for a back end served over plain http on loopback (a demo, a test).
    pub fn secure_cookie(mut self, secure: bool) -> Self {
        self.secure_cookie = secure;
        self
    }

    /// How long a client may take to send a request's whole body (10 s by default, however
    /// it trickles it in): a client that has not sent it by then is answered
    /// `ValidateError` (408) and let go. The headers' own timeout is
    /// the server's: see
    /// [`serve`](crate::serve()).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How many long-polls may be held at once: per client (an IPv6 client by its /64;
    /// 4 by default: a page holds one or two), per session (2: its channel and its status;
    /// a session's cookie works from any address, so a client cap alone lets one session
    /// fill the total from many addresses) and in all (10,000). Past any, a long-poll is
    /// refused with 429 instead of holding a connection here and one to the service.
    pub fn max_long_polls(mut self, caps: LongPollCaps) -> Self {
        self.long_polls = caps;
        self
    }

    /// How IPv6 clients are grouped beyond their /64 for the free sends and the request
    /// limit: a /56 gets 4 and a /48 16 times a /64's limits in all, by default (see
    /// [`Ipv6Aggregates`]).
    pub fn ipv6_aggregates(mut self, aggregates: Ipv6Aggregates) -> Self {
        self.ipv6 = aggregates;
        self
    }

    /// The longest wait passed on to a browser in `Retry-After` (10 minutes by default): the
    /// service's longer one is cut to it.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Asks for a captcha once a client IP has used its free sends.
    pub fn captcha(mut self, captcha: Captcha) -> Self {
        self.captcha = Some(captcha);
        self
    }

    /// At most `sends` per phone number per `window` reach the service, and as many
    /// `resend`s per session; more are answered `RateLimitException` (429) with
    /// `Retry-After`. `None` turns the limit off.
    pub fn per_phone_limit(mut self, limit: Option<Limit>) -> Self {
        self.limits.per_number = limit;
        self
    }

    /// At most `sends` per `window` to numbers of one range: the E.164 number's first
    /// `digits` digits (`+7999123…` with 8: `+79991234`). SMS pumping sends to many numbers
    /// of the few ranges the attacker is paid for, each under a per-number limit; this stops
    /// it. By default 20 per hour per 8-digit range: far above what real users of one range
    /// do on one site. `None` turns it off.
    pub fn per_range_limit(mut self, limit: Option<RangeLimit>) -> Self {
        self.limits.per_range = limit;
        self
    }

    /// At most `sends` per `window` to one country (1,000 per hour by default). `None` turns
    /// it off.
    pub fn per_country_limit(mut self, limit: Option<Limit>) -> Self {
        self.limits.per_country = limit;
        self
    }

    /// At most `sends` per `window` in all, across every replica sharing the store: the
    /// circuit breaker on the bill (5,000 per day by default: set it from your traffic).
    /// Past it, every send is refused (429) until the window ends. `None` turns it off.
    pub fn global_send_cap(mut self, limit: Option<Limit>) -> Self {
        self.limits.global = limit;
        self
    }

    /// The countries (ISO 3166-1 alpha-2) sends may go to: a number of any other is refused
    /// (`ValidateError`) before anything is counted. `RU` only by default, the vendor's
    /// market: premium-rate ranges abroad are what SMS pumping targets. Empty: any.
    pub fn countries<I, S>(mut self, countries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.limits.countries = countries.into_iter().map(Into::into).collect();
        self
    }

    /// The kinds of line sends may go to: by default mobile, fixed-line-or-mobile and
    /// fixed-line numbers (the voice channels reach landlines). Premium-rate, toll-free,
    /// shared-cost, UAN, VoIP and pager numbers, which SMS pumping targets and no user verifies
    /// a login with, are refused (`ValidateError`) before anything is counted.
    pub fn number_types(mut self, kinds: impl IntoIterator<Item = otp_client::NumberType>) -> Self {
        self.limits.number_types = kinds.into_iter().collect();
        self
    }

    /// At most this many requests per client IP per window, on every route (each spends
    /// the service's quota of your token); more are answered `RateLimitException` (429).
    /// `None` turns the limit off.
    pub fn per_ip_request_limit(mut self, limit: Option<Limit>) -> Self {
        self.request_limit = limit;
        self
    }

    /// Where the counts that guard sends live (captcha, send limits, spent captcha tokens,
    /// resends): a [`MemoryStore`] by default; a `RedisStore` (feature `redis`) shares them
    /// between replicas.
    pub fn store(mut self, store: impl QuotaStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Where the per-IP request limit counts: a [`MemoryStore`] of its own by default, so
    /// that requests from many addresses (free to send: one key each) can only push out each
    /// other's counts, never a client's captcha or send counts in the [`store`](Self::store).
    /// Per replica by default; give it a `RedisStore` (a second one, or a clone of the
    /// store's) to share the limit between replicas.
    pub fn request_limit_store(mut self, store: impl QuotaStore) -> Self {
        self.request_store = Some(Arc::new(store));
        self
    }

    /// The proxies whose forwarding headers are believed (see [`TrustedProxies`]).
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Finds a request's client address your own way, instead of the socket peer and the
    /// trusted proxies' headers. `None` refuses the request.
    pub fn client_ip(
        mut self,
        resolve: impl Fn(&dyn RequestHead) -> Option<std::net::IpAddr> + Send + Sync + 'static,
    ) -> Self {
        self.client_ip = Some(Arc::new(resolve));
        self
    }

    /// The origins (`https://app.example`) whose pages may call the routes from a browser
    /// (CORS, with credentials). None by default: only pages of the back end's own origin.
    /// An origin that is not `scheme://host[:port]` fails [`build`](Self::build). The
    /// session cookie is `SameSite=Strict`: a listed origin must be of the back end's own
    /// site, and its page's `fetch` must send credentials (`credentials: "include"`).
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.cors = origins
            .into_iter()
            .map(|o| o.as_ref().to_string())
            .collect();
        self
    }

    /// The largest request body accepted; a larger one is refused (413).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Whether `POST /{requestId}/complete` is served (yes by default, as the vendor's SDK
    /// does). `checkStatusAndComplete` never is: the application finishes server-side.
    ///
    /// A browser that calls `complete` closes the session, and the application's
    /// [`finish`](otp_client::Client::finish) then answers `NotVerified` (the service says
    /// `false` after a completion): turn it off unless your widget needs it.
    pub fn expose_complete(mut self, expose: bool) -> Self {
        self.expose_complete = expose;
        self
    }

    /// The prefix of every key the router puts in the store (`otp-widget` by default), so
    /// that several applications can share one Redis.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Builds the back end; fails on an allowed origin that is not one, or when the captcha
    /// provider's HTTP client cannot be built.
    pub fn build(self) -> Result<WidgetBackend, BuildError> {
        if self.widgets.is_empty() {
            return Err(BuildError::NoWidgets);
        }
        let session_key = match &self.session_secret {
            Some(secret) if secret.len() < 32 => return Err(BuildError::ShortSessionSecret),
            Some(secret) => SessionKey::from_secret(secret),
            None => SessionKey::random(),
        };
        if matches!(
            otp_client::Phone::parse_in("+79991234563", &self.region),
            Err(otp_client::InvalidPhone::UnknownRegion(_))
        ) {
            return Err(BuildError::UnknownRegion(self.region));
        }
        let cors = self
            .cors
            .iter()
            .map(|origin| {
                let url = reqwest::Url::parse(origin)
                    .map_err(|_| BuildError::InvalidOrigin(origin.clone()))?;
                let canonical = url.origin().ascii_serialization();
                if canonical == "null" || canonical != origin.trim_end_matches('/') {
                    return Err(BuildError::InvalidOrigin(origin.clone()));
                }
                HeaderValue::from_str(&canonical)
                    .map_err(|_| BuildError::InvalidOrigin(origin.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Each verification sets the captcha's own timeout. No fallback to a default client:
        // that one would follow redirects.
        let captcha_http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(BuildError::CaptchaClient)?;
        let keys = Keys::new(self.key_prefix);
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::new(DEFAULTS.memory_store_keys)));
        // Evicting: a flood of addresses costs the flood's own request counts, not every
        // client's requests.
        let request_store = self
            .request_store
            .unwrap_or_else(|| Arc::new(MemoryStore::evicting(DEFAULTS.memory_store_keys)));
        let max_wait = self.max_retry_after;
        let state = WidgetState {
            client: self.client,
            client_ip: self.client_ip.unwrap_or_else(|| resolver(self.proxies)),
            requests: RequestLimit::new(
                self.request_limit,
                self.ipv6,
                request_store,
                keys.clone(),
                max_wait,
            ),
            origin: OriginCheck::new(cors.clone()),
            captcha: CaptchaGate::new(
                self.captcha,
                self.ipv6,
                captcha_http,
                store.clone(),
                keys.clone(),
            ),
            sends: SendLimits::new(self.limits, store, keys, max_wait),
            long_polls: Arc::new(LongPolls::new(self.long_polls)),
            sessions: SessionBinding::new(session_key, self.secure_cookie),
            body: BodyRules::new(self.body_limit, self.body_timeout),
            numbers: Numbers {
                widgets: self.widgets,
                region: self.region,
                test_numbers: self.test_numbers,
            },
            max_retry_after: self.max_retry_after,
            paths: Paths::new(routes::served(self.expose_complete)),
            cors: Cors::new(cors),
        };
        Ok(WidgetBackend {
            state: AppState(Arc::new(state)),
        })
    }
}
