//! A session's events, as the vendor's Node SDK reports them, as a `Stream`.

use futures_util::Stream;

use super::{Channel, Verification};
use crate::generated::ops;
use crate::types::{ChannelStatus, CodeType};
use crate::wait::Pacer;
use crate::{Error, ErrorKind, NextStep};

/// What happens in a session, as [`Verification::events`] reports it.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerificationEvent {
    /// The channel is new or changed (kind, code type or status): render it.
    ChannelChanged(Box<Channel>),
    /// The channel expired (`ResendChannelException`): call [`Verification::resend`].
    ResendNeeded,
    /// The user confirmed: [finish](Verification::finish) the session.
    Confirmed,
    /// The session cannot go on (see the error's [`next_step`](Error::next_step)); the
    /// stream ends after this.
    Error(Error),
}

impl Verification {
    /// The session's events, until it is confirmed or over: the Node SDK's events as a
    /// `Stream`. It reads the current state first (the channel, or the status of a codeless
    /// channel already sent), then long-polls for changes, and follows [`NextStep`] for
    /// every error: re-polls on 408, waits as asked when the service says to retry later (a
    /// 429, a 5xx), reads the channel again on `ChannelChangedException`; it never spins.
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
            look: true,
            pacer: Pacer::default(),
            done: false,
        };
        futures_util::stream::unfold(state, |mut state| async move {
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
    /// The channel as last reported.
    last: Option<Channel>,
    /// Whether the next poll reads the current state at once instead of long-polling for a
    /// change: at the start, and after the service said the channel changed.
    look: bool,
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
            let error = match outcome {
                Ok(Some(event)) => return event,
                Ok(None) => {
                    self.pacer.answered().await;
                    continue;
                }
                Err(e) => e,
            };
            match error.next_step() {
                NextStep::PollAgain => self.pacer.answered().await,
                NextStep::RetryLater { retry_after } => self.pacer.wait(retry_after).await,
                NextStep::RefetchChannel | NextStep::AwaitConfirmation => {
                    self.look = true;
                    self.last = None;
                }
                NextStep::Resend => {
                    self.pacer.answered().await;
                    return VerificationEvent::ResendNeeded;
                }
                NextStep::Finish => return self.finish(VerificationEvent::Confirmed),
                _ => return self.finish(VerificationEvent::Error(error)),
            }
        }
    }

    fn finish(&mut self, event: VerificationEvent) -> VerificationEvent {
        self.done = true;
        event
    }

    /// Reads the channel (at once, or long-polling for a change); an event when it is
    /// confirmed, ended or changed.
    async fn poll_channel(&mut self) -> Result<Option<VerificationEvent>, Error> {
        let client = &self.session.client;
        let id = &self.session.request_id;
        // A read that failed is made again: `look` stays until one succeeds.
        let channel = if self.look {
            client.get_channel(id).await?
        } else {
            client.get_channel_long_polling(id).await?
        };
        self.look = false;
        self.session.remember(&channel);
        match &channel.status {
            Some(ChannelStatus::Confirmed) => {
                return Ok(Some(self.finish(VerificationEvent::Confirmed)));
            }
            Some(status @ (ChannelStatus::Error | ChannelStatus::Closed)) => {
                let ended = Error::new(ErrorKind::ChannelEnded {
                    status: status.clone(),
                })
                .with_operation(ops::GET_CHANNEL);
                return Ok(Some(self.finish(VerificationEvent::Error(ended))));
            }
            _ => {}
        }
        if self
            .last
            .as_ref()
            .is_some_and(|last| same_channel(last, &channel))
        {
            return Ok(None);
        }
        self.last = Some(channel.clone());
        Ok(Some(VerificationEvent::ChannelChanged(Box::new(channel))))
    }

    async fn poll_status(&mut self) -> Result<Option<VerificationEvent>, Error> {
        let session = &self.session;
        let (client, id, phone) = (&session.client, &session.request_id, &*session.recipient);
        let status = if self.look {
            client.get_status(id, phone).await?
        } else {
            client.get_status_long_polling(id, phone).await?
        };
        self.look = false;
        Ok(status
            .success
            .then(|| self.finish(VerificationEvent::Confirmed)))
    }
}
