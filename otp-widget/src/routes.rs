//! The routes: the spec's paths and success statuses, each forwarding to the client's
//! operation of the same name.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use otp_client::types::{ExceptionType, OtpHandlerCheckCodeRequestDto, OtpHandlerSendRequestDto};
use serde::Deserialize;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::backend::Shared;
use crate::reply::{Refusal, forward, refusal_for, with_captcha};
use crate::session::Bound;

type AppState = Arc<Shared>;

/// One operation of the spec, as the router serves it.
pub(crate) struct Operation {
    pub(crate) id: &'static str,
    /// The HTTP method.
    pub(crate) http: &'static str,
    pub(crate) path: &'static str,
    /// The success status.
    pub(crate) success: u16,
    /// Whether the spec's `x-widget` says `browser`.
    pub(crate) browser: bool,
    /// Whether it has a request body.
    pub(crate) body: bool,
}

macro_rules! operations {
    ($({ id: $id:literal, method: $m:ident, params: [$($p:ident),*], http: $http:literal, path: $path:literal, success: $success:literal, long_polling: $lp:literal, widget: $widget:ident, $($rest:tt)* })*) => {
        &[$(Operation {
            id: $id,
            http: $http,
            path: $path,
            success: $success,
            browser: operations!(@browser $widget),
            body: false $(|| operations!(@body $p))*,
        }),*]
    };
    (@browser browser) => { true };
    (@browser $other:ident) => { false };
    (@body body) => { true };
    (@body $other:ident) => { false };
}

/// Every operation of the spec, from the client's generated list. The router exposes those
/// whose `x-widget` is `browser`, and no other: `server-only` ones (the application's own
/// last step) and those the spec leaves unmarked (an operation added by a newer spec, until
/// someone decides) are answered like paths that do not exist.
pub(crate) const OPERATIONS: &[Operation] = otp_client::for_each_operation!(operations);

pub(crate) fn router<S: Clone + Send + Sync + 'static>(
    shared: AppState,
    cors: &[HeaderValue],
    body_limit: usize,
    body_timeout: std::time::Duration,
) -> Router<S> {
    // What reads a body gets its size limit and its arrival deadline; the other routes
    // never read one, and pay for neither.
    let reading_body = tower::ServiceBuilder::new()
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(DefaultBodyLimit::max(body_limit));
    let mut router = Router::<AppState>::new();
    for (op, handler) in served(&shared) {
        let handler = if op.body {
            handler.layer(reading_body.clone())
        } else {
            handler
        };
        router = router.route(op.path, handler);
    }
    let mut router = router.fallback(|| async {
        Refusal::of(
            ExceptionType::RequestNotFoundException,
            StatusCode::NOT_FOUND,
        )
    });
    if !cors.is_empty() {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(cors.iter().cloned()))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
                // The session cookie travels with a page's requests from a listed origin
                // (of the same site: it is `SameSite=Strict`).
                .allow_credentials(true),
        );
    }
    router.with_state(shared)
}

