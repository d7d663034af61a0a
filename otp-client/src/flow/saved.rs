//! A session kept between the requests of a web application, or across processes.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Channel;
use crate::{RequestId, mask_phone};

/// What [`Verification::save`](crate::Verification::save) keeps of a session, to
/// [restore](crate::Client::restore_verification) it later: its id, its phone number and
/// the channel last seen. Serialize it with `serde` into your session store.
///
/// It holds the phone number in clear: keep it server-side. Its `Debug` output masks it.
///
/// ```
/// # fn run(client: otp_client::Client, session: otp_client::Verification) -> Result<(), serde_json::Error> {
/// let stored = serde_json::to_string(&session.save())?;
/// // … another request, another process …
/// let session = client.restore_verification(serde_json::from_str(&stored)?);
/// # Ok(()) }
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedVerification {
    /// The session's id.
    pub request_id: RequestId,
    /// The phone number being verified.
    pub recipient: String,
    /// The channel last seen, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

impl fmt::Debug for SavedVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedVerification")
            .field("request_id", &self.request_id)
            .field("recipient", &mask_phone(&self.recipient))
            .field("channel", &self.channel)
            .finish()
    }
}
