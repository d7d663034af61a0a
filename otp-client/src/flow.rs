//! One verification session, from `send` to `checkStatusAndComplete`, following the
//! vendor's rules. The blocking crate drives this same type; the logic exists once.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::Stream;
use uuid::Uuid;

use crate::types::{
    ChannelStatus, CodeType, OtpHandlerCheckCodeRequestDto, OtpHandlerGetChannelResponseDto,
    OtpHandlerSendRequestDto,
};
use crate::wait::Pacer;
use crate::{Client, Error, mask_phone};

/// A session's channel: how the code (or the confirmation) reaches the user.
pub type Channel = OtpHandlerGetChannelResponseDto;

/// What happens in a session, as [`Verification::events`] reports it.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerificationEvent {
    /// The channel is new or changed (kind, code type or status): render it.
    ChannelChanged(Channel),
    /// The channel expired (`ResendChannelException`): call [`Verification::resend`].
    ResendNeeded,
    /// The user confirmed: finish with [`Verification::complete`].
    Confirmed,
    /// The session cannot go on; the stream ends after this.
    Error(Error),
}

/// One verification session.
///
/// Cheap to clone; clones share the session. Its `Debug` output masks the phone number.
///
/// ```no_run
/// # async fn run() -> Result<(), otp_client::Error> {
/// use std::time::Duration;
/// let client = otp_client::Client::builder("my-api-token").build()?;
/// let widget_id = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().unwrap();
/// let session = client.start_verification(widget_id, "+79991234563").await?;
/// let channel = session.wait_for_channel_selected(Duration::from_secs(60)).await?;
/// if session.is_codeless() {
///     session.wait_for_success_status(Duration::from_secs(120)).await?;
/// } else {
///     let code = "1234"; // what the user typed
///     session.check_code(code).await?;
/// }
/// session.complete().await?; // the server-side check: confirmed, for this phone
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verification {
    client: Client,
    request_id: String,
    recipient: String,
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
        if recipient.trim().is_empty() {
            return Err(Error::InvalidArgument {
                name: "recipient",
                reason: "must not be empty".into(),
            });
        }
        let body = OtpHandlerSendRequestDto {
            widget_id,
            recipient: recipient.clone(),
        };
        let sent = self.send(&body).await?;
        Ok(self.resume_verification(sent.request_id.to_string(), recipient))
    }

    /// Picks up a session started elsewhere (by another process, say).
    pub fn resume_verification(
        &self,
        request_id: impl Into<String>,
        recipient: impl Into<String>,
    ) -> Verification {
        Verification {
            client: self.clone(),
            request_id: request_id.into(),
            recipient: recipient.into(),
            channel: Arc::default(),
        }
    }
}