/// The operations the router serves, each with its handler: those the spec marks `browser`
/// (`complete` only when exposed) that this back end has a handler for.
pub(crate) fn served(
    shared: &Shared,
) -> impl Iterator<Item = (&'static Operation, MethodRouter<AppState>)> + '_ {
    OPERATIONS.iter().filter_map(|op| {
        let &Operation {
            id,
            http,
            success,
            browser,
            ..
        } = op;
        if !browser || (id == "complete" && !shared.expose_complete) {
            return None;
        }
        let method = Method::from_bytes(http.as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok());
        let success = StatusCode::from_u16(success).unwrap_or(StatusCode::OK);
        let Some(handler) = method.and_then(|method| handler(id, method, success)) else {
            // A spec newer than this crate marked an operation `browser` that the back end
            // has no handler for: it stays closed (a test here fails on the bundled spec).
            tracing::warn!(
                operation = id,
                "the spec marks this operation x-widget: browser, and this otp-widget has no \
                 handler for it: not exposed"
            );
            return None;
        };
        Some((op, handler))
    })
}

/// Whether this back end has a handler for operation `id` (tests check every operation the
/// spec marks `browser`).
#[cfg(test)]
pub(crate) fn has_handler(id: &str) -> bool {
    handler(id, MethodFilter::GET, StatusCode::OK).is_some()
}

/// The handler of operation `id`, for the spec's `method`, answering `success` when it
/// succeeds.
fn handler(id: &str, method: MethodFilter, success: StatusCode) -> Option<MethodRouter<AppState>> {
    Some(match id {
        "getWidget" => on(
            method,
            move |State(s): State<AppState>, Admitted(ip): Admitted, Path(widget): Path<String>| async move {
                get_widget(s, ip, widget, success).await
            },
        ),
        "send" => on(
            method,
            move |State(s): State<AppState>,
                  Admitted(ip): Admitted,
                  headers: HeaderMap,
                  body: Result<Bytes, BytesRejection>| async move {
                send(s, ip, &headers, body, success).await
            },
        ),
        "getChannel" => on(
            method,
            move |State(s): State<AppState>, _: Admitted, Bound(id): Bound| async move {
                Ok::<_, Refusal>(forward(&s, success, s.client.get_channel(&id).await))
            },
        ),
        "getChannelLongPolling" => on(
            method,
            move |State(s): State<AppState>, Admitted(ip): Admitted, Bound(id): Bound| async move {
                // Held as long as the service holds it; a browser that goes away drops this
                // future, and the upstream call with it. Counted while held, and capped.
                let _held = crate::held::hold(&s, ip)?;
                Ok::<_, Refusal>(forward(
                    &s,
                    success,
                    s.client.get_channel_long_polling(&id).await,
                ))
            },
        ),
        "getStatus" => on(
            method,
            move |State(s): State<AppState>,
                  _: Admitted,
                  Bound(id): Bound,
                  Recipient(phone): Recipient| async move {
                forward(&s, success, s.client.get_status(&id, &phone).await)
            },
        ),
        "getStatusLongPolling" => on(
            method,
            move |State(s): State<AppState>,
                  Admitted(ip): Admitted,
                  Bound(id): Bound,
                  Recipient(phone): Recipient| async move {
                let _held = crate::held::hold(&s, ip)?;
                let status = s.client.get_status_long_polling(&id, &phone).await;
                Ok::<_, Refusal>(forward(&s, success, status))
            },
        ),
        "checkCode" => on(
            method,
            move |State(s): State<AppState>,
                  _: Admitted,
                  Bound(id): Bound,
                  headers: HeaderMap,
                  body: Result<Bytes, BytesRejection>| async move {
                let body: OtpHandlerCheckCodeRequestDto = json_body(&headers, body)?;
                Ok::<_, Refusal>(forward(&s, success, s.client.check_code(&id, &body).await))
            },
        ),
        "complete" => on(
            method,
            move |State(s): State<AppState>, _: Admitted, Bound(id): Bound| async move {
                Ok::<_, Refusal>(forward(&s, success, s.client.complete(&id).await))
            },
        ),
        "resend" => on(
            method,
            move |State(s): State<AppState>, _: Admitted, Bound(id): Bound| async move {
                // Each resend sends a message: counted like sends, per session and against
                // the global cap; the global cap's count is taken back when it sent nothing
                // (the per-session count is not: it also limits asking).
                s.admit_resend(&id.to_string()).await?;
                let charged = s.charge_resend().await?;
                let result = s.client.resend(&id).await;
                if let Err(e) = &result {
                    s.refund(charged, e).await;
                }
                Ok::<_, Refusal>(forward(&s, success, result))
            },
        ),
        _ => return None,
    })
}

/// The `recipient` of a status query (see [`recipient`]), read where the request's URI
/// holds it.
struct Recipient(String);

impl FromRequestParts<AppState> for Recipient {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Refusal> {
        recipient(s, parts.uri.query()).map(Self)
    }
}

/// The `recipient` of a query, present once: a number in E.164 (`+` and 1 to 15 digits) as
/// it came, any other read as `send` reads it, into the E.164 number the service was given
/// (a browser may send it back as the user typed it, `8 999 …`).
fn recipient(s: &Shared, query: Option<&str>) -> Result<String, Refusal> {
    let query = query.unwrap_or_default();
    if let Some(digits) = plain_recipient(query) {
        let mut phone = String::with_capacity(1 + digits.len());
        phone.push('+');
        phone.push_str(digits);
        return Ok(phone);
    }
    let mut found = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "recipient")
        .map(|(_, v)| v.into_owned());
    let (Some(phone), None) = (found.next(), found.next()) else {
        return Err(Refusal::invalid());
    };
    // Written as `send` passes a number on (`+` and up to 15 digits): passed on as it came,
    // for the service to compare with the session's number. A valid E.164 number parses to
    // itself; one that would parse to another (`+7 8 999…`, a national prefix after the
    // country code) is not the session's, and the service answers so. Parsing costs more than
    // the rest of the route together; a browser that sends the number back as typed pays it.
    if phone.strip_prefix('+').is_some_and(e164_digits) {
        return Ok(phone);
    }
    match otp_client::Phone::parse_in(&phone, &s.region) {
        Ok(parsed) => Ok(String::from(parsed)),
        Err(_) if s.test_numbers.contains(&phone) => Ok(phone),
        Err(_) => Err(Refusal::invalid()),
    }
}

