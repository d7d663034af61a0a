//! The ten operations, over HTTP.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::OperationId;
use crate::errors::{Errors, unauthorized};
use crate::fault::Fault;
use crate::scenario::{self, Behaviour};
use crate::state::{Session, SessionCell, State, close, confirm};

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct App {
    pub state: Arc<State>,
    pub errors: Arc<Errors>,
}

/// The operation a response answered, for the request log and the recorder.
#[derive(Debug, Clone, Copy)]
pub struct Operation(pub &'static str);

/// A JSON answer to operation `op`.
pub struct Reply {
    op: &'static str,
    status: StatusCode,
    body: Value,
    /// `Retry-After`, in whole seconds.
    retry_after: Option<Duration>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(wait) = self.retry_after {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.max(1).into());
        }
        response.extensions_mut().insert(Operation(self.op));
        response
    }
}

type Result<T> = std::result::Result<T, Reply>;

impl App {
    fn reply(&self, op: &'static str, status: StatusCode, body: Value) -> Reply {
        Reply {
            op,
            status,
            body,
            retry_after: None,
        }
    }

    fn error(&self, op: &'static str, kind: &str) -> Reply {
        let (status, body) = self.errors.get(kind);
        self.reply(op, status, body)
    }

    fn authorize(&self, op: &'static str, headers: &HeaderMap) -> Result<String> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| self.state.is_token(t));
        match token {
            Some(token) => Ok(token.to_string()),
            None => {
                let (status, body) = unauthorized();
                Err(self.reply(op, status, body))
            }
        }
    }

    /// Authorizes, finds the session, and checks the token owns it; a session of the slow
    /// scenario number answers after the configured delay.
    async fn found(
        &self,
        op: &'static str,
        headers: &HeaderMap,
        id: &str,
    ) -> Result<Arc<SessionCell>> {
        let cell = self.session(op, headers, id)?;
        let slow = cell.lock().scenario == Some(Behaviour::Slow);
        if slow {
            tokio::time::sleep(self.state.config.slow_delay).await;
        }
        Ok(cell)
    }

    /// Authorizes, finds the session, and checks the token owns it.
    fn session(&self, op: &'static str, headers: &HeaderMap, id: &str) -> Result<Arc<SessionCell>> {
        let token = self.authorize(op, headers)?;
        let cell = self
            .state
            .session(id)
            .ok_or_else(|| self.error(op, "SessionNotFoundException"))?;
        if cell.lock().widget.owner != token {
            return Err(self.error(op, "ForbiddenException"));
        }
        Ok(cell)
    }

    fn lifetime(&self) -> std::time::Duration {
        self.state.config.channel_lifetime
    }
}

fn channel_json(s: &Session, lifetime: std::time::Duration) -> Value {
    let channel = s.channel();
    let mut settings = json!({
        "lifetime": lifetime.as_secs(),
        "numberOfTries": s.attempts_left.max(1),
        "numberOfRestart": s.widget.cascade.len().saturating_sub(1),
    });
    let payload = if channel.codeless {
        json!({"hint": "Confirm on your phone"})
    } else {
        settings["code"] = json!({"length": s.widget.code.chars().count(), "beautify": false});
        json!({})
    };
    json!({
        "type": channel.kind,
        "status": s.status.as_str(),
        "label": channel.kind.to_uppercase(),
        "codeType": if channel.codeless { "codeless" } else { "code" },
        "payload": payload,
        "settings": settings,
        "remainingCodeAttempts": s.attempts_left,
    })
}

fn success(op: &'static str, status: StatusCode, value: bool) -> Reply {
    Reply {
        op,
        status,
        body: json!({"success": value}),
        retry_after: None,
    }
}

#[derive(Debug, Deserialize)]
pub struct RecipientQuery {
    recipient: Option<String>,
}

impl App {
    fn recipient_matches(&self, op: &'static str, s: &Session, q: &RecipientQuery) -> Result<()> {
        match &q.recipient {
            Some(r) if r.is_empty() => Err(self.error(op, "ValidateError")),
            Some(r) if *r == s.recipient => Ok(()),
            Some(_) => Err(self.error(op, "PhoneNumberMismatchException")),
            None => Err(self.error(op, "ValidateError")),
        }
    }
}

