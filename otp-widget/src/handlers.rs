//! What each route does once its guards admitted the request: forward the call, with what a
//! send and a resend must pass and what they are charged.

use std::net::IpAddr;

use bytes::Bytes;
use http::{StatusCode, header};
use otp_client::RequestId;
use otp_client::types::{ExceptionType, OtpHandlerSendRequestDto};
use serde::Deserialize;

use crate::RequestHead;
use crate::answer::Answer;
use crate::forward::{forward, refusal_for, with_captcha};
use crate::guard::body::Incoming;
use crate::head::Headers;
use crate::refusal::{Reason, Refusal};
use crate::state::WidgetState;

/// `getWidget`: the service's answer, and whether this browser needs a captcha.
pub(crate) async fn get_widget(
    s: &WidgetState,
    ip: IpAddr,
    widget: &str,
    success: StatusCode,
) -> Result<Answer, Refusal> {
    let Some(widget_id) = widget
        .parse::<uuid::Uuid>()
        .ok()
        .filter(|id| s.numbers.serves(id))
    else {
        return Err(unknown_widget());
    };
    let answer = s
        .client
        .get_widget(&widget_id)
        .await
        .map_err(|e| refusal_for(s.max_retry_after, &e))?;
    let required = s.captcha.required(ip).await?;
    let provider = s.captcha.captcha().map(|c| c.provider().name());
    let body = serde_json::to_value(answer).map_err(|_| Refusal::internal(Reason::Internal))?;
    let body = serde_json::to_vec(&with_captcha(body, required, provider))
        .map_err(|_| Refusal::internal(Reason::Internal))?;
    Ok(Answer::json(success, body))
}

fn unknown_widget() -> Refusal {
    Refusal::of(
        Reason::UnknownWidget,
        ExceptionType::WidgetNotFoundException,
        StatusCode::NOT_FOUND,
    )
}

/// `send`'s body as the widget sends it: the service's, and the captcha's token.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendBody {
    widget_id: uuid::Uuid,
    recipient: String,
    captcha_token: Option<String>,
}

/// `send`: what is refused before the captcha and the limits counts nowhere (a widget that
/// is not ours, a number that is not one, a country the back end does not send to):
/// counting them would let anyone lock a victim's number out without one SMS.
pub(crate) async fn send<B: ReadBody>(
    s: &WidgetState,
    ip: IpAddr,
    head: &(impl RequestHead + ?Sized),
    body: Incoming<B>,
    success: StatusCode,
) -> Result<Answer, Refusal> {
    let body: SendBody = json_body(s, head, body).await?;
    if !s.numbers.serves(&body.widget_id) {
        return Err(unknown_widget());
    }
    let target = s.numbers.target(body.recipient)?;
    if !s.sends.sends_to_type(&target) {
        tracing::info!(kind = ?target.kind, "a send to a kind of line this back end does not send to");
        return Err(
            Refusal::invalid(Reason::NumberTypeNotAllowed).in_country(target.region.as_deref())
        );
    }
    if !s.sends.sends_to(&target) {
        tracing::info!(region = ?target.region, "a send to a country this back end does not send to");
        return Err(
            Refusal::invalid(Reason::CountryNotAllowed).in_country(target.region.as_deref())
        );
    }
    s.captcha.admit(ip, body.captcha_token.as_deref()).await?;
    let charged = s.sends.charge_send(&target).await?;
    let request = OtpHandlerSendRequestDto::new(target.e164.clone(), body.widget_id);
    let result = s.client.send(&request).await;
    match &result {
        Ok(_) => crate::metrics::sent(target.region.as_deref()),
        Err(e) => s.sends.refund(charged, e).await,
    }
    // The session is this browser's: the cookie binds it (see `guard::session`).
    let cookie = result.as_ref().ok().map(|sent| {
        s.sessions
            .cookie(&sent.request_id, &s.sends.session_charges(&target))
    });
    let mut answer = forward(s.max_retry_after, success, result)?;
    if let Some(cookie) = cookie {
        answer.headers.append(header::SET_COOKIE, cookie);
    }
    Ok(answer)
}

/// `resend`: each one sends a message, so it passes the captcha's policy (its client's free
/// sends count it) and is charged like a send: per session, and to its number's, range's
/// and country's limits and the global cap (its cookie carries what its send was charged
/// to), taken back when it sent nothing (the per-session count is not: it also limits
/// asking).
pub(crate) async fn resend(
    s: &WidgetState,
    ip: IpAddr,
    id: RequestId,
    charges: &str,
    success: StatusCode,
) -> Result<Answer, Refusal> {
    s.captcha.admit(ip, None).await?;
    let charged = s.sends.charge_resend(&id.to_string(), charges).await?;
    let result = s.client.resend(&id).await;
    match &result {
        Ok(_) => crate::metrics::sent(charges.split('~').next().filter(|r| !r.is_empty())),
        Err(e) => s.sends.refund(charged, e).await,
    }
    forward(s.max_retry_after, success, result)
}

/// A JSON body of type `T`, read whole within the body's deadline and limit, or the
/// router's refusal.
///
/// Only `application/json`: a page of another origin can send `text/plain` without asking
/// the browser's CORS checks first, so accepting it would let any site make its visitors
/// `send`.
pub(crate) async fn json_body<T: for<'de> Deserialize<'de>, B: ReadBody>(
    s: &WidgetState,
    head: &(impl RequestHead + ?Sized),
    body: Incoming<B>,
) -> Result<T, Refusal> {
    let json = head
        .first(&header::CONTENT_TYPE)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    let invalid = || Refusal::invalid(Reason::InvalidRequest);
    if !json {
        return Err(invalid().with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let bytes = s.body.read(body).await?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// A request body the routes can read: any `http` body of bytes.
pub(crate) trait ReadBody:
    http_body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
{
}

impl<B> ReadBody for B where
    B: http_body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
{
}