/// The digits of a query that is only `recipient=%2B` and an E.164 number's digits (1 to
/// 15), as the widget sends it: read in place, without decoding. Any other query, `None`
/// (read by the general path, which decodes and checks it).
fn plain_recipient(query: &str) -> Option<&str> {
    let digits = query
        .strip_prefix("recipient=%2B")
        .or_else(|| query.strip_prefix("recipient=%2b"))?;
    e164_digits(digits).then_some(digits)
}

/// Whether `digits` are an E.164 number's, after its `+`: 1 to 15 ASCII digits.
fn e164_digits(digits: &str) -> bool {
    (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A JSON body of type `T`, or the router's refusal.
///
/// Only `application/json`: a page of another origin can send `text/plain` without asking
/// the browser's CORS checks first, so accepting it would let any site make its visitors
/// `send`.
fn json_body<T: for<'de> Deserialize<'de>>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Refusal> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Refusal::invalid().with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let bytes = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal::invalid().with_status(status)
        } else {
            Refusal::invalid()
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::invalid())
}

async fn get_widget(s: AppState, ip: IpAddr, widget: String, success: StatusCode) -> Response {
    let Some(widget_id) = widget
        .parse::<uuid::Uuid>()
        .ok()
        .filter(|id| s.widgets.contains(id))
    else {
        return Refusal::of(
            ExceptionType::WidgetNotFoundException,
            StatusCode::NOT_FOUND,
        )
        .into_response();
    };
    let answer = match s.client.get_widget(&widget_id).await {
        Ok(answer) => answer,
        Err(e) => return refusal_for(&s, &e).into_response(),
    };
    let required = match s.captcha_required(ip).await {
        Ok(required) => required,
        Err(refusal) => return refusal.into_response(),
    };
    let provider = s.captcha.as_ref().map(|c| c.provider().name());
    match serde_json::to_value(answer) {
        Ok(body) => (success, Json(with_captcha(body, required, provider))).into_response(),
        Err(_) => Refusal::internal().into_response(),
    }
}

/// `send`'s body as the widget sends it: the service's, and the captcha's token.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendBody {
    widget_id: uuid::Uuid,
    recipient: String,
    captcha_token: Option<String>,
}

