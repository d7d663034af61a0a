//! The sandbox's sessions and the rules that move them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use crate::config::{ChannelConfig, SandboxConfig, Widget};
use crate::fault::Fault;
use crate::scenario::{self, Behaviour};

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
    /// What the scenario number it was started for makes it do, if any.
    pub scenario: Option<Behaviour>,
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
    /// The channel-change scenario's switch is on its way.
    pub switch_scheduled: bool,
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

/// The live sessions, and the order they started in (for expiry and the cap).
#[derive(Debug, Default)]
struct Sessions {
    by_id: HashMap<String, Arc<SessionCell>>,
    started: VecDeque<(Instant, String)>,
}

/// Everything the sandbox holds.
#[derive(Debug)]
pub struct State {
    pub config: SandboxConfig,
    widgets: HashMap<Uuid, Arc<Widget>>,
    sessions: Mutex<Sessions>,
    /// `send`s per phone number in the current window: (count, window end).
    sends: Mutex<HashMap<String, (u32, Instant)>>,
    /// Faults to inject into the next calls of an operation, by operationId.
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    /// Long-polls being held right now.
    pub held: AtomicUsize,
    /// Sessions started since the sandbox started.
    pub started: AtomicU64,
}

impl State {
    pub fn new(config: SandboxConfig) -> Arc<Self> {
        let widgets = config
            .widgets
            .iter()
            .map(|w| (w.id, Arc::new(w.clone())))
            .collect();
        let state = Arc::new(Self {
            config,
            widgets,
            sessions: Mutex::default(),
            sends: Mutex::default(),
            faults: Mutex::default(),
            held: AtomicUsize::new(0),
            started: AtomicU64::new(0),
        });
        // Forgets expired sessions and send counts, until the sandbox is gone.
        let weak = Arc::downgrade(&state);
        let every = (state.config.session_ttl / 10)
            .clamp(Duration::from_millis(50), Duration::from_secs(10));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(state) = weak.upgrade() else { return };
                state.sweep();
            }
        });
        state
    }

    fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the sessions older than their lifetime, and send counts whose window ended.
    pub fn sweep(&self) {
        let now = Instant::now();
        let ttl = self.config.session_ttl;
        {
            let mut sessions = self.sessions();
            while let Some((started, _)) = sessions.started.front() {
                if now.duration_since(*started) < ttl {
                    break;
                }
                if let Some((_, id)) = sessions.started.pop_front() {
                    sessions.by_id.remove(&id);
                }
            }
        }
        self.sends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, (_, ends)| *ends > now);
    }

    /// Counts a `send` for `phone`; the wait until it may send again when it is over the
    /// limit.
    pub fn count_send(&self, phone: &str) -> Option<Duration> {
        let (limit, window) = self.config.send_limit?;
        let now = Instant::now();
        let mut sends = self.sends.lock().unwrap_or_else(|p| p.into_inner());
        let slot = sends.entry(phone.to_string()).or_insert((0, now + window));
        if slot.1 <= now {
            *slot = (0, now + window);
        }
        slot.0 += 1;
        (slot.0 > limit).then(|| slot.1.saturating_duration_since(now))
    }

    /// Queues `fault` for the next call of operation `operation`; refuses an operation the
    /// spec does not have, or a status that is not one.
    pub fn inject(&self, operation: &str, fault: Fault) -> Result<(), String> {
        let operations = crate::operations();
        if !operations.iter().any(|op| op.id == operation) {
            let ids: Vec<&str> = operations.iter().map(|op| op.id.as_str()).collect();
            return Err(format!(
                "no operation `{operation}`: one of {}",
                ids.join(", ")
            ));
        }
        if let Fault::Status(status) = fault
            && !(100..=599).contains(&status)
        {
            return Err(format!("{status} is not an HTTP status"));
        }
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let queue = faults.entry(operation.to_string()).or_default();
        if queue.len() >= 1000 {
            return Err(format!("1000 faults already wait for `{operation}`"));
        }
        queue.push_back(fault);
        Ok(())
    }

    /// The fault queued for this call of `operation`, if any.
    pub fn take_fault(&self, operation: &str) -> Option<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(operation)?
            .pop_front()
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
        self.sessions().by_id.get(id).cloned()
    }

    pub fn session_list(&self) -> Vec<(String, String)> {
        self.sessions()
            .by_id
            .iter()
            .map(|(id, cell)| (id.clone(), cell.lock().recipient.clone()))
            .collect()
    }

    /// Confirms session `id` as its user would; `false` when there is no such session.
    pub fn confirm(&self, id: &str) -> bool {
        self.session(id).map(|cell| cell.change(confirm)).is_some()
    }

    /// A read showed `cell`'s channel: the channel-change scenario moves to the next channel
    /// once its first one was seen as sent (after `sent_delay`, as the service decides).
    pub fn seen(self: &Arc<Self>, cell: &Arc<SessionCell>) {
        let due = {
            let mut s = cell.lock();
            let due = s.scenario == Some(Behaviour::ChannelChange)
                && s.channel_index == 0
                && s.status == Status::Sent
                && !s.switch_scheduled;
            s.switch_scheduled |= due;
            due
        };
        if due {
            let (state, cell) = (Arc::downgrade(self), cell.clone());
            let delay = self.config.sent_delay;
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if let Some(state) = state.upgrade() {
                    state.next_channel(&cell);
                }
            });
        }
    }

    /// Makes session `id`'s channel expire now; `false` when there is no such session.
    pub fn expire(&self, id: &str) -> bool {
        let lifetime = self.config.channel_lifetime;
        self.session(id)
            .map(|cell| {
                cell.change(|s| {
                    s.channel_started = Instant::now() - lifetime - Duration::from_millis(1);
                    s.bump();
                })
            })
            .is_some()
    }

    /// Switches session `id` to its next channel, as the service may; `false` when there is
    /// no such session.
    pub fn switch(self: &Arc<Self>, id: &str) -> bool {
        match self.session(id) {
            Some(cell) => {
                self.next_channel(&cell);
                true
            }
            None => false,
        }
    }

    /// Closes session `id`; `false` when there is no such session.
    pub fn close_session(&self, id: &str) -> bool {
        self.session(id).map(|cell| cell.change(close)).is_some()
    }

    /// Bumps every session, waking every held long-poll; returns how many.
    pub fn notify_all(&self) -> usize {
        let cells: Vec<_> = self.sessions().by_id.values().cloned().collect();
        for cell in &cells {
            cell.change(Session::bump);
        }
        cells.len()
    }

    pub fn session_count(&self) -> usize {
        self.sessions().by_id.len()
    }

    /// Starts a session on `widget` and its first channel, for `recipient` (a scenario
    /// number's session behaves as its scenario says).
    pub fn start(self: &Arc<Self>, widget: Arc<Widget>, recipient: String) -> String {
        let id = Uuid::new_v4().to_string();
        let scenario = scenario::behaviour(&recipient);
        let widget = match scenario {
            Some(Behaviour::Codeless) => Arc::new(Widget {
                cascade: vec![ChannelConfig::codeless("sim_push")],
                ..(*widget).clone()
            }),
            _ => widget,
        };
        let now = Instant::now();
        let channel_started = match scenario {
            Some(Behaviour::ExpiredCode) => {
                now - self.config.channel_lifetime - Duration::from_millis(1)
            }
            _ => now,
        };
        let attempts = match scenario {
            Some(Behaviour::OneAttempt) => 1,
            _ => self.config.attempts,
        };
        let session = Session {
            widget,
            recipient,
            scenario,
            channel_index: 0,
            channel_started,
            status: Status::Wait,
            attempts_left: attempts,
            confirmed: false,
            closed: false,
            exhausted: false,
            version: 1,
            seen_version: 0,
            channel_switched: false,
            switch_scheduled: false,
        };
        let (changed, _) = watch::channel(1);
        let cell = Arc::new(SessionCell {
            state: Mutex::new(session),
            changed,
        });
        {
            let mut sessions = self.sessions();
            while sessions.by_id.len() >= self.config.max_sessions.max(1) {
                let Some((_, oldest)) = sessions.started.pop_front() else {
                    break;
                };
                sessions.by_id.remove(&oldest);
            }
            sessions.by_id.insert(id.clone(), cell.clone());
            sessions.started.push_back((now, id.clone()));
        }
        self.started.fetch_add(1, Ordering::Relaxed);
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
            s.attempts_left = match s.scenario {
                Some(Behaviour::OneAttempt) => 1,
                _ => self.config.attempts,
            };
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
