//! The vendor adds an optional query parameter, `lang`, to `getStatus` and `send`: a field of
//! their options.
use otp_client::RequestId;
use otp_client::options::{GetStatusOptions, SendOptions};
use otp_client::types::OtpHandlerSendRequestDto;

pub async fn in_english(client: &otp_client::Client, id: &RequestId, widget: uuid::Uuid) {
    let status = GetStatusOptions::new().lang("en");
    let _ = client.get_status_with(id, "+79991234563", &status).await;
    let body = OtpHandlerSendRequestDto::new("+79991234563", widget);
    let _ = client.send_with(&body, &SendOptions::new().lang("en")).await;
}

pub fn in_english_blocking(client: &otp_client_blocking::Client, id: &RequestId) {
    let _ = client.get_status_with(id, "+79991234563", &GetStatusOptions::new().lang("en"));
}
