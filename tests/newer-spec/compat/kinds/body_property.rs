//! The vendor adds an optional property, `lang`, to `send`'s body: a setter of its type.
use otp_client::types::OtpHandlerSendRequestDto;

pub async fn in_english(client: &otp_client::Client, widget: uuid::Uuid) {
    let body = OtpHandlerSendRequestDto::new("+79991234563", widget).lang("en");
    assert_eq!(body.lang.as_deref(), Some("en"));
    let _ = client.send(&body).await;
}
