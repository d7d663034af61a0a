//! The routes: the spec's paths and success statuses, each forwarding to the client's
//! operation of the same name, behind the guards it needs. One table ([`table!`]) says what
//! is done with each operation of the spec; [`respond`] finds a request's route and runs it,
//! whatever server parsed the request (see [`RequestHead`]).

use std::net::IpAddr;

use http::StatusCode;
use otp_client::types::{ExceptionType, OtpHandlerCheckCodeRequestDto};
use otp_client::{OperationId, RequestId};

use crate::RequestHead;
use crate::answer::Answer;
use crate::forward::forward;
use crate::guard::body::Incoming;
use crate::guard::client_ip::client_ip;
use crate::handlers::{self, ReadBody, json_body};
use crate::operations::{OPERATIONS, Operation};
use crate::paths::Params;
use crate::refusal::{Reason, Refusal};
use crate::state::WidgetState;

/// The answer to a request for no route of the widget's (counted as `unknown_route`).
pub(crate) fn unknown_route() -> Refusal {
    Refusal::of(
        Reason::UnknownRoute,
        ExceptionType::RequestNotFoundException,
        StatusCode::NOT_FOUND,
    )
}

/// The operations the routes serve: those the spec marks `browser` (`complete` only when
/// `expose_complete`) that the table serves.
pub(crate) fn served(
    expose_complete: bool,
) -> impl Iterator<Item = (&'static Operation, OperationId)> {
    OPERATIONS.iter().filter_map(move |op| {
        if !op.browser {
            return None;
        }
        let id = OperationId::from_id(op.id)?;
        match decision(id) {
            Decision::Serve if id == OperationId::Complete && !expose_complete => None,
            Decision::Serve => Some((op, id)),
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

/// What the routes do with an operation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Serve it, with its handler in the table.
    Serve,
    /// Never serve it (the application's own step).
    NotServed,
    /// An operation this crate does not know (only a newer spec has it): closed. Every
    /// operation of the bundled spec has an arm of its own (a test here checks it).
    Default,
}

/// The table: each operation the routes serve with its handler, and those they never serve.
/// It writes the two `match`es over [`OperationId`] that the routes use: what is decided for
/// an operation ([`decision`]) and the handler a request runs ([`run`]).
macro_rules! table {
    (serve { $($op:ident => $handler:ident,)* } not_served { $($not:ident,)* }) => {
        /// What the routes do with operation `id`.
        pub(crate) fn decision(id: OperationId) -> Decision {
            match id {
                $(OperationId::$op => Decision::Serve,)*
                $(OperationId::$not => Decision::NotServed,)*
                _ => Decision::Default,
            }
        }

        /// Runs the handler of operation `id` (one [`decision`] serves).
        async fn run<H: RequestHead, B: ReadBody>(
            id: OperationId,
            call: Call<'_, H>,
            body: Incoming<B>,
        ) -> Result<Answer, Refusal> {
            match id {
                $(OperationId::$op => $handler(call, body).await,)*
                _ => Err(unknown_route()),
            }
        }
    };
}

table! {
    serve {
        GetWidget => get_widget,
        Send => send,
        GetChannel => get_channel,
        GetChannelLongPolling => get_channel_long_polling,
        GetStatus => get_status,
        GetStatusLongPolling => get_status_long_polling,
        CheckCode => check_code,
        Complete => complete,
        Resend => resend,
    }
    // The application's last step, on its own server (`Client::finish`).
    not_served {
        CheckStatusAndComplete,
    }
}

/// The answer to one request, whatever server parsed it: CORS's preflight, else the route
/// its method and path name (the widget's 404 for none), with CORS's headers.
pub(crate) async fn respond<H: RequestHead, B: ReadBody>(
    s: &WidgetState,
    head: &H,
    body: Incoming<B>,
) -> Answer {
    if let Some(preflight) = s.cors.preflight(head) {
        return preflight;
    }
    let answer = match s.paths.find(head.method(), head.path()) {
        Some((route, params)) => {
            let call = Call {
                s,
                head,
                params,
                success: route.success,
            };
            run(route.id, call, body).await
        }
        None => Err(unknown_route()),
    };
    let mut answer = answer.unwrap_or_else(Refusal::answer);
    s.cors.decorate(head, &mut answer);
    answer
}

/// One request on its route: what a handler is given, with the request's body.
struct Call<'a, H> {
    s: &'a WidgetState,
    head: &'a H,
    params: Params<'a>,
    /// The route's success status.
    success: StatusCode,
}

impl<'a, H: RequestHead> Call<'a, H> {
    /// Where a `POST` comes from (see `guard::origin`): the first guard of the routes that
    /// send, check or close.
    fn same_origin(&self) -> Result<(), Refusal> {
        self.s.origin.admit(self.head)
    }

    /// The client's address, once the request limit admits it: every route's guard before
    /// it reads anything else of the request.
    async fn admitted(&self) -> Result<IpAddr, Refusal> {
        let ip = client_ip(&self.s.client_ip, self.head)?;
        match self.s.requests.admit_now(ip) {
            Some(admitted) => admitted?,
            // Boxed: most requests are decided at once, and the route's future then does not
            // carry this one's size.
            None => Box::pin(self.s.requests.admit(ip)).await?,
        }
        Ok(ip)
    }

    /// The session the path names, when the calling browser is the one that started it,
    /// with what its sends are charged to; anyone else is answered as if it did not exist.
    fn bound(&self) -> Result<(RequestId, &'a str), Refusal> {
        let id = self
            .params
            .get("requestId")
            .and_then(|text| text.parse::<RequestId>().ok())
            .ok_or_else(Refusal::unknown_session)?;
        let charges = self.s.sessions.admit(self.head, &id)?;
        Ok((id, charges))
    }
}

// Futures are moved whole as the one around them is made, and the mount's server boxes the
// outermost one per request: the client's calls are boxed here (a call's future is 736 bytes,
// two thirds of a status poll's route), and the routes that send or read a widget box their
// whole work (they are few per session), so that the future of a status or channel poll,
// which a page repeats, stays small (`respond`'s: 1,344 bytes with the calls inline).

async fn get_widget<H: RequestHead, B>(c: Call<'_, H>, _: Incoming<B>) -> Result<Answer, Refusal> {
    let ip = c.admitted().await?;
    let widget = c.params.get("widgetId").unwrap_or_default();
    Box::pin(handlers::get_widget(c.s, ip, widget, c.success)).await
}

async fn send<H: RequestHead, B: ReadBody>(
    c: Call<'_, H>,
    body: Incoming<B>,
) -> Result<Answer, Refusal> {
    c.same_origin()?;
    let ip = c.admitted().await?;
    Box::pin(handlers::send(c.s, ip, c.head, body, c.success)).await
}

async fn get_channel<H: RequestHead, B>(c: Call<'_, H>, _: Incoming<B>) -> Result<Answer, Refusal> {
    c.admitted().await?;
    let (id, _) = c.bound()?;
    forward(
        c.s.max_retry_after,
        c.success,
        Box::pin(c.s.client.get_channel(&id)).await,
    )
}

async fn get_channel_long_polling<H: RequestHead, B>(
    c: Call<'_, H>,
    _: Incoming<B>,
) -> Result<Answer, Refusal> {
    let ip = c.admitted().await?;
    let (id, _) = c.bound()?;
    // Held as long as the service holds it; a browser that goes away drops this future,
    // and the upstream call with it. Counted while held, and capped.
    let _held = c.s.long_polls.hold(ip, &id)?;
    let channel = Box::pin(c.s.client.get_channel_long_polling(&id)).await;
    forward(c.s.max_retry_after, c.success, channel)
}

async fn get_status<H: RequestHead, B>(c: Call<'_, H>, _: Incoming<B>) -> Result<Answer, Refusal> {
    c.admitted().await?;
    let (id, _) = c.bound()?;
    let phone = c.s.numbers.recipient(c.head.query())?;
    forward(
        c.s.max_retry_after,
        c.success,
        Box::pin(c.s.client.get_status(&id, &phone)).await,
    )
}

async fn get_status_long_polling<H: RequestHead, B>(
    c: Call<'_, H>,
    _: Incoming<B>,
) -> Result<Answer, Refusal> {
    let ip = c.admitted().await?;
    let (id, _) = c.bound()?;
    let phone = c.s.numbers.recipient(c.head.query())?;
    let _held = c.s.long_polls.hold(ip, &id)?;
    let status = Box::pin(c.s.client.get_status_long_polling(&id, &phone)).await;
    forward(c.s.max_retry_after, c.success, status)
}

async fn check_code<H: RequestHead, B: ReadBody>(
    c: Call<'_, H>,
    body: Incoming<B>,
) -> Result<Answer, Refusal> {
    c.same_origin()?;
    c.admitted().await?;
    let (id, _) = c.bound()?;
    let body: OtpHandlerCheckCodeRequestDto = Box::pin(json_body(c.s, c.head, body)).await?;
    forward(
        c.s.max_retry_after,
        c.success,
        Box::pin(c.s.client.check_code(&id, &body)).await,
    )
}

async fn complete<H: RequestHead, B>(c: Call<'_, H>, _: Incoming<B>) -> Result<Answer, Refusal> {
    c.same_origin()?;
    c.admitted().await?;
    let (id, _) = c.bound()?;
    forward(
        c.s.max_retry_after,
        c.success,
        Box::pin(c.s.client.complete(&id)).await,
    )
}

async fn resend<H: RequestHead, B>(c: Call<'_, H>, _: Incoming<B>) -> Result<Answer, Refusal> {
    c.same_origin()?;
    let ip = c.admitted().await?;
    let (id, charges) = c.bound()?;
    Box::pin(handlers::resend(c.s, ip, id, charges, c.success)).await
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
            .filter(|id| decision(**id) == Decision::Default)
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
                decision(id) != Decision::Serve
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
        assert_eq!(
            decision(OperationId::CheckStatusAndComplete),
            Decision::NotServed
        );
    }

    #[test]
    fn complete_is_routed_only_when_exposed() {
        let path = "/d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6/complete";
        assert!(
            crate::paths::Paths::new(served(true))
                .find("POST", path)
                .is_some()
        );
        assert!(
            crate::paths::Paths::new(served(false))
                .find("POST", path)
                .is_none()
        );
    }
}
