//! The one way to finish a session: a proof that the service confirmed it for the phone
//! number, or an error.

use std::fmt;

use crate::generated::ops;
use crate::{Client, Error, ErrorKind, RequestId, mask_phone};

/// The proof that a session was verified: the service confirmed it for this phone number
/// and completed it. Only [`Client::finish`] (or [`Verification::finish`]) makes one, so a
/// function that takes a `Verified` cannot be called for an unverified phone.
///
/// [`Verification::finish`]: crate::Verification::finish
///
/// ```no_run
/// # async fn grant_access(_: &str) {}
/// # async fn run(client: otp_client::Client, request_id: otp_client::RequestId) -> Result<(), otp_client::Error> {
/// let verified = client.finish(&request_id, "+79991234563").await?;
/// grant_access(verified.recipient()).await;
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
#[must_use = "a Verified proves the phone was verified: act on it"]
pub struct Verified {
    request_id: RequestId,
    recipient: String,
}

impl Verified {
    /// The session that was verified.
    pub fn request_id(&self) -> RequestId {
        self.request_id
    }

    /// The phone number that was verified.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("request_id", &self.request_id)
            .field("recipient", &mask_phone(&self.recipient))
            .finish()
    }
}

impl Client {
    /// Finishes a session on the server side (`checkStatusAndComplete`) and returns the proof
    /// that it was verified for `recipient`. This is the security-critical step: grant access
    /// only on its `Ok`.
    ///
    /// It fails with
    /// - [`ErrorKind::NotVerified`] when the service answers `success: false`: the session is
    ///   not confirmed, or it was finished before (the service answers `false` then too);
    /// - an error whose [`next_step`](Error::next_step) is
    ///   [`NextStep::OutcomeUnknown`](crate::NextStep::OutcomeUnknown) when the request may
    ///   have reached the service but its answer was lost: the session may have been
    ///   completed, and a second `finish` would answer `false`, so the outcome cannot be
    ///   known; grant no access and start over;
    /// - the service's error otherwise (`PhoneNumberMismatchException` for another phone).
    ///
    /// The request is never sent twice (it completes the session).
    pub async fn finish(&self, request_id: &RequestId, recipient: &str) -> Result<Verified, Error> {
        let status = self
            .check_status_and_complete(request_id, recipient)
            .await?;
        if status.success {
            Ok(Verified {
                request_id: *request_id,
                recipient: recipient.to_string(),
            })
        } else {
            Err(Error::new(ErrorKind::NotVerified).with_operation(ops::CHECK_STATUS_AND_COMPLETE))
        }
    }
}