async fn send(
    s: AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    success: StatusCode,
) -> Result<Response, Refusal> {
    let body: SendBody = json_body(headers, body)?;
    // What is refused here counts nowhere: a widget that is not ours, a number that is not
    // one. (Counting them would let anyone lock a victim's number out without one SMS.)
    if !s.widgets.contains(&body.widget_id) {
        crate::metrics::refused("unknown_widget", None);
        return Err(Refusal::of(
            ExceptionType::WidgetNotFoundException,
            StatusCode::NOT_FOUND,
        ));
    }
    let target = match otp_client::Phone::parse_in(&body.recipient, &s.region) {
        Ok(phone) => crate::spend::Target {
            region: phone.region().map(str::to_string),
            e164: String::from(phone),
        },
        Err(_) if s.test_numbers.contains(&body.recipient) => crate::spend::Target {
            e164: body.recipient,
            region: Some(s.region.clone()),
        },
        Err(_) => {
            crate::metrics::refused("invalid_number", None);
            return Err(Refusal::invalid());
        }
    };
    if !s.sends_to(&target) {
        crate::metrics::refused("country_not_allowed", target.region.as_deref());
        tracing::info!(region = ?target.region, "a send to a country this back end does not send to");
        return Err(Refusal::invalid());
    }
    let charged = s
        .admit_send(ip, &target, body.captcha_token.as_deref())
        .await?;
    let request = OtpHandlerSendRequestDto::new(target.e164.clone(), body.widget_id);
    let result = s.client.send(&request).await;
    match &result {
        Ok(_) => crate::metrics::sent(target.region.as_deref()),
        Err(e) => {
            crate::metrics::refused("service_refused", target.region.as_deref());
            s.refund(charged, e).await;
        }
    }
    // The session is this browser's: the cookie binds it (see `session`).
    let cookie = result
        .as_ref()
        .ok()
        .map(|sent| s.session_key.cookie(&sent.request_id, s.secure_cookie));
    let mut response = forward(&s, success, result);
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// A request the per-IP request limit admits (every route takes one first, before it
/// reads anything else of the request), with the client's address.
pub(crate) struct Admitted(pub IpAddr);

impl FromRequestParts<AppState> for Admitted {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Refusal> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, s).await?;
        s.admit_request(ip).await?;
        Ok(Self(ip))
    }
}

/// The client's address, as the back end's resolver finds it.
pub(crate) struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Refusal> {
        match (s.client_ip)(parts) {
            Some(ip) => Ok(Self(ip)),
            None => {
                tracing::error!(
                    "no client address: serve the router with `into_make_service_with_connect_info::<SocketAddr>()`, or give the back end a `client_ip` resolver"
                );
                Err(Refusal::internal())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_query_of_one_plain_e164_recipient_is_read_in_place() {
        for (query, digits) in [
            ("recipient=%2B79991234567", Some("79991234567")),
            ("recipient=%2b1", Some("1")),
            ("recipient=%2B123456789012345", Some("123456789012345")),
            ("recipient=%2B1234567890123456", None),
            ("recipient=%2B", None),
            ("recipient=%2B7999&recipient=%2B7000", None),
            ("recipient=%2B7999&x=1", None),
            ("recipient=+7999", None),
            ("recipient=%2B7%39", None),
            ("recip%69ent=%2B7999", None),
            ("", None),
        ] {
            assert_eq!(plain_recipient(query), digits, "{query}");
        }
    }

    #[test]
    fn every_operation_the_spec_marks_browser_has_a_handler() {
        let missing: Vec<&str> = OPERATIONS
            .iter()
            .filter(|op| op.browser && !has_handler(op.id))
            .map(|op| op.id)
            .collect();
        assert!(
            missing.is_empty(),
            "the spec marks these operations `x-widget: browser`, and the router has no handler: {missing:?}"
        );
    }

    #[test]
    fn the_application_s_last_step_is_server_only() {
        let marked: Vec<(&str, bool)> = OPERATIONS.iter().map(|op| (op.id, op.browser)).collect();
        assert!(
            marked.contains(&("checkStatusAndComplete", false)),
            "checkStatusAndComplete must not be `browser`: {marked:?}"
        );
    }
}
