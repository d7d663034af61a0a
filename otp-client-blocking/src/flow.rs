//! The long-polling helpers and the verification flow, blocking. Each method drives the
//! async crate's own on the client's runtime: the logic exists once, in `otp-client`.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt};
use otp_client::{Channel, RequestId, SavedVerification, VerificationEvent, Verified};
use uuid::Uuid;

use crate::{Client, Error};

impl Client {
    /// Long-polls the channel until `done` accepts it; see
    /// [`otp_client::Client::wait_for_channel`].
    pub fn wait_for_channel(
        &self,
        request_id: &RequestId,
        timeout: Duration,
        done: impl FnMut(&Channel) -> bool,
    ) -> Result<Channel, Error> {
        self.block_on(self.inner.wait_for_channel(request_id, timeout, done))
    }

    /// Waits until the channel is chosen and sent; see
    /// [`otp_client::Client::wait_for_channel_selected`].
    ///
    /// ```no_run
    /// # fn run(client: otp_client_blocking::Client) -> Result<(), otp_client_blocking::Error> {
    /// let id = "d385ab22-0f51-4b97-9ecd-b8ff3fd4fcb6".parse()?;
    /// let channel = client.wait_for_channel_selected(&id, std::time::Duration::from_secs(60))?;
    /// # Ok(()) }
    /// ```
    pub fn wait_for_channel_selected(
        &self,
        request_id: &RequestId,
        timeout: Duration,
    ) -> Result<Channel, Error> {
        self.block_on(self.inner.wait_for_channel_selected(request_id, timeout))
    }

    /// Waits until a codeless channel is confirmed; see
    /// [`otp_client::Client::wait_for_success_status`].
    pub fn wait_for_success_status(
        &self,
        request_id: &RequestId,
        recipient: &str,
        timeout: Duration,
    ) -> Result<(), Error> {
        self.block_on(
            self.inner
                .wait_for_success_status(request_id, recipient, timeout),
        )
    }

    /// Starts a verification of `recipient` on widget `widget_id` (`send`).
    pub fn start_verification(
        &self,
        widget_id: Uuid,
        recipient: impl Into<String>,
    ) -> Result<Verification, Error> {
        let inner = self.block_on(self.inner.start_verification(widget_id, recipient))?;
        Ok(self.wrap(inner))
    }

    /// Picks up a session started elsewhere; see
    /// [`otp_client::Client::resume_verification`].
    pub fn resume_verification(
        &self,
        request_id: RequestId,
        recipient: impl Into<String>,
    ) -> Verification {
        self.wrap(self.inner.resume_verification(request_id, recipient))
    }

    /// Picks up a session saved earlier, with its channel; see
    /// [`otp_client::Client::restore_verification`].
    pub fn restore_verification(&self, saved: SavedVerification) -> Verification {
        self.wrap(self.inner.restore_verification(saved))
    }

    /// Finishes a session on the server side and returns the proof that it was verified;
    /// see [`otp_client::Client::finish`]. Grant access only on its `Ok`.
    pub fn finish(&self, request_id: &RequestId, recipient: &str) -> Result<Verified, Error> {
        self.block_on(self.inner.finish(request_id, recipient))
    }

    fn wrap(&self, inner: otp_client::Verification) -> Verification {
        Verification {
            inner,
            client: self.clone(),
        }
    }
}

/// One verification session, blocking: the same methods as [`otp_client::Verification`].
///
/// ```no_run
/// # fn run() -> Result<(), otp_client_blocking::Error> {
/// use std::time::Duration;
/// let client = otp_client_blocking::Client::builder("my-api-token").build()?;
/// let session = client.start_verification("123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().unwrap(), "+79991234563")?;
/// session.wait_for_channel_selected(Duration::from_secs(60))?;
/// session.check_code("1234")?;
/// let verified = session.finish()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verification {
    inner: otp_client::Verification,
    client: Client,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Verification {
    /// The session's id.
    pub fn request_id(&self) -> RequestId {
        self.inner.request_id()
    }

    /// The phone number being verified.
    pub fn recipient(&self) -> &str {
        self.inner.recipient()
    }

    /// The channel as last seen, if it was fetched.
    pub fn channel(&self) -> Option<Channel> {
        self.inner.channel()
    }

    /// Whether the channel as last seen is codeless.
    pub fn is_codeless(&self) -> bool {
        self.inner.is_codeless()
    }

    /// What to keep of the session to restore it later; see
    /// [`otp_client::Verification::save`].
    pub fn save(&self) -> SavedVerification {
        self.inner.save()
    }

    /// Fetches the channel now (`getChannel`).
    pub fn refresh_channel(&self) -> Result<Channel, Error> {
        self.client.block_on(self.inner.refresh_channel())
    }

    /// Waits until the channel is chosen and sent.
    pub fn wait_for_channel_selected(&self, timeout: Duration) -> Result<Channel, Error> {
        self.client
            .block_on(self.inner.wait_for_channel_selected(timeout))
    }

    /// Waits until the channel is chosen and sent, resending (at most `max_resends` times)
    /// when it expired first; see [`otp_client::Verification::wait_for_channel_resending`].
    pub fn wait_for_channel_resending(
        &self,
        timeout: Duration,
        max_resends: u32,
    ) -> Result<Channel, Error> {
        self.client
            .block_on(self.inner.wait_for_channel_resending(timeout, max_resends))
    }

    /// Waits until a codeless channel is confirmed.
    pub fn wait_for_success_status(&self, timeout: Duration) -> Result<(), Error> {
        self.client
            .block_on(self.inner.wait_for_success_status(timeout))
    }

    /// Checks the code the user entered.
    pub fn check_code(&self, code: &str) -> Result<(), Error> {
        self.client.block_on(self.inner.check_code(code))
    }

    /// Restarts the channel or moves to the next one (`resend`).
    pub fn resend(&self) -> Result<(), Error> {
        self.client.block_on(self.inner.resend())
    }

    /// Finishes the session on the server side and proves it was verified; see
    /// [`otp_client::Client::finish`]. Grant access only on its `Ok`.
    pub fn finish(&self) -> Result<Verified, Error> {
        self.client.block_on(self.inner.finish())
    }

    /// The session's events, as an iterator that blocks for each; see
    /// [`otp_client::Verification::events`].
    pub fn events(&self) -> Events {
        Events {
            stream: Box::pin(self.inner.events()),
            client: self.client.clone(),
        }
    }
}

/// The events of a session; each `next` blocks until one happens.
pub struct Events {
    stream: Pin<Box<dyn Stream<Item = VerificationEvent> + Send>>,
    client: Client,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Iterator for Events {
    type Item = VerificationEvent;

    fn next(&mut self) -> Option<VerificationEvent> {
        self.client.block_on(self.stream.next())
    }
}
