//! The vendor adds an operation, `getAttempts`: a method of both clients.
use otp_client::RequestId;

pub async fn attempts(client: &otp_client::Client, id: &RequestId) -> Option<u32> {
    client.get_attempts(id).await.ok()?.remaining
}

pub fn attempts_blocking(client: &otp_client_blocking::Client, id: &RequestId) -> Option<u32> {
    client.get_attempts(id).ok()?.remaining
}