impl Verification {
    /// The session's id.
    pub fn request_id(&self) -> &str {
        &self.request_id
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

    fn remember(&self, channel: &Channel) {
        if let Ok(mut slot) = self.channel.lock() {
            *slot = Some(channel.clone());
        }
    }

    /// Fetches the channel now (`getChannel`).
    pub async fn refresh_channel(&self) -> Result<Channel, Error> {
        let channel = self
            .client
            .get_channel(&self.request_id)
            .await?
            .into_inner();
        self.remember(&channel);
        Ok(channel)
    }

    /// Waits until the channel is chosen and sent (see [`Client::wait_for_channel_selected`]).
    pub async fn wait_for_channel_selected(&self, timeout: Duration) -> Result<Channel, Error> {
        let channel = self
            .client
            .wait_for_channel_selected(&self.request_id, timeout)
            .await?;
        self.remember(&channel);
        Ok(channel)
    }

    /// Waits until a codeless channel is confirmed (see [`Client::wait_for_success_status`]).
    pub async fn wait_for_success_status(&self, timeout: Duration) -> Result<(), Error> {
        let result = self
            .client
            .wait_for_success_status(&self.request_id, &self.recipient, timeout)
            .await;
        self.follow_rules(result).await
    }

    /// Checks the code the user entered. A wrong code is an error whose
    /// [`Error::is_invalid_code`] is true; the user may try again while attempts remain.
    pub async fn check_code(&self, code: &str) -> Result<(), Error> {
        if code.trim().is_empty() {
            return Err(Error::InvalidArgument {
                name: "code",
                reason: "must not be empty".into(),
            });
        }
        let body = OtpHandlerCheckCodeRequestDto {
            code: code.to_string(),
        };
        let result = self.client.check_code(&self.request_id, &body).await;
        match result {
            Ok(status) if status.success => Ok(()),
            Ok(_) => Err(Error::NotConfirmed),
            Err(e) => self.follow_rules(Err(e)).await,
        }
    }

    /// Restarts the channel or moves to the next one (`resend`). Too early, and the error's
    /// [`Error::is_cooldown`] is true.
    pub async fn resend(&self) -> Result<(), Error> {
        self.client.resend(&self.request_id).await?;
        if let Ok(mut slot) = self.channel.lock() {
            *slot = None;
        }
        Ok(())
    }

    /// Finishes on the server side (`checkStatusAndComplete`): succeeds only when the
    /// session was confirmed for this phone number. This is the security-critical step;
    /// grant access only after it.
    pub async fn complete(&self) -> Result<(), Error> {
        let status = self
            .client
            .check_status_and_complete(&self.request_id, &self.recipient)
            .await?;
        if status.success {
            Ok(())
        } else {
            Err(Error::NotConfirmed)
        }
    }

    /// On `ChannelChangedException`, fetches the channel again, as the vendor prescribes,
    /// before handing the error back.
    async fn follow_rules(&self, result: Result<(), Error>) -> Result<(), Error> {
        if let Err(e) = &result
            && e.should_refetch_channel()
        {
            let _ = self.refresh_channel().await;
        }
        result
    }

    /// The session's events, until it is confirmed or over: the Node SDK's events as a
    /// `Stream`. It long-polls the channel (the status, once a codeless channel is sent),
    /// re-polls on 408, refetches on `ChannelChangedException`, and never spins.
    ///
    /// ```no_run
    /// # async fn run(session: otp_client::Verification) {
    /// use futures::StreamExt;
    /// use otp_client::VerificationEvent;
    /// let mut events = std::pin::pin!(session.events());
    /// while let Some(event) = events.next().await {
    ///     match event {
    ///         VerificationEvent::ChannelChanged(channel) => println!("now via {:?}", channel.type_),
    ///         VerificationEvent::ResendNeeded => { let _ = session.resend().await; }
    ///         VerificationEvent::Confirmed => break,
    ///         VerificationEvent::Error(e) => { eprintln!("{e}"); break }
    ///         _ => {}
    ///     }
    /// }
    /// # }
    /// ```
    pub fn events(&self) -> impl Stream<Item = VerificationEvent> + Send + 'static {
        let state = EventState {
            session: self.clone(),
            last: self.channel(),
            pacer: Pacer::default(),
            done: false,
        };
        futures::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let event = state.next_event().await;
            Some((event, state))
        })
    }
}

struct EventState {
    session: Verification,
    last: Option<Channel>,
    pacer: Pacer,
    done: bool,
}

fn same_channel(a: &Channel, b: &Channel) -> bool {
    a.type_ == b.type_ && a.code_type == b.code_type && a.status == b.status
}

impl EventState {
    async fn next_event(&mut self) -> VerificationEvent {
        loop {
            self.pacer.asking();
            let codeless_sent = self.last.as_ref().is_some_and(|c| {
                c.code_type == Some(CodeType::Codeless) && c.status == Some(ChannelStatus::Sent)
            });
            let outcome = if codeless_sent {
                self.poll_status().await
            } else {
                self.poll_channel().await
            };
            match outcome {
                Ok(Some(event)) => return event,
                Ok(None) => {}
                Err(e) if e.should_repoll() => {}
                Err(e) if e.should_refetch_channel() => {
                    match self.session.refresh_channel().await {
                        Ok(channel) => {
                            self.last = Some(channel.clone());
                            return VerificationEvent::ChannelChanged(channel);
                        }
                        Err(e) => return self.finish(VerificationEvent::Error(e)),
                    }
                }
                Err(e) if e.should_resend() => {
                    self.pacer.answered().await;
                    return VerificationEvent::ResendNeeded;
                }
                Err(e) => return self.finish(VerificationEvent::Error(e)),
            }
            self.pacer.answered().await;
        }
    }

    fn finish(&mut self, event: VerificationEvent) -> VerificationEvent {
        self.done = true;
        event
    }

    async fn poll_channel(&mut self) -> Result<Option<VerificationEvent>, Error> {
        let session = &self.session;
        let channel = session
            .client
            .get_channel_long_polling(&session.request_id)
            .await?
            .into_inner();
        session.remember(&channel);
        if channel.status == Some(ChannelStatus::Confirmed) {
            return Ok(Some(self.finish(VerificationEvent::Confirmed)));
        }
        if self
            .last
            .as_ref()
            .is_some_and(|last| same_channel(last, &channel))
        {
            return Ok(None);
        }
        self.last = Some(channel.clone());
        Ok(Some(VerificationEvent::ChannelChanged(channel)))
    }

    async fn poll_status(&mut self) -> Result<Option<VerificationEvent>, Error> {
        let session = &self.session;
        let status = session
            .client
            .get_status_long_polling(&session.request_id, &session.recipient)
            .await?;
        Ok(status
            .success
            .then(|| self.finish(VerificationEvent::Confirmed)))
    }
}
