//! Captcha gating: which provider, when it is required, and checking a token with the
//! provider's server-side verify call. Every doubt refuses: a provider that is down, slow or
//! answers something unreadable does not let a `send` through.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

/// The captcha providers the vendor's SDK supports.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum CaptchaProvider {
    /// Google reCAPTCHA: v2 (`min_score: None`), or v3 with the lowest score accepted.
    Google {
        /// reCAPTCHA v3's threshold, from 0 (a bot) to 1 (a person).
        min_score: Option<f64>,
    },
    /// Yandex SmartCaptcha.
    Yandex,
    /// Cloudflare Turnstile.
    Cloudflare,
}

impl CaptchaProvider {
    /// The provider's name, as `getWidget`'s `captchaProvider` gives it to the widget.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Google { .. } => "google",
            Self::Yandex => "yandex",
            Self::Cloudflare => "cloudflare",
        }
    }

    /// The provider's documented server-side verify endpoint.
    pub fn default_verify_url(&self) -> &'static str {
        match self {
            Self::Google { .. } => "https://www.google.com/recaptcha/api/siteverify",
            Self::Yandex => "https://smartcaptcha.yandexcloud.net/validate",
            Self::Cloudflare => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        }
    }
}

/// When the router asks for a captcha, and how it checks one.
///
/// A client IP gets `free` sends per `window` without a captcha; after that, each `send`
/// must carry a `captchaToken` that the provider confirms for that IP. A token is accepted
/// once. The provider's answer decides; when there is none (it is down, slow, or answers
/// something unreadable) the send is refused.
///
/// ```
/// use std::time::Duration;
/// use otp_widget::Captcha;
///
/// let captcha = Captcha::google_v3("my-secret", 0.5).free_sends(3, Duration::from_secs(3600));
/// assert_eq!(captcha.provider().name(), "google");
/// ```
#[derive(Clone)]
pub struct Captcha {
    provider: CaptchaProvider,
    secret: Arc<str>,
    free: u32,
    window: Duration,
    verify_url: String,
    timeout: Duration,
    hostnames: Vec<String>,
    action: Option<String>,
}

impl fmt::Debug for Captcha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captcha")
            .field("provider", &self.provider)
            .field("secret", &"<redacted>")
            .field("free", &self.free)
            .field("window", &self.window)
            .field("verify_url", &self.verify_url)
            .field("timeout", &self.timeout)
            .field("hostnames", &self.hostnames)
            .field("action", &self.action)
            .finish()
    }
}

impl Captcha {
    /// A captcha of `provider`, with its secret key. 3 free sends per IP per hour, the
    /// provider's own verify URL, a 5 s timeout.
    pub fn new(provider: CaptchaProvider, secret: impl Into<String>) -> Self {
        Self {
            provider,
            secret: Arc::from(secret.into()),
            free: 3,
            window: Duration::from_secs(3600),
            verify_url: provider.default_verify_url().to_string(),
            timeout: Duration::from_secs(5),
            hostnames: Vec::new(),
            action: None,
        }
    }

