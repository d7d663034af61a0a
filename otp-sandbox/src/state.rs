//! The sandbox's sessions and the rules that move them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use crate::config::{ChannelConfig, SandboxConfig, Widget};

/// The exception types the rules raise (named as the spec names them).
pub type Exception = &'static str;

/// A channel's status, as the wire spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Wait,
    Sent,
    Confirmed,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Wait => "wait",
            Status::Sent => "sent",
            Status::Confirmed => "confirmed",
            Status::Closed => "closed",
        }
    }
}

/// One verification session.
#[derive(Debug)]
pub struct Session {
    pub widget: Arc<Widget>,
    pub recipient: String,
    pub channel_index: usize,
    pub channel_started: Instant,
    pub status: Status,
    pub attempts_left: u32,
    pub confirmed: bool,
    pub closed: bool,
    pub exhausted: bool,
    /// Bumped on every change a client could see.
    pub version: u64,
    /// The version the client last saw through `getChannel`/`getChannelLongPolling`.
    pub seen_version: u64,
    /// The channel moved on since the client last fetched it.
    pub channel_switched: bool,
}

impl Session {
    pub fn channel(&self) -> &ChannelConfig {
        &self.widget.cascade[self.channel_index.min(self.widget.cascade.len() - 1)]
    }

    /// The error every read of a session that is not over answers with, if any.
    pub fn blocker(&self, lifetime: Duration) -> Option<Exception> {
        if self.closed {
            Some("SessionClosedException")
        } else if self.exhausted {
            Some("NoAvailableChannelsException")
        } else if self.attempts_left == 0 {
            Some("AttemptsExpiredException")
        } else if !self.confirmed && self.channel_started.elapsed() > lifetime {
            Some("ResendChannelException")
        } else {
            None
        }
    }

    pub fn bump(&mut self) {
        self.version += 1;
    }
}

/// A session and the signal long-polls wait on.
#[derive(Debug)]
pub struct SessionCell {
    state: Mutex<Session>,
    changed: watch::Sender<u64>,
}

impl SessionCell {
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the session with `f`, then wakes its long-polls.
    pub fn change<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let (result, version) = {
            let mut s = self.lock();
            let result = f(&mut s);
            (result, s.version)
        };
        self.notify(version);
        result
    }

    /// Wakes every long-poll of this session.
    pub fn notify(&self, version: u64) {
        self.changed.send_replace(version);
    }

    /// Waits until the session changes, or `hold` passes (then `false`). While it waits,
    /// `held` counts it.
    pub async fn wait_change(&self, hold: Duration, held: &AtomicUsize) -> bool {
        let mut rx = self.changed.subscribe();
        rx.mark_unchanged();
        let _held = Held::new(held);
        tokio::time::timeout(hold, rx.changed()).await.is_ok()
    }
}

/// Counts one held long-poll for as long as it lives (a client that goes away drops it).
struct Held<'a>(&'a AtomicUsize);

impl<'a> Held<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub struct State {
    pub config: SandboxConfig,
    widgets: HashMap<Uuid, Arc<Widget>>,
    sessions: Mutex<HashMap<String, Arc<SessionCell>>>,
    /// Long-polls being held right now.
    pub held: AtomicUsize,
}

impl State {
    pub fn new(config: SandboxConfig) -> Arc<Self> {
        let widgets = config
            .widgets
            .iter()
            .map(|w| (w.id, Arc::new(w.clone())))
            .collect();
        Arc::new(Self {
            config,
            widgets,
            sessions: Mutex::default(),
            held: AtomicUsize::new(0),
        })
    }

    pub fn is_token(&self, token: &str) -> bool {
        self.widgets.values().any(|w| w.owner == token)
            || self.config.extra_tokens.iter().any(|t| t == token)
    }

    pub fn widget(&self, id: &str) -> Option<Arc<Widget>> {
        let id: Uuid = id.parse().ok()?;
        self.widgets.get(&id).cloned()
    }

    pub fn session(&self, id: &str) -> Option<Arc<SessionCell>> {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    pub fn sessions(&self) -> Vec<(String, String)> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions
            .iter()
            .map(|(id, cell)| (id.clone(), cell.lock().recipient.clone()))
            .collect()
    }

    /// Confirms session `id` as its user would; `false` when there is no such session.
    pub fn confirm(&self, id: &str) -> bool {
        self.session(id).map(|cell| cell.change(confirm)).is_some()
    }

    /// Bumps every session, waking every held long-poll; returns how many.
    pub fn notify_all(&self) -> usize {
        let cells: Vec<_> = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for cell in &cells {
            cell.change(Session::bump);
        }
        cells.len()
    }

    pub fn session_count(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Starts a session on `widget` and its first channel.
    pub fn start(self: &Arc<Self>, widget: Arc<Widget>, recipient: String) -> String {
        let id = Uuid::new_v4().to_string();
        let session = Session {
            widget,
            recipient,
            channel_index: 0,
            channel_started: Instant::now(),
            status: Status::Wait,
            attempts_left: self.config.attempts,
            confirmed: false,
            closed: false,
            exhausted: false,
            version: 1,
            seen_version: 0,
            channel_switched: false,
        };
        let (changed, _) = watch::channel(1);
        let cell = Arc::new(SessionCell {
            state: Mutex::new(session),
            changed,
        });
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), cell.clone());
        self.schedule_channel(cell, 1);
        id
    }

    /// Moves a session to its next channel; `false` when the cascade is exhausted.
    pub fn next_channel(self: &Arc<Self>, cell: &Arc<SessionCell>) -> bool {
        let version = {
            let mut s = cell.lock();
            if s.channel_index + 1 >= s.widget.cascade.len() {
                s.exhausted = true;
                s.bump();
                let v = s.version;
                drop(s);
                cell.notify(v);
                return false;
            }
            s.channel_index += 1;
            s.channel_started = Instant::now();
            s.status = Status::Wait;
            s.attempts_left = self.config.attempts;
            s.channel_switched = true;
            s.bump();
            s.version
        };
        cell.notify(version);
        self.schedule_channel(cell.clone(), version);
        true
    }

    /// After `sent_delay`, the channel is sent; a codeless one is then confirmed after
    /// `codeless_confirm_delay`. Both only if nothing else changed the channel meanwhile.
    fn schedule_channel(self: &Arc<Self>, cell: Arc<SessionCell>, started_version: u64) {
        let sent_delay = self.config.sent_delay;
        let confirm_delay = self.config.codeless_confirm_delay;
        tokio::spawn(async move {
            tokio::time::sleep(sent_delay).await;
            let (version, codeless) = {
                let mut s = cell.lock();
                if s.version != started_version || s.status != Status::Wait {
                    return;
                }
                s.status = Status::Sent;
                s.bump();
                (s.version, s.channel().codeless)
            };
            cell.notify(version);
            if let (true, Some(delay)) = (codeless, confirm_delay) {
                tokio::time::sleep(delay).await;
                let version = {
                    let mut s = cell.lock();
                    if s.version != version {
                        return;
                    }
                    confirm(&mut s);
                    s.version
                };
                cell.notify(version);
            }
        });
    }
}

/// Marks the session closed (completed), once.
pub fn close(s: &mut Session) {
    if !s.closed {
        s.closed = true;
        s.status = Status::Closed;
        s.bump();
    }
}

/// Marks the session confirmed.
pub fn confirm(s: &mut Session) {
    s.confirmed = true;
    s.status = Status::Confirmed;
    s.bump();
}