pub async fn get_widget(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(widget_id): Path<String>,
) -> Result<Reply> {
    const OP: &str = "getWidget";
    let token = app.authorize(OP, &headers)?;
    let widget = app
        .state
        .widget(&widget_id)
        .ok_or_else(|| app.error(OP, "WidgetNotFoundException"))?;
    if widget.owner != token {
        return Err(app.error(OP, "ForbiddenException"));
    }
    let body = json!({"isBlocked": widget.blocked, "isActive": widget.active, "name": widget.name});
    Ok(app.reply(OP, StatusCode::OK, body))
}

pub async fn send(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Reply> {
    const OP: &str = "send";
    let token = app.authorize(OP, &headers)?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        widget_id: String,
        recipient: String,
    }
    let body: Body = serde_json::from_slice(&body)
        .ok()
        .filter(|b: &Body| !b.recipient.is_empty())
        .ok_or_else(|| app.error(OP, "ValidateError"))?;
    let scenario = scenario::behaviour(&body.recipient);
    if scenario == Some(Behaviour::Slow) {
        tokio::time::sleep(app.state.config.slow_delay).await;
    }
    let limited = match scenario {
        Some(Behaviour::RateLimited) => Some(Duration::from_secs(60)),
        _ => app.state.count_send(&body.recipient),
    };
    if let Some(wait) = limited {
        let mut reply = app.error(OP, "RateLimitException");
        reply.retry_after = Some(wait);
        return Err(reply);
    }
    let widget = app
        .state
        .widget(&body.widget_id)
        .ok_or_else(|| app.error(OP, "WidgetNotFoundException"))?;
    if widget.owner != token {
        return Err(app.error(OP, "ForbiddenException"));
    }
    if widget.blocked {
        return Err(app.error(OP, "WidgetIsBlockedException"));
    }
    if !widget.active || widget.cascade.is_empty() || scenario == Some(Behaviour::NoChannel) {
        return Err(app.error(OP, "NoAvailableChannelsException"));
    }
    let id = app.state.start(widget, body.recipient);
    Ok(app.reply(OP, StatusCode::CREATED, json!({"requestId": id})))
}

pub async fn get_channel(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
) -> Result<Reply> {
    const OP: &str = "getChannel";
    let cell = app.found(OP, &headers, &request_id).await?;
    app.read_channel(OP, &cell)
}

impl App {
    /// Answers with the channel (and marks it seen), or with what blocks the session.
    fn read_channel(&self, op: &'static str, cell: &Arc<SessionCell>) -> Result<Reply> {
        let reply = {
            let mut s = cell.lock();
            if let Some(kind) = s.blocker(self.lifetime()) {
                return Err(self.error(op, kind));
            }
            s.seen_version = s.version;
            s.channel_switched = false;
            self.reply(op, StatusCode::OK, channel_json(&s, self.lifetime()))
        };
        self.state.seen(cell);
        Ok(reply)
    }
}

pub async fn get_channel_long_polling(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
) -> Result<Reply> {
    const OP: &str = "getChannelLongPolling";
    let cell = app.found(OP, &headers, &request_id).await?;
    let unseen = {
        let s = cell.lock();
        s.version != s.seen_version || s.blocker(app.lifetime()).is_some()
    };
    if unseen
        || cell
            .wait_change(app.state.config.hold, &app.state.held)
            .await
    {
        return app.read_channel(OP, &cell);
    }
    Err(app.error(OP, "LongPollingTimeoutException"))
}

pub async fn get_status(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    Query(q): Query<RecipientQuery>,
) -> Result<Reply> {
    const OP: &str = "getStatus";
    let cell = app.found(OP, &headers, &request_id).await?;
    let s = cell.lock();
    app.recipient_matches(OP, &s, &q)?;
    if let Some(kind) = s.blocker(app.lifetime()) {
        return Err(app.error(OP, kind));
    }
    if s.channel_switched {
        return Err(app.error(OP, "ChannelChangedException"));
    }
    Ok(success(OP, StatusCode::OK, s.confirmed))
}

pub async fn get_status_long_polling(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    Query(q): Query<RecipientQuery>,
) -> Result<Reply> {
    const OP: &str = "getStatusLongPolling";
    let cell = app.found(OP, &headers, &request_id).await?;
    let mut waited = false;
    loop {
        {
            let s = cell.lock();
            app.recipient_matches(OP, &s, &q)?;
            if s.confirmed || s.closed {
                return Ok(success(OP, StatusCode::OK, s.confirmed));
            }
            if let Some(kind) = s.blocker(app.lifetime()) {
                return Err(app.error(OP, kind));
            }
            if waited {
                return Ok(success(OP, StatusCode::OK, false));
            }
        }
        if !cell
            .wait_change(app.state.config.hold, &app.state.held)
            .await
        {
            return Err(app.error(OP, "LongPollingTimeoutException"));
        }
        waited = true;
    }
}

