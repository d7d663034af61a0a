//! The vendor adds a status, 429, to `getStatus`'s answers: an error with that status and the
//! error body's type.
use otp_client::RequestId;

pub async fn throttled(client: &otp_client::Client, id: &RequestId) -> bool {
    match client.get_status(id, "+79991234563").await {
        Err(e) => e.status().is_some_and(|s| s.as_u16() == 429) && e.exception().is_some(),
        Ok(_) => false,
    }
}
