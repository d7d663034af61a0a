//! Long-polling helpers: re-issue a held call until what the caller waits for happens, an
//! error, or the caller's deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep, timeout_at};

use crate::generated::ops;
use crate::types::{
    ChannelStatus, OtpHandlerGetChannelResponseDto as Channel, OtpHandlerGetStatusResponseDto,
};
use crate::{Client, Error, ErrorKind, NextStep, RequestId};

/// A poll that comes back sooner than this is followed by a pause before the next one,
/// so that a server that answers at once is not hammered.
const FAST_ANSWER: Duration = Duration::from_millis(500);
/// The first pause after a fast answer; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// What a waiting helper makes of a state it read.
pub(crate) enum Verdict<T> {
    /// What the caller waits for: return it.
    Done(T),
    /// Not yet: poll again.
    Wait,
    /// It will never happen: give up with this error.
    Fail(Error),
}

/// Reads the current state once with `look`, and returns at once when `judge` says it is
/// done (or never will be); then re-issues the long-poll `poll` until `judge` says so, an
/// error whose [`NextStep`] is not to poll again or retry later comes back, or `timeout`
/// passes. Cancel-safe: dropping the future stops it.
pub(crate) async fn look_then_poll<T, R, L, Fut>(
    timeout: Duration,
    look: L,
    mut poll: impl FnMut() -> Fut,
    mut judge: impl FnMut(T) -> Verdict<R>,
) -> Result<R, Error>
where
    L: Future<Output = Result<T, Error>>,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let deadline = deadline_after(started, timeout);
    let gave_up = || {
        Err(Error::new(ErrorKind::DeadlineExceeded {
            waited: started.elapsed(),
        }))
    };
    let mut pacer = Pacer::default();
    let mut answer = match timeout_at(deadline, look).await {
        Err(_elapsed) => return gave_up(),
        Ok(answer) => answer,
    };
    loop {
        let retry_after = match answer {
            Ok(value) => match judge(value) {
                Verdict::Done(value) => return Ok(value),
                Verdict::Fail(error) => return Err(error),
                Verdict::Wait => None,
            },
            Err(e) => match e.next_step() {
                NextStep::PollAgain => None,
                NextStep::RetryLater { retry_after } => Some(retry_after),
                _ => return Err(e),
            },
        };
        let paced = match retry_after {
            Some(asked) => timeout_at(deadline, pacer.wait(asked)).await,
            None => timeout_at(deadline, pacer.answered()).await,
        };
        if paced.is_err() {
            return gave_up();
        }
        tracing::debug!("polling again");
        pacer.asking();
        answer = match timeout_at(deadline, poll()).await {
            Err(_elapsed) => return gave_up(),
            Ok(answer) => answer,
        };
    }
}

/// `start + timeout`, or for a timeout too long to add (`Duration::MAX`), a deadline decades
/// away: a wait that practically never gives up, never a panic.
pub(crate) fn deadline_after(start: Instant, timeout: Duration) -> Instant {
    const DECADES: Duration = Duration::from_secs(60 * 60 * 24 * 365 * 30);
    start
        .checked_add(timeout)
        .or_else(|| start.checked_add(DECADES))
        .unwrap_or(start)
}

/// Paces repeated long-polls: after an answer that came back at once, a pause that
/// doubles with each fast answer; after a held answer, none.
#[derive(Debug)]
pub(crate) struct Pacer {
    asked: Instant,
    pause: Duration,
}

impl Default for Pacer {
    fn default() -> Self {
        Self {
            asked: Instant::now(),
            pause: FIRST_PAUSE,
        }
    }
}

impl Pacer {
    /// Call when a poll is sent.
    pub(crate) fn asking(&mut self) {
        self.asked = Instant::now();
    }

    /// Call when the service asked to retry later: waits as long as it asked, or as the
    /// pace requires when it did not say.
    pub(crate) async fn wait(&mut self, asked: Option<Duration>) {
        match asked {
            // As long as asked: the caller's deadline, if any, bounds it.
            Some(delay) => sleep(delay).await,
            None => {
                sleep(self.pause).await;
                self.pause = (self.pause * 2).min(MAX_PAUSE);
            }
        }
    }