    /// Accepts only tokens solved on these sites: the provider's answer names the host the
    /// captcha was solved on (`hostname`; Yandex's `host`), and a token solved on another
    /// site, or an answer that names none, is refused. Without it (the default) any site's
    /// token that the provider confirms for this secret passes: set it in production.
    pub fn hostnames<I, S>(mut self, hostnames: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.hostnames = hostnames.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts only tokens solved for `action` (reCAPTCHA v3 and Turnstile name the action
    /// the page gave when it asked for the token): one solved for another of the site's forms
    /// is refused.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Google reCAPTCHA v2.
    pub fn google(secret: impl Into<String>) -> Self {
        Self::new(CaptchaProvider::Google { min_score: None }, secret)
    }

    /// Google reCAPTCHA v3, accepting scores from `min_score` up.
    pub fn google_v3(secret: impl Into<String>, min_score: f64) -> Self {
        Self::new(
            CaptchaProvider::Google {
                min_score: Some(min_score),
            },
            secret,
        )
    }

    /// Yandex SmartCaptcha.
    pub fn yandex(secret: impl Into<String>) -> Self {
        Self::new(CaptchaProvider::Yandex, secret)
    }

    /// Cloudflare Turnstile.
    pub fn cloudflare(secret: impl Into<String>) -> Self {
        Self::new(CaptchaProvider::Cloudflare, secret)
    }

    /// `free` sends per client IP per `window` go through without a captcha (the vendor's
    /// `captchaFirstFreeRequestsPerIp`; 0 asks for one every time).
    pub fn free_sends(mut self, free: u32, window: Duration) -> Self {
        self.free = free;
        self.window = window;
        self
    }

    /// Checks tokens at `url` instead of the provider's own (a proxy, or a test's fake).
    pub fn verify_url(mut self, url: impl Into<String>) -> Self {
        self.verify_url = url.into();
        self
    }

    /// How long the provider may take to answer; past it, the send is refused.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The provider.
    pub fn provider(&self) -> CaptchaProvider {
        self.provider
    }

    pub(crate) fn free(&self) -> u32 {
        self.free
    }

    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Asks the provider whether `token` was solved by the browser at `ip`.
    pub(crate) async fn verify(
        &self,
        http: &reqwest::Client,
        token: &str,
        ip: IpAddr,
    ) -> Result<(), String> {
        let ip = ip.to_string();
        let secret = &*self.secret;
        let form: Vec<(&str, &str)> = match self.provider {
            CaptchaProvider::Google { .. } | CaptchaProvider::Cloudflare => {
                vec![("secret", secret), ("response", token), ("remoteip", &ip)]
            }
            CaptchaProvider::Yandex => vec![("secret", secret), ("token", token), ("ip", &ip)],
        };
        let response = http
            .post(&self.verify_url)
            .form(&form)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| format!("the provider cannot be reached: {}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!(
                "the provider answered HTTP {}",
                response.status().as_u16()
            ));
        }
        let verdict: Verdict = response
            .json()
            .await
            .map_err(|e| format!("the provider's answer is unreadable: {}", e.without_url()))?;
        if !self.hostnames.is_empty() {
            let host = verdict.hostname.as_deref().or(verdict.host.as_deref());
            let expected = host.is_some_and(|host| {
                self.hostnames
                    .iter()
                    .any(|h| h.trim().eq_ignore_ascii_case(host.trim()))
            });
            if !expected {
                return Err(format!("solved on another site: {host:?}"));
            }
        }
        if let Some(action) = &self.action {
            let answered = verdict.action.as_deref();
            let applies = !matches!(
                self.provider,
                CaptchaProvider::Yandex | CaptchaProvider::Google { min_score: None }
            );
            if applies && answered != Some(action.as_str()) {
                return Err(format!("solved for another action: {answered:?}"));
            }
        }
        match self.provider {
            CaptchaProvider::Yandex => match verdict.status.as_deref() {
                Some("ok") => Ok(()),
                other => Err(format!("the provider says {other:?}")),
            },
            CaptchaProvider::Cloudflare | CaptchaProvider::Google { min_score: None } => {
                match verdict.success {
                    Some(true) => Ok(()),
                    _ => Err(format!("the provider says no: {:?}", verdict.error_codes)),
                }
            }
            CaptchaProvider::Google {
                min_score: Some(min),
            } => match (verdict.success, verdict.score) {
                (Some(true), Some(score)) if score >= min => Ok(()),
                (Some(true), Some(score)) => Err(format!("score {score} is under {min}")),
                (Some(true), None) => Err("a reCAPTCHA v3 answer without a score".into()),
                _ => Err(format!("the provider says no: {:?}", verdict.error_codes)),
            },
        }
    }
}

/// What the providers answer, all three in one (each fills its own fields).
#[derive(Debug, Deserialize)]
struct Verdict {
    /// Google, Cloudflare.
    success: Option<bool>,
    /// Google reCAPTCHA v3.
    score: Option<f64>,
    /// Yandex: `ok` or `failed`.
    status: Option<String>,
    /// Google, Cloudflare: the site the captcha was solved on.
    hostname: Option<String>,
    /// Yandex: the site the captcha was solved on.
    host: Option<String>,
    /// Google reCAPTCHA v3, Cloudflare: the action the page named.
    action: Option<String>,
    #[serde(rename = "error-codes", default)]
    error_codes: Vec<String>,
}
