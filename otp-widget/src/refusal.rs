//! The router's refusals: each carries why ([`Reason`]) and is counted once, where it becomes
//! a response, in the service's error shape, `{type, message, httpStatus}`.

use std::time::Duration;

use http::{HeaderValue, StatusCode, header};
use otp_client::types::{ErrorResponse, ExceptionType};

use crate::answer::Answer;

/// Why a request was refused: the `reason` label of `otp_widget_refusals_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Reason {
    /// A widget id the back end does not serve.
    UnknownWidget,
    /// A phone number that is not one.
    InvalidNumber,
    /// A number of a country the back end does not send to.
    CountryNotAllowed,
    /// A number of a kind of line the back end does not send to (premium-rate, toll-free…).
    NumberTypeNotAllowed,
    /// A send past its client's free sends without a captcha the provider confirms, or with
    /// a token used before.
    Captcha,
    /// A send past its number's limit.
    PerNumberLimit,
    /// A send past its number range's limit.
    PerRangeLimit,
    /// A send past its country's limit.
    PerCountryLimit,
    /// A send past the global cap.
    GlobalSendCap,
    /// A resend past its session's limit.
    PerSessionResendLimit,
    /// A request past its client's request limit.
    PerIpLimit,
    /// A `POST` from a page of another origin.
    CrossOrigin,
    /// A session route without the cookie of the browser that started the session.
    UnknownSession,
    /// A long-poll past a cap on those held.
    LongPollCap,
    /// A request the router cannot read (not JSON, too large, too slow, a bad query).
    InvalidRequest,
    /// A path the router does not serve.
    UnknownRoute,
    /// The service refused the call (its error answer, passed on).
    ServiceRefused,
    /// The service could not be reached.
    ServiceUnreachable,
    /// The quota store failed: the guards fail closed.
    StoreFailed,
    /// The back end cannot forward the call (its token, its configuration).
    Internal,
}

impl Reason {
    /// Every reason, in the docs' order.
    #[cfg(test)]
    pub(crate) const ALL: &'static [Reason] = &[
        Reason::UnknownWidget,
        Reason::InvalidNumber,
        Reason::CountryNotAllowed,
        Reason::NumberTypeNotAllowed,
        Reason::Captcha,
        Reason::PerNumberLimit,
        Reason::PerRangeLimit,
        Reason::PerCountryLimit,
        Reason::GlobalSendCap,
        Reason::PerSessionResendLimit,
        Reason::PerIpLimit,
        Reason::CrossOrigin,
        Reason::UnknownSession,
        Reason::LongPollCap,
        Reason::InvalidRequest,
        Reason::UnknownRoute,
        Reason::ServiceRefused,
        Reason::ServiceUnreachable,
        Reason::StoreFailed,
        Reason::Internal,
    ];

    /// The metric's label.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownWidget => "unknown_widget",
            Reason::InvalidNumber => "invalid_number",
            Reason::CountryNotAllowed => "country_not_allowed",
            Reason::NumberTypeNotAllowed => "number_type_not_allowed",
            Reason::Captcha => "captcha",
            Reason::PerNumberLimit => "per_number_limit",
            Reason::PerRangeLimit => "per_range_limit",
            Reason::PerCountryLimit => "per_country_limit",
            Reason::GlobalSendCap => "global_send_cap",
            Reason::PerSessionResendLimit => "per_session_resend_limit",
            Reason::PerIpLimit => "per_ip_limit",
            Reason::CrossOrigin => "cross_origin",
            Reason::UnknownSession => "unknown_session",
            Reason::LongPollCap => "long_poll_cap",
            Reason::InvalidRequest => "invalid_request",
            Reason::UnknownRoute => "unknown_route",
            Reason::ServiceRefused => "service_refused",
            Reason::ServiceUnreachable => "service_unreachable",
            Reason::StoreFailed => "store_failed",
            Reason::Internal => "internal",
        }
    }
}

/// An answer in the service's error shape, with why.
#[derive(Debug)]
pub(crate) struct Refusal {
    reason: Reason,
    kind: ExceptionType,
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
    /// The country of the number a send went to, where known: a label of the count.
    country: Option<String>,
}

impl Refusal {
    /// A refusal of `kind` for `reason`, with the status and message the spec gives the kind
    /// (the vendor's words), or `fallback` when the spec has none.
    pub(crate) fn of(reason: Reason, kind: ExceptionType, fallback: StatusCode) -> Self {
        let status = kind
            .http_status()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(fallback);
        let message = kind.vendor_message().unwrap_or_default().to_string();
        Self {
            reason,
            kind,
            status,
            message,
            retry_after: None,
            country: None,
        }
    }

    /// The service's own refusal, passed on: its type and status, the message the spec
    /// documents for the type (never the service's own text), its `Retry-After`.
    pub(crate) fn service(kind: ExceptionType, status: StatusCode, wait: Option<Duration>) -> Self {
        let message = kind.vendor_message().unwrap_or_default().to_string();
        Self {
            reason: Reason::ServiceRefused,
            kind,
            status,
            message,
            retry_after: wait,
            country: None,
        }
    }

    /// The same refusal with another status.
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Says how long to wait (`Retry-After`).
    pub(crate) fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Counts it under the country of the number it is about.
    pub(crate) fn in_country(mut self, country: Option<&str>) -> Self {
        self.country = country.map(str::to_string);
        self
    }

    /// `ValidateError` for `reason`: input the router will not take.
    pub(crate) fn invalid(reason: Reason) -> Self {
        Self::of(
            reason,
            ExceptionType::ValidateError,
            StatusCode::BAD_REQUEST,
        )
    }

    /// `RateLimitException` (429) for `reason`, with how long to wait.
    pub(crate) fn rate_limited(reason: Reason, wait: Duration) -> Self {
        Self::of(
            reason,
            ExceptionType::RateLimitException,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .retry_after(wait)
    }

    /// `InternalServerErrorException` for `reason`: the back end failed (its configuration,
    /// its store).
    pub(crate) fn internal(reason: Reason) -> Self {
        Self::of(
            reason,
            ExceptionType::InternalServerErrorException,
            StatusCode::INTERNAL_SERVER_ERROR,
        )
    }

    /// `SessionNotFoundException`: what anyone but the session's browser is answered.
    pub(crate) fn unknown_session() -> Self {
        Self::of(
            Reason::UnknownSession,
            ExceptionType::SessionNotFoundException,
            StatusCode::NOT_FOUND,
        )
    }
}

impl Refusal {
    /// The answer, counted: where a refusal becomes one, and the only place it is counted.
    pub(crate) fn answer(self) -> Answer {
        crate::metrics::refused(self.reason.as_str(), self.country.as_deref());
        let body = ErrorResponse::new()
            .type_(self.kind)
            .message(self.message)
            .http_status(self.status.as_u16());
        // The spec's error type always serializes; an empty body if it ever did not.
        let mut answer = Answer::json(self.status, serde_json::to_vec(&body).unwrap_or_default());
        if let Some(wait) = self.retry_after {
            let seconds = wait
                .as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0));
            answer
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's list of refusal reasons is this enum's, in its order.
    #[test]
    fn the_readme_lists_every_reason_and_no_other() {
        let readme = include_str!("../README.md");
        let listed: Vec<&str> = readme
            .lines()
            .filter_map(|l| l.strip_prefix("| `otp_widget_refusals_total` reason | `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let ours: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(listed, ours, "otp-widget/README.md's refusal reasons");
    }
}