    /// Call when its answer is in: waits as long as the pace requires.
    pub(crate) async fn answered(&mut self) {
        if self.asked.elapsed() < FAST_ANSWER {
            sleep(self.pause).await;
            self.pause = (self.pause * 2).min(MAX_PAUSE);
        } else {
            self.pause = FIRST_PAUSE;
        }
    }
}

impl Client {
    /// Waits until the session's channel satisfies `done`: reads it (`getChannel`) and
    /// returns at once when it does; otherwise long-polls it (`getChannelLongPolling`),
    /// re-polling on 408 and after answers the service asks to retry, pausing between
    /// answers that come back at once. Fails with [`ErrorKind::DeadlineExceeded`] after
    /// `timeout`, with [`ErrorKind::ChannelEnded`] when the channel is confirmed, in error or
    /// closed without satisfying `done` (nothing more will change), or with the first error
    /// the session cannot wait through.
    ///
    /// ```no_run
    /// # async fn run(client: otp_client::Client, id: otp_client::RequestId) -> Result<(), otp_client::Error> {
    /// use std::time::Duration;
    /// use otp_client::types::CodeType;
    /// let channel = client
    ///     .wait_for_channel(&id, Duration::from_secs(60), |c| c.code_type == Some(CodeType::Codeless))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_channel(
        &self,
        request_id: &RequestId,
        timeout: Duration,
        mut done: impl FnMut(&Channel) -> bool,
    ) -> Result<Channel, Error> {
        look_then_poll(
            timeout,
            self.get_channel(request_id),
            || self.get_channel_long_polling(request_id),
            |channel: Channel| {
                if done(&channel) {
                    return Verdict::Done(channel);
                }
                // Confirmed, in error or closed: nothing more will change.
                match channel.status {
                    Some(
                        status @ (ChannelStatus::Confirmed
                        | ChannelStatus::Error
                        | ChannelStatus::Closed),
                    ) => Verdict::Fail(
                        Error::new(ErrorKind::ChannelEnded { status })
                            .with_operation(ops::GET_CHANNEL_LONG_POLLING),
                    ),
                    _ => Verdict::Wait,
                }
            },
        )
        .await
    }

    /// Waits until the session's channel is chosen and something was delivered to the
    /// user (status `sent`, or already `confirmed`): the Node SDK's `waitForChannelSelected`.
    /// Returns at once when that is already so (a page reload, a second tab, a resumed
    /// session).
    ///
    /// ```no_run
    /// # async fn run(client: otp_client::Client, id: otp_client::RequestId) -> Result<(), otp_client::Error> {
    /// let channel = client.wait_for_channel_selected(&id, std::time::Duration::from_secs(60)).await?;
    /// println!("sent over {:?}", channel.type_);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_channel_selected(
        &self,
        request_id: &RequestId,
        timeout: Duration,
    ) -> Result<Channel, Error> {
        self.wait_for_channel(request_id, timeout, |c| {
            matches!(
                c.status,
                Some(ChannelStatus::Sent | ChannelStatus::Confirmed)
            )
        })
        .await
    }

    /// Waits until the session is confirmed, for codeless channels: reads the status
    /// (`getStatus`), then long-polls it (`getStatusLongPolling`): the Node SDK's
    /// `waitForSuccessStatus`. Returns at once when it is already confirmed.
    ///
    /// ```no_run
    /// # async fn run(client: otp_client::Client, id: otp_client::RequestId) -> Result<(), otp_client::Error> {
    /// client
    ///     .wait_for_success_status(&id, "+79991234563", std::time::Duration::from_secs(120))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_success_status(
        &self,
        request_id: &RequestId,
        recipient: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        look_then_poll(
            timeout,
            self.get_status(request_id, recipient),
            || self.get_status_long_polling(request_id, recipient),
            |status: OtpHandlerGetStatusResponseDto| {
                if status.success {
                    Verdict::Done(())
                } else {
                    Verdict::Wait
                }
            },
        )
        .await
    }
}
