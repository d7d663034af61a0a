//! An application written against the bundled spec (otp-client 0.3), as a user writes one:
//! every operation through both clients, request bodies built with `new`, responses read
//! field by field, enums matched with a wildcard, the verification flow. `.ci/newer-spec`
//! builds it unchanged against specs that each make one change the vendor calls compatible;
//! each feature adds the typed call that reaches that change's new thing (`kinds/`).
#![allow(dead_code)]

use std::time::Duration;

use otp_client::options::GetStatusOptions;
use otp_client::types::{
    ChannelStatus, ChannelType, CodeType, ErrorResponse, ExceptionType,
    OtpHandlerCheckCodeRequestDto, OtpHandlerGetStatusResponseDto, OtpHandlerSendRequestDto,
};
use otp_client::{Client, Error, ErrorKind, NextStep, RequestId};
use uuid::Uuid;

#[cfg(feature = "body-property")]
#[path = "../kinds/body_property.rs"]
mod body_property;
#[cfg(feature = "enum-value")]
#[path = "../kinds/enum_value.rs"]
mod enum_value;
#[cfg(feature = "header-parameter")]
#[path = "../kinds/header_parameter.rs"]
mod header_parameter;
#[cfg(feature = "operation")]
#[path = "../kinds/operation.rs"]
mod operation;
#[cfg(feature = "query-parameter")]
#[path = "../kinds/query_parameter.rs"]
mod query_parameter;
#[cfg(feature = "response-property")]
#[path = "../kinds/response_property.rs"]
mod response_property;
#[cfg(feature = "response-status")]
#[path = "../kinds/response_status.rs"]
mod response_status;

/// Every operation, through the async client, with the arguments the bundled spec gives it.
pub async fn every_operation(client: &Client, widget: Uuid, id: &RequestId) -> Result<(), Error> {
    let widget_data = client.get_widget(&widget).await?;
    let _: Option<&str> = widget_data.name.as_deref();
    let body = OtpHandlerSendRequestDto::new("+79991234563", widget);
    let sent = client.send(&body).await?;
    let _: &RequestId = &sent.request_id;
    let channel = client.get_channel(id).await?;
    describe(channel.type_.as_ref(), channel.status.as_ref(), channel.code_type.as_ref());
    client.get_channel_long_polling(id).await?;
    let status: OtpHandlerGetStatusResponseDto = client.get_status(id, "+79991234563").await?;
    let _: bool = status.success;
    client
        .get_status_with(id, "+79991234563", &GetStatusOptions::new())
        .await?;
    client.get_status_long_polling(id, "+79991234563").await?;
    client
        .check_code(id, &OtpHandlerCheckCodeRequestDto::new("1234"))
        .await?;
    client.check_status_and_complete(id, "+79991234563").await?;
    client.complete(id).await?;
    client.resend(id).await?;
    Ok(())
}

/// The same through the blocking client.
pub fn every_operation_blocking(
    client: &otp_client_blocking::Client,
    widget: Uuid,
    id: &RequestId,
) -> Result<(), Error> {
    client.get_widget(&widget)?;
    client.send(&OtpHandlerSendRequestDto::new("+79991234563", widget))?;
    client.get_channel(id)?;
    client.get_channel_long_polling(id)?;
    client.get_status(id, "+79991234563")?;
    client.get_status_long_polling(id, "+79991234563")?;
    client.check_code(id, &OtpHandlerCheckCodeRequestDto::new("1234"))?;
    client.check_status_and_complete(id, "+79991234563")?;
    client.complete(id)?;
    client.resend(id)?;
    Ok(())
}

/// The flow, start to finish.
pub async fn verify(client: &Client, widget: Uuid, code: &str) -> Result<RequestId, Error> {
    let verification = client.start_verification(widget, "+79991234563").await?;
    verification
        .wait_for_channel_selected(Duration::from_secs(30))
        .await?;
    if !verification.is_codeless() {
        verification.check_code(code).await?;
    }
    let verified = verification.finish().await?;
    let _ = verified;
    Ok(verification.request_id())
}

/// Enums matched as a user matches them: the values known today, and a wildcard.
pub fn describe(
    kind: Option<&ChannelType>,
    status: Option<&ChannelStatus>,
    code: Option<&CodeType>,
) -> String {
    let kind = match kind {
        Some(ChannelType::Sms) => "sms",
        Some(ChannelType::Voice) => "voice",
        Some(_) => "another channel",
        None => "none",
    };
    let status = match status {
        Some(ChannelStatus::Confirmed) => "confirmed",
        Some(_) | None => "pending",
    };
    let code = match code {
        Some(CodeType::Codeless) => "codeless",
        _ => "code",
    };
    format!("{kind} {status} {code}")
}

/// What the application does with an error.
pub fn react(error: &Error) -> &'static str {
    match error.kind() {
        ErrorKind::Api(api) => match api.kind {
            ExceptionType::InvalidCodeException => "ask again",
            ExceptionType::RateLimitException => "wait",
            _ => match error.next_step() {
                NextStep::StartOver => "start over",
                _ => "retry",
            },
        },
        _ => "retry",
    }
}

/// A test double, built as the README says (aide's example, a mock server's answer).
pub fn answers() -> (OtpHandlerGetStatusResponseDto, ErrorResponse) {
    (
        OtpHandlerGetStatusResponseDto::new(true),
        ErrorResponse::new()
            .type_(ExceptionType::SessionNotFoundException)
            .message("Сессия не найдена")
            .http_status(404),
    )
}
