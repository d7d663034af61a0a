//! Long-polling helpers: re-issue a held call until what the caller waits for happens, an
//! error, or the caller's deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep, timeout_at};

use crate::types::{ChannelStatus, OtpHandlerGetChannelResponseDto as Channel};
use crate::{Client, Error};

/// A poll that comes back sooner than this is followed by a pause before the next one,
/// so that a server that answers at once is not hammered.
const FAST_ANSWER: Duration = Duration::from_millis(500);
/// The first pause after a fast answer; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// Re-issues `poll` until `done` accepts its value, an error other than the 408 re-poll
/// signal comes back, or `timeout` passes. Cancel-safe: dropping the future stops it.
pub(crate) async fn poll_until<T, F, Fut>(
    timeout: Duration,
    mut poll: F,
    mut done: impl FnMut(&T) -> bool,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let deadline = started + timeout;
    let mut pacer = Pacer::default();
    loop {
        pacer.asking();
        match timeout_at(deadline, poll()).await {
            Err(_elapsed) => {
                return Err(Error::DeadlineExceeded {
                    waited: started.elapsed(),
                });
            }
            Ok(Ok(value)) if done(&value) => return Ok(value),
            Ok(Err(e)) if !e.should_repoll() => return Err(e),
            Ok(_) => tracing::debug!("long-poll answered; polling again"),
        }
        if timeout_at(deadline, pacer.answered()).await.is_err() {
            return Err(Error::DeadlineExceeded {
                waited: started.elapsed(),
            });
        }
    }
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
    /// Long-polls the session's channel (`getChannelLongPolling`) until `done` accepts
    /// it, re-polling on 408 and pausing between answers that come back at once.
    /// Fails with [`Error::DeadlineExceeded`] after `timeout`, or with the first other error.
    ///
    /// ```no_run
    /// # async fn run(client: otp_client::Client) -> Result<(), otp_client::Error> {
    /// use std::time::Duration;
    /// use otp_client::types::CodeType;
    /// let channel = client
    ///     .wait_for_channel("d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6", Duration::from_secs(60), |c| {
    ///         c.code_type == Some(CodeType::Codeless)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_channel(
        &self,
        request_id: &str,
        timeout: Duration,
        done: impl FnMut(&Channel) -> bool,
    ) -> Result<Channel, Error> {
        poll_until(
            timeout,
            || async {
                self.get_channel_long_polling(request_id)
                    .await
                    .map(|v| v.into_inner())
            },
            done,
        )
        .await
    }

    /// Waits until the session's channel is chosen and something was delivered to the
    /// user (status `sent`, or already `confirmed`): the Node SDK's `waitForChannelSelected`.
    ///
    /// ```no_run
    /// # async fn run(client: otp_client::Client) -> Result<(), otp_client::Error> {
    /// let channel = client
    ///     .wait_for_channel_selected("d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6", std::time::Duration::from_secs(60))
    ///     .await?;
    /// println!("sent over {:?}", channel.type_);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_channel_selected(
        &self,
        request_id: &str,
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

    /// Long-polls the session's status (`getStatusLongPolling`) until it is confirmed,
    /// for codeless channels: the Node SDK's `waitForSuccessStatus`.
    ///
    /// ```no_run
    /// # async fn run(client: otp_client::Client) -> Result<(), otp_client::Error> {
    /// client
    ///     .wait_for_success_status("d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6", "+79991234563", std::time::Duration::from_secs(120))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_success_status(
        &self,
        request_id: &str,
        recipient: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        poll_until(
            timeout,
            || async {
                let status = self.get_status_long_polling(request_id, recipient).await?;
                Ok(status.success)
            },
            |success| *success,
        )
        .await
        .map(|_| ())
    }
}