pub async fn check_code(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Reply> {
    const OP: &str = "checkCode";
    let cell = app.found(OP, &headers, &request_id).await?;
    #[derive(Deserialize)]
    struct Body {
        code: String,
    }
    let body: Body = serde_json::from_slice(&body)
        .ok()
        .filter(|b: &Body| !b.code.is_empty())
        .ok_or_else(|| app.error(OP, "ValidateError"))?;
    let version = {
        let mut s = cell.lock();
        if let Some(kind) = s.blocker(app.lifetime()) {
            return Err(app.error(OP, kind));
        }
        if s.channel_switched {
            return Err(app.error(OP, "ChannelChangedException"));
        }
        if s.channel().codeless {
            return Err(app.error(OP, "IsCodelessChannelException"));
        }
        if s.confirmed {
            return Ok(success(OP, StatusCode::CREATED, true));
        }
        if body.code == s.widget.code {
            confirm(&mut s);
        } else {
            s.attempts_left = s.attempts_left.saturating_sub(1);
            s.bump();
        }
        s.version
    };
    cell.notify(version);
    let s = cell.lock();
    if s.confirmed {
        Ok(success(OP, StatusCode::CREATED, true))
    } else if s.attempts_left == 0 {
        Err(app.error(OP, "AttemptsExpiredException"))
    } else {
        Err(app.error(OP, "InvalidCodeException"))
    }
}

pub async fn check_status_and_complete(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    Query(q): Query<RecipientQuery>,
) -> Result<Reply> {
    const OP: &str = "checkStatusAndComplete";
    let cell = app.found(OP, &headers, &request_id).await?;
    let version = {
        let mut s = cell.lock();
        app.recipient_matches(OP, &s, &q)?;
        if s.closed {
            // Completed already: a replay proves nothing.
            return Ok(success(OP, StatusCode::CREATED, false));
        }
        if let Some(kind) = s.blocker(app.lifetime()) {
            return Err(app.error(OP, kind));
        }
        if !s.confirmed {
            return Ok(success(OP, StatusCode::CREATED, false));
        }
        close(&mut s);
        s.version
    };
    cell.notify(version);
    Ok(success(OP, StatusCode::CREATED, true))
}

pub async fn complete(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
) -> Result<Reply> {
    const OP: &str = "complete";
    let cell = app.found(OP, &headers, &request_id).await?;
    cell.change(close);
    Ok(success(OP, StatusCode::CREATED, true))
}

pub async fn resend(
    AxumState(app): AxumState<App>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
) -> Result<Reply> {
    const OP: &str = "resend";
    let cell = app.found(OP, &headers, &request_id).await?;
    {
        let s = cell.lock();
        if s.confirmed {
            return Err(app.error(OP, "SessionAlreadyConfirmedException"));
        }
        if s.closed || s.exhausted {
            return Err(app.error(OP, "NoAvailableChannelsException"));
        }
        if s.attempts_left == 0 {
            return Err(app.error(OP, "AttemptsExpiredException"));
        }
        let waited = s.channel_started.elapsed();
        if waited < app.state.config.resend_cooldown {
            // How long is left, as the service could say it (`Retry-After`).
            let mut reply = app.error(OP, "RestartCooldownActiveException");
            reply.retry_after = Some(app.state.config.resend_cooldown - waited);
            return Err(reply);
        }
    }
    if app.state.next_channel(&cell) {
        Ok(success(OP, StatusCode::CREATED, true))
    } else {
        Err(app.error(OP, "NoAvailableChannelsException"))
    }
}

/// `GET /sandbox/{requestId}/code`: the code the session's channel sent (sandbox only).
pub async fn sandbox_code(
    AxumState(app): AxumState<App>,
    Path(request_id): Path<String>,
) -> Response {
    match app.state.session(&request_id) {
        Some(cell) => {
            let s = cell.lock();
            Json(json!({"code": s.widget.code, "codeless": s.channel().codeless})).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /sandbox/{requestId}/confirm`: the user confirms a codeless channel (sandbox only).
pub async fn sandbox_confirm(
    AxumState(app): AxumState<App>,
    Path(request_id): Path<String>,
) -> Response {
    if app.state.confirm(&request_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// The answer of a sandbox-only endpoint about one session: 204 done, 404 no such session.
fn done(found: bool) -> Response {
    if found {
        StatusCode::NO_CONTENT.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// `POST /sandbox/{requestId}/expire`: the session's channel expires now (sandbox only).
pub async fn sandbox_expire(AxumState(app): AxumState<App>, Path(id): Path<String>) -> Response {
    done(app.state.expire(&id))
}

/// `POST /sandbox/{requestId}/switch`: the session moves to its next channel (sandbox only).
pub async fn sandbox_switch(AxumState(app): AxumState<App>, Path(id): Path<String>) -> Response {
    done(app.state.switch(&id))
}

/// `POST /sandbox/{requestId}/close`: the session is closed (sandbox only).
pub async fn sandbox_close(AxumState(app): AxumState<App>, Path(id): Path<String>) -> Response {
    done(app.state.close_session(&id))
}

/// The body of `POST /sandbox/faults`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRequest {
    operation: String,
    status: Option<u16>,
    delay_ms: Option<u64>,
    #[serde(default)]
    reset: bool,
}

/// `POST /sandbox/faults` `{"operation": "getChannel", "status": 503 | "delayMs": 2000 |
/// "reset": true}`: the next call of the operation gets that fault (sandbox only).
pub async fn sandbox_fault(
    AxumState(app): AxumState<App>,
    Json(request): Json<FaultRequest>,
) -> Response {
    let fault = match (request.status, request.delay_ms, request.reset) {
        (Some(status), None, false) => Fault::Status(status),
        (None, Some(ms), false) => Fault::Delay(Duration::from_millis(ms)),
        (None, None, true) => Fault::Reset,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "exactly one of `status`, `delayMs` or `reset: true`",
            )
                .into_response();
        }
    };
    match app.state.inject(&request.operation, fault) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

/// `GET /sandbox/sessions`: every session's id and recipient (sandbox only, for soak tests'
/// accounting).
pub async fn sandbox_sessions(AxumState(app): AxumState<App>) -> Response {
    let sessions: Vec<Value> = app
        .state
        .session_list()
        .into_iter()
        .map(|(id, recipient)| json!({"requestId": id, "recipient": recipient}))
        .collect();
    Json(sessions).into_response()
}

/// `GET /sandbox/stats`: how many sessions were started, are live, and how many long-polls
/// are held (sandbox only).
pub async fn sandbox_stats(AxumState(app): AxumState<App>) -> Response {
    use std::sync::atomic::Ordering;
    Json(json!({
        "started": app.state.started.load(Ordering::Relaxed),
        "live": app.state.session_count(),
        "heldLongPolls": app.state.held.load(Ordering::SeqCst),
    }))
    .into_response()
}

/// `POST /sandbox/notify`: answers every held long-poll of every session now, as if each
/// had changed (sandbox only, for long-poll benchmarks).
pub async fn sandbox_notify(AxumState(app): AxumState<App>) -> Response {
    let n = app.state.notify_all();
    Json(json!({"notified": n})).into_response()
}

/// The simulation of operation `id`, answering the spec's `method`, with the id's
/// `'static` name for the fault queue: the one list of what the sandbox simulates, a `match`
/// over the spec's operations. `None` for an operation it does not simulate (only a newer
/// spec has it): the router answers it with a 501 (a test here fails on any operation of
/// the bundled spec that falls to it).
pub(crate) fn simulated(
    id: OperationId,
    method: axum::routing::MethodFilter,
) -> Option<(&'static str, axum::routing::MethodRouter<App>)> {
    use OperationId as Op;
    use axum::routing::on;
    let route = match id {
        Op::GetWidget => on(method, get_widget),
        Op::Send => on(method, send),
        Op::GetChannel => on(method, get_channel),
        Op::GetChannelLongPolling => on(method, get_channel_long_polling),
        Op::GetStatus => on(method, get_status),
        Op::GetStatusLongPolling => on(method, get_status_long_polling),
        Op::CheckCode => on(method, check_code),
        Op::CheckStatusAndComplete => on(method, check_status_and_complete),
        Op::Complete => on(method, complete),
        Op::Resend => on(method, resend),
        // Reached by an operation only a user's newer spec has (the enum is generated from
        // the spec the build uses; with the bundled one every operation has its arm).
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    Some((id.as_str(), route))
}

/// The answer to an operation of the spec the sandbox does not simulate: a 501 in the
/// service's error shape, naming it.
pub(crate) fn not_simulated(message: &str) -> Response {
    (
        StatusCode::NOT_IMPLEMENTED,
        Json(json!({"message": message, "httpStatus": 501})),
    )
        .into_response()
}
