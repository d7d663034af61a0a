//! The vendor adds a property, `expiresAt` (date-time), to the status answer: a field, in the
//! Rust type its format gives.
use otp_client::RequestId;

pub async fn expiry(client: &otp_client::Client, id: &RequestId) -> Option<String> {
    let status = client.get_status(id, "+79991234563").await.ok()?;
    status.expires_at.map(|at| at.to_rfc3339())
}
