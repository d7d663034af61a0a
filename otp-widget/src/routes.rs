//! The routes: the spec's paths and success statuses, each forwarding to the client's
//! operation of the same name, behind the guards it needs.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::routing::{MethodFilter, MethodRouter, on};
use otp_client::OperationId;
use otp_client::types::{ExceptionType, OtpHandlerCheckCodeRequestDto};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::forward::forward;
use crate::guard::Holds;
use crate::guard::origin::SameOrigin;
use crate::guard::request_limit::Admitted;
use crate::guard::session::{Bound, BoundCharges};
use crate::handlers::{self, json_body};
use crate::numbers::Numbers;
use crate::refusal::{Reason, Refusal};
use crate::state::AppState;

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
}

macro_rules! operations {
    ($({ id: $id:literal, method: $m:ident, params: [$($p:ident),*], http: $http:literal, path: $path:literal, success: $success:literal, long_polling: $lp:literal, widget: $widget:ident, $($rest:tt)* })*) => {
        &[$(Operation {
            id: $id,
            http: $http,
            path: $path,
            success: $success,
            browser: operations!(@browser $widget),
        }),*]
    };
    (@browser browser) => { true };
    (@browser $other:ident) => { false };
}

/// Every operation of the spec, from the client's generated list. The router exposes those
/// whose `x-widget` is `browser` and that it has a handler for, and no other: `server-only`
/// ones (the application's own last step) and those no overlay marks (an operation added by
/// a newer spec, until someone decides) are answered like paths that do not exist.
pub(crate) const OPERATIONS: &[Operation] = otp_client::for_each_operation!(operations);

/// The answer to a request for no route of the widget's (counted as `unknown_route`).
pub(crate) fn unknown_route() -> Refusal {
    Refusal::of(
        Reason::UnknownRoute,
        ExceptionType::RequestNotFoundException,
        StatusCode::NOT_FOUND,
    )
}

pub(crate) fn router<S: Clone + Send + Sync + 'static>(
    state: AppState,
    cors: &[HeaderValue],
) -> Router<S> {
    let mut router = Router::<AppState>::new();
    for (op, handler) in served(&state) {
        router = router.route(op.path, handler);
    }
    let mut router = router.fallback(|| async { unknown_route() });
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
    router.with_state(state)
}

/// The operations the router serves, each with its handler: those the spec marks `browser`
/// (`complete` only when exposed) that this back end has a handler for.
pub(crate) fn served(
    state: &AppState,
) -> impl Iterator<Item = (&'static Operation, MethodRouter<AppState>)> + '_ {
    OPERATIONS.iter().filter_map(|op| {
        if !op.browser {
            return None;
        }
        let method = Method::from_bytes(op.http.as_bytes())
            .ok()
            .and_then(|m| MethodFilter::try_from(m).ok())?;
        let success = StatusCode::from_u16(op.success).unwrap_or(StatusCode::OK);
        let id = OperationId::from_id(op.id)?;
        match handler(id, method, success) {
            Decision::Serve(_) if id == OperationId::Complete && !state.expose_complete => None,
            Decision::Serve(handler) => Some((op, handler)),
            Decision::NotServed => None,
            Decision::Default => {
                // A spec newer than this crate marked an operation `browser` that the back
                // end has no handler for: it stays closed.
                tracing::warn!(
                    operation = op.id,
                    "an overlay marks this operation x-widget: browser, and this otp-widget \
                     has no handler for it: not exposed"
                );
                None
            }
        }
    })
}

/// What the router does with an operation (made once per route, when the router is built).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Decision {
    /// Serves it with this handler.
    Serve(MethodRouter<AppState>),
    /// Never serves it (the application's own step).
    NotServed,
    /// An operation this crate does not know (only a newer spec has it): closed. Every
    /// operation of the bundled spec has an arm of its own (a test here checks it).
    Default,
}

