//! One verification session, from `send` to the server-side finish, following the vendor's
//! rules. The blocking crate drives these same types; the logic exists once.

mod events;
mod finish;
mod saved;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::Uuid;

pub use events::VerificationEvent;
pub use finish::Verified;
pub use saved::SavedVerification;

use crate::generated::ops;
use crate::types::{
    CodeType, OtpHandlerCheckCodeRequestDto, OtpHandlerGetChannelResponseDto,
    OtpHandlerSendRequestDto,
};
use crate::{Client, Error, ErrorKind, NextStep, RequestId, mask_phone};

/// A session's channel: how the code (or the confirmation) reaches the user.
pub type Channel = OtpHandlerGetChannelResponseDto;

/// One verification session.
///
/// Cheap to clone; clones share the session (and the channel last seen). Its `Debug`
/// output masks the phone number. To keep it between the requests of a web application,
/// [`save`](Self::save) it and [`restore`](Client::restore_verification) it later, in any
/// process.
///
/// ```no_run
/// # async fn run() -> Result<(), otp_client::Error> {
/// use std::time::Duration;
/// let client = otp_client::Client::builder("my-api-token").build()?;
/// let widget_id = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().unwrap();
/// let session = client.start_verification(widget_id, "+79991234563").await?;
/// session.wait_for_channel_selected(Duration::from_secs(60)).await?;
/// if session.is_codeless() {
///     session.wait_for_success_status(Duration::from_secs(120)).await?;
/// } else {
///     let code = "1234"; // what the user typed
///     session.check_code(code).await?;
/// }
/// let verified = session.finish().await?; // the server-side check: confirmed, for this phone
/// println!("verified {}", otp_client::mask_phone(verified.recipient()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verification {
    client: Client,
    request_id: RequestId,
    recipient: Arc<str>,
    channel: Arc<Mutex<Option<Channel>>>,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verification")
            .field("request_id", &self.request_id)
            .field("recipient", &mask_phone(&self.recipient))
            .field("channel", &self.channel())
            .finish()
    }
}

impl Client {
    /// Starts a verification of `recipient` on widget `widget_id` (`send`).
    pub async fn start_verification(
        &self,
        widget_id: Uuid,
        recipient: impl Into<String>,
    ) -> Result<Verification, Error> {
        let recipient = recipient.into();
        let body = OtpHandlerSendRequestDto::new(recipient, widget_id);
        let sent = self.send(&body).await?;
        Ok(self.resume_verification(sent.request_id, body.recipient))
    }

    /// Picks up a session started elsewhere, knowing only its id and phone number; its
    /// channel is fetched when needed. [`restore_verification`](Self::restore_verification)
    /// also keeps the channel.
    pub fn resume_verification(
        &self,
        request_id: RequestId,
        recipient: impl Into<String>,
    ) -> Verification {
        Verification {
            client: self.clone(),
            request_id,
            recipient: Arc::from(recipient.into()),
            channel: Arc::default(),
        }
    }

    /// Picks up a session [saved](Verification::save) earlier, in this process or another,
    /// with the channel it had.
    pub fn restore_verification(&self, saved: SavedVerification) -> Verification {
        let session = self.resume_verification(saved.request_id, saved.recipient);
        if let Some(channel) = saved.channel {
            session.remember(&channel);
        }
        session
    }
}

impl Verification {
    /// The session's id.
    pub fn request_id(&self) -> RequestId {
        self.request_id
    }

