//! The widget back end: its settings, and the `Router` it serves.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderValue;

use crate::client_ip::{ClientIpResolver, TrustedProxies, resolver};
use crate::quota::{MemoryStore, QuotaStore};
use crate::{Captcha, routes};

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
    pub(crate) shared: Arc<Shared>,
    cors: Vec<HeaderValue>,
    body_limit: usize,
    body_timeout: Duration,
}

impl fmt::Debug for WidgetBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WidgetBackend")
            .field("client", &self.shared.client)
            .field("captcha", &self.shared.captcha)
            .field("limits", &self.shared.limits)
            .field("expose_complete", &self.shared.expose_complete)
            .field("cors", &self.cors)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

/// What the handlers share.
pub(crate) struct Shared {
    pub(crate) client: otp_client::Client,
    pub(crate) captcha: Option<Captcha>,
    pub(crate) captcha_http: reqwest::Client,
    pub(crate) limits: crate::spend::SendLimits,
    pub(crate) request_limit: Option<(u32, Duration)>,
    pub(crate) store: Arc<dyn QuotaStore>,
    /// Where the per-IP request limit counts: apart from `store`, so that requests from
    /// many addresses, which cost nothing to send, cannot push its counts out.
    pub(crate) request_store: Arc<dyn QuotaStore>,
    pub(crate) client_ip: ClientIpResolver,
    pub(crate) key_prefix: String,
    pub(crate) expose_complete: bool,
    /// The widgets the browser may name; any other is refused before anything is counted.
    pub(crate) widgets: Vec<uuid::Uuid>,
    /// Where a number written without `+` is read as written (ISO 3166-1 alpha-2).
    pub(crate) region: String,
    /// Numbers taken as written though no numbering plan has them (tests' scenario numbers).
    pub(crate) test_numbers: Vec<String>,
    /// The longest `Retry-After` passed on to a browser.
    pub(crate) max_retry_after: Duration,
    /// What binds a session to the browser that started it.
    pub(crate) session_key: crate::session::SessionKey,
    /// Whether the session cookie is `Secure` (sent over https only).
    pub(crate) secure_cookie: bool,
    /// The long-polls held now.
    pub(crate) held: crate::held::Held,
    pub(crate) max_long_polls_per_client: usize,
    pub(crate) max_long_polls: usize,
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
        WidgetBackendBuilder {
            client,
            widgets: widgets.into_iter().collect(),
            region: "RU".into(),
            test_numbers: Vec::new(),
            max_retry_after: Duration::from_secs(600),
            session_secret: None,
            secure_cookie: true,
            body_timeout: Duration::from_secs(10),
            max_long_polls_per_client: 4,
            max_long_polls: 10_000,
            captcha: None,
            limits: crate::spend::SendLimits::default(),
            request_limit: Some((300, Duration::from_secs(60))),
            store: None,
            request_store: None,
            proxies: TrustedProxies::none(),
            client_ip: None,
            cors: Vec::new(),
            body_limit: 8 * 1024,
            expose_complete: true,
            key_prefix: "otp-widget".into(),
        }
    }

    /// The routes, relative to wherever they are mounted (`Router::nest("/otp/", …)`: with
    /// the trailing slash, `send` is `POST /otp/`).
    /// It fits in a router of any state. Serve the application with
    /// `into_make_service_with_connect_info::<SocketAddr>()` (or give the builder a
    /// [`client_ip`](WidgetBackendBuilder::client_ip) resolver): without a client address
    /// every request is refused (500). It has no tracing layer of its own: see
    /// [`RequestSpan`](crate::RequestSpan).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        routes::router(
            self.shared.clone(),
            &self.cors,
            self.body_limit,
            self.body_timeout,
        )
    }

    /// The `Set-Cookie` value that gives the browser it is sent to the session `id`: for a
    /// session your own server started (the router sets it itself on its `send`'s answer).
    /// Without it a browser's session routes answer `SessionNotFoundException`.
    pub fn session_cookie(&self, id: &otp_client::RequestId) -> HeaderValue {
        self.shared
            .session_key
            .cookie(id, self.shared.secure_cookie)
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
/// | [`per_ip_request_limit`](Self::per_ip_request_limit) | 300 requests per client IP per minute, every route |
/// | [`store`](Self::store) | a [`MemoryStore`] of 100,000 keys |
/// | [`request_limit_store`](Self::request_limit_store) | a [`MemoryStore`] of 100,000 keys of its own (per replica) |
/// | [`trusted_proxies`](Self::trusted_proxies) | none: the socket peer is the client |
/// | [`allowed_origins`](Self::allowed_origins) | none: no CORS headers (same origin only) |
/// | [`body_limit`](Self::body_limit) | 8 KiB |
/// | [`expose_complete`](Self::expose_complete) | yes, as the vendor's SDK does |
/// | [`region`](Self::region) | `RU`: `8 999 …` is `+7 999 …` |
/// | [`max_retry_after`](Self::max_retry_after) | 10 minutes |
/// | [`session_secret`](Self::session_secret) | random per process (one replica) |
/// | [`secure_cookie`](Self::secure_cookie) | yes |
/// | [`body_timeout`](Self::body_timeout) | 10 s |
/// | [`max_long_polls`](Self::max_long_polls) | 4 per client, 10,000 in all |
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
    max_long_polls_per_client: usize,
    max_long_polls: usize,
    captcha: Option<Captcha>,
    limits: crate::spend::SendLimits,
    request_limit: Option<(u32, Duration)>,
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

    /// How long a client may take to send a request's body (10 s by default): a client
    /// that trickles it is answered `ValidateError` and let go. The headers' own timeout is
    /// the server's: see
    /// [`serve`](crate::serve).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How many long-polls one client (an IPv6 client by its /64) may have held at once
    /// (4 by default: a page holds one or two), and how many in all (10,000); past either,
    /// a long-poll is refused with 429 instead of holding a connection here and one to the
    /// service.
    pub fn max_long_polls(mut self, per_client: usize, total: usize) -> Self {
        self.max_long_polls_per_client = per_client;
        self.max_long_polls = total;
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
    pub fn per_phone_limit(mut self, limit: Option<(u32, Duration)>) -> Self {
        self.limits.per_number = limit;
        self
    }

    /// At most `sends` per `window` to numbers of one range: the E.164 number's first
    /// `digits` digits (`+7999123…` with 8: `+79991234`). SMS pumping sends to many numbers
    /// of the few ranges the attacker is paid for, each under a per-number limit; this stops
    /// it. By default 20 per hour per 8-digit range: far above what real users of one range
    /// do on one site. `None` turns it off.
    pub fn per_range_limit(mut self, limit: Option<(usize, u32, Duration)>) -> Self {
        self.limits.per_range = limit;
        self
    }

    /// At most `sends` per `window` to one country (1,000 per hour by default). `None` turns
    /// it off.
    pub fn per_country_limit(mut self, limit: Option<(u32, Duration)>) -> Self {
        self.limits.per_country = limit;
        self
    }

    /// At most `sends` per `window` in all, across every replica sharing the store: the
    /// circuit breaker on the bill (5,000 per day by default: set it from your traffic).
    /// Past it, every send is refused (429) until the window ends. `None` turns it off.
    pub fn global_send_cap(mut self, limit: Option<(u32, Duration)>) -> Self {
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

    /// At most this many requests per client IP per window, on every route (each spends
    /// the service's quota of your token); more are answered `RateLimitException` (429).
    /// `None` turns the limit off.
    pub fn per_ip_request_limit(mut self, limit: Option<(u32, Duration)>) -> Self {
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
        resolve: impl Fn(&axum::http::request::Parts) -> Option<std::net::IpAddr>
        + Send
        + Sync
        + 'static,
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
            Some(secret) => crate::session::SessionKey::from_secret(secret),
            None => crate::session::SessionKey::random(),
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
        let shared = Shared {
            client: self.client,
            captcha: self.captcha,
            captcha_http,
            limits: self.limits,
            request_limit: self.request_limit,
            store: self
                .store
                .unwrap_or_else(|| Arc::new(MemoryStore::default())),
            request_store: self
                .request_store
                .unwrap_or_else(|| Arc::new(MemoryStore::default())),
            client_ip: self.client_ip.unwrap_or_else(|| resolver(self.proxies)),
            key_prefix: self.key_prefix,
            expose_complete: self.expose_complete,
            widgets: self.widgets,
            region: self.region,
            test_numbers: self.test_numbers,
            max_retry_after: self.max_retry_after,
            session_key,
            secure_cookie: self.secure_cookie,
            held: crate::held::Held::default(),
            max_long_polls_per_client: self.max_long_polls_per_client,
            max_long_polls: self.max_long_polls,
        };
        Ok(WidgetBackend {
            shared: Arc::new(shared),
            cors,
            body_limit: self.body_limit,
            body_timeout: self.body_timeout,
        })
    }
}