/// The handler of operation `id`, for the spec's `method`, answering `success` when it
/// succeeds. Every guard a route needs is an extractor, in the order it runs: where a
/// `POST` comes from, the client's request limit, then the session's browser.
pub(crate) fn handler(id: OperationId, method: MethodFilter, success: StatusCode) -> Decision {
    use OperationId as Op;
    Decision::Serve(match id {
        Op::GetWidget => on(
            method,
            move |State(s): State<AppState>, Admitted(ip): Admitted, Path(widget): Path<String>| {
                handlers::get_widget(s, ip, widget, success)
            },
        ),
        Op::Send => on(
            method,
            move |State(s): State<AppState>,
                  _: SameOrigin,
                  Admitted(ip): Admitted,
                  headers: HeaderMap,
                  body: Body| async move {
                handlers::send(s, ip, &headers, body, success).await
            },
        ),
        Op::GetChannel => on(
            method,
            move |State(s): State<AppState>, _: Admitted, Bound(id): Bound| async move {
                forward(s.max_retry_after, success, s.client.get_channel(&id).await)
            },
        ),
        Op::GetChannelLongPolling => on(
            method,
            move |State(s): State<AppState>, Admitted(ip): Admitted, Bound(id): Bound| async move {
                // Held as long as the service holds it; a browser that goes away drops this
                // future, and the upstream call with it. Counted while held, and capped.
                let _held = s.long_polls.hold(ip, &id)?;
                let channel = s.client.get_channel_long_polling(&id).await;
                Ok::<_, Refusal>(forward(s.max_retry_after, success, channel))
            },
        ),
        Op::GetStatus => on(
            method,
            move |State(s): State<AppState>,
                  _: Admitted,
                  Bound(id): Bound,
                  Recipient(phone): Recipient| async move {
                forward(
                    s.max_retry_after,
                    success,
                    s.client.get_status(&id, &phone).await,
                )
            },
        ),
        Op::GetStatusLongPolling => on(
            method,
            move |State(s): State<AppState>,
                  Admitted(ip): Admitted,
                  Bound(id): Bound,
                  Recipient(phone): Recipient| async move {
                let _held = s.long_polls.hold(ip, &id)?;
                let status = s.client.get_status_long_polling(&id, &phone).await;
                Ok::<_, Refusal>(forward(s.max_retry_after, success, status))
            },
        ),
        Op::CheckCode => on(
            method,
            move |State(s): State<AppState>,
                  _: SameOrigin,
                  _: Admitted,
                  Bound(id): Bound,
                  headers: HeaderMap,
                  body: Body| async move {
                let body: OtpHandlerCheckCodeRequestDto = json_body(&s, &headers, body).await?;
                let checked = s.client.check_code(&id, &body).await;
                Ok::<_, Refusal>(forward(s.max_retry_after, success, checked))
            },
        ),
        Op::Complete => on(
            method,
            move |State(s): State<AppState>, _: SameOrigin, _: Admitted, Bound(id): Bound| async move {
                forward(s.max_retry_after, success, s.client.complete(&id).await)
            },
        ),
        Op::Resend => on(
            method,
            move |State(s): State<AppState>,
                  _: SameOrigin,
                  Admitted(ip): Admitted,
                  BoundCharges(id, charges): BoundCharges| {
                handlers::resend(s, ip, id, charges, success)
            },
        ),
        // The application's last step, on its own server (`Client::finish`).
        Op::CheckStatusAndComplete => return Decision::NotServed,
        _ => return Decision::Default,
    })
}

/// The `recipient` of a status query, read where the request's URI holds it (see
/// [`Numbers::recipient`]).
struct Recipient(String);

impl<S: Holds<Numbers> + Send + Sync> FromRequestParts<S> for Recipient {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Refusal> {
        s.part().recipient(parts.uri.query()).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of the bundled spec is decided by an arm of its own: none falls to
    /// the default, which is for operations only a newer spec has.
    #[test]
    fn every_operation_of_the_spec_has_an_arm_of_its_own() {
        let undecided: Vec<&str> = OperationId::ALL
            .iter()
            .filter(|id| {
                matches!(
                    handler(**id, MethodFilter::GET, StatusCode::OK),
                    Decision::Default
                )
            })
            .map(|id| id.as_str())
            .collect();
        assert!(
            undecided.is_empty(),
            "these operations fall to the router's default arm: give each an arm in routes.rs: {undecided:?}"
        );
    }

    #[test]
    fn every_operation_the_spec_marks_browser_is_served() {
        let closed: Vec<&str> = OPERATIONS
            .iter()
            .filter(|op| op.browser)
            .filter(|op| {
                let id = OperationId::from_id(op.id).expect("an operation of the spec");
                !matches!(
                    handler(id, MethodFilter::GET, StatusCode::OK),
                    Decision::Serve(_)
                )
            })
            .map(|op| op.id)
            .collect();
        assert!(
            closed.is_empty(),
            "the spec marks these operations `x-widget: browser`, and the router does not serve them: {closed:?}"
        );
    }

    #[test]
    fn the_application_s_last_step_is_server_only() {
        let marked: Vec<(&str, bool)> = OPERATIONS.iter().map(|op| (op.id, op.browser)).collect();
        assert!(
            marked.contains(&("checkStatusAndComplete", false)),
            "checkStatusAndComplete must not be `browser`: {marked:?}"
        );
        assert!(matches!(
            handler(
                OperationId::CheckStatusAndComplete,
                MethodFilter::POST,
                StatusCode::CREATED
            ),
            Decision::NotServed
        ));
    }
}