    /// The phone number being verified.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// The channel as last seen, if it was fetched.
    pub fn channel(&self) -> Option<Channel> {
        self.channel.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Whether the channel as last seen is codeless (the user confirms without a code).
    pub fn is_codeless(&self) -> bool {
        self.channel().and_then(|c| c.code_type) == Some(CodeType::Codeless)
    }

    /// What to keep of the session to [restore](Client::restore_verification) it later: its
    /// id, phone number and last channel (`serde`). It holds the phone number in clear:
    /// keep it server-side (a session store), not in a cookie.
    pub fn save(&self) -> SavedVerification {
        SavedVerification {
            request_id: self.request_id,
            recipient: self.recipient.to_string(),
            channel: self.channel(),
        }
    }

    fn remember(&self, channel: &Channel) {
        if let Ok(mut slot) = self.channel.lock() {
            *slot = Some(channel.clone());
        }
    }

    fn forget_channel(&self) {
        if let Ok(mut slot) = self.channel.lock() {
            *slot = None;
        }
    }

    /// Fetches the channel now (`getChannel`).
    pub async fn refresh_channel(&self) -> Result<Channel, Error> {
        let channel = self.client.get_channel(&self.request_id).await?;
        self.remember(&channel);
        Ok(channel)
    }

    /// Waits until the channel is chosen and sent (see [`Client::wait_for_channel_selected`]):
    /// at once when it already is.
    pub async fn wait_for_channel_selected(&self, timeout: Duration) -> Result<Channel, Error> {
        let channel = self
            .client
            .wait_for_channel_selected(&self.request_id, timeout)
            .await?;
        self.remember(&channel);
        Ok(channel)
    }

    /// Waits until the channel is chosen and sent, like
    /// [`wait_for_channel_selected`](Self::wait_for_channel_selected), and when the channel
    /// expired before the user got it (`ResendChannelException`: [`NextStep::Resend`]),
    /// resends and waits again, at most `max_resends` times; a resend asked too early waits
    /// out the cooldown the service gives. What every application needs before asking for a
    /// code.
    ///
    /// ```no_run
    /// # async fn run(session: otp_client::Verification) -> Result<(), otp_client::Error> {
    /// let channel = session
    ///     .wait_for_channel_resending(std::time::Duration::from_secs(120), 2)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_channel_resending(
        &self,
        timeout: Duration,
        max_resends: u32,
    ) -> Result<Channel, Error> {
        let started = tokio::time::Instant::now();
        let deadline = crate::wait::deadline_after(started, timeout);
        let mut resends = 0;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.wait_for_channel_selected(left).await {
                Err(e) if e.next_step() == NextStep::Resend && resends < max_resends => {
                    resends += 1;
                    self.resend_when_allowed(deadline).await?;
                }
                other => return other,
            }
        }
    }

    /// `resend`, waiting out a cooldown the service asks for, until `deadline`.
    async fn resend_when_allowed(&self, deadline: tokio::time::Instant) -> Result<(), Error> {
        loop {
            match self.resend().await {
                Err(e) => match e.next_step() {
                    NextStep::WaitCooldown { retry_after } => {
                        let wait = retry_after.unwrap_or(Duration::from_secs(1));
                        let until = crate::wait::deadline_after(tokio::time::Instant::now(), wait);
                        if until > deadline {
                            return Err(e);
                        }
                        tokio::time::sleep_until(until).await;
                    }
                    _ => return Err(e),
                },
                ok => return ok,
            }
        }
    }

    /// Waits until a codeless channel is confirmed (see [`Client::wait_for_success_status`]):
    /// at once when it already is.
    pub async fn wait_for_success_status(&self, timeout: Duration) -> Result<(), Error> {
        let result = self
            .client
            .wait_for_success_status(&self.request_id, &self.recipient, timeout)
            .await;
        self.follow_rules(result).await
    }

    /// Checks the code the user entered. A wrong code is an error whose
    /// [`next_step`](Error::next_step) is [`NextStep::AskCodeAgain`], with the attempts
    /// left (read from the channel when the service's error does not say).
    pub async fn check_code(&self, code: &str) -> Result<(), Error> {
        let body = OtpHandlerCheckCodeRequestDto::new(code);
        let result = match self.client.check_code(&self.request_id, &body).await {
            Ok(status) if status.success => Ok(()),
            Ok(_) => Err(Error::new(ErrorKind::NotConfirmed).with_operation(ops::CHECK_CODE)),
            Err(e) => Err(e),
        };
        self.follow_rules(result).await
    }

    /// Restarts the channel or moves to the next one (`resend`). Too early, and the error's
    /// [`next_step`](Error::next_step) is [`NextStep::WaitCooldown`].
    pub async fn resend(&self) -> Result<(), Error> {
        self.client.resend(&self.request_id).await?;
        self.forget_channel();
        Ok(())
    }

    /// Finishes the session on the server side and proves it was verified: see
    /// [`Client::finish`]. Grant access only on its `Ok`.
    pub async fn finish(&self) -> Result<Verified, Error> {
        self.client.finish(&self.request_id, &self.recipient).await
    }

    /// Does what the vendor prescribes after an error before handing it back: on
    /// `ChannelChangedException`, fetches the channel again; on a wrong code, reads the
    /// attempts left from the channel.
    async fn follow_rules(&self, result: Result<(), Error>) -> Result<(), Error> {
        let Err(mut error) = result else {
            return Ok(());
        };
        match error.next_step() {
            NextStep::RefetchChannel => {
                let _ = self.refresh_channel().await;
            }
            NextStep::AskCodeAgain {
                attempts_left: None,
            } if error.api().is_some() => {
                if let Ok(channel) = self.refresh_channel().await {
                    let left = channel
                        .remaining_code_attempts
                        // `u32` from this spec (`format: uint32`); a spec without the format
                        // makes it `i64`, which this reads as well.
                        .and_then(
                            #[allow(clippy::useless_conversion)]
                            |n| u32::try_from(n).ok(),
                        );
                    error.set_attempts_left(left);
                }
            }
            _ => {}
        }
        Err(error)
    }
}
