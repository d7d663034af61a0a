//! Driving a sandbox into each documented error: shared by the clients' end-to-end tests
//! and the widget back end's.
#![allow(dead_code)]

use std::time::Duration;

use otp_sandbox::{
    BLOCKED_WIDGET, CODE_WIDGET, CODELESS_WIDGET, DEFAULT_TOKEN, INACTIVE_WIDGET, OTHER_TOKEN,
    Sandbox, SandboxConfig,
};

use otp_client::NextStep;
use otp_client::types::ExceptionType;

use super::*;

pub fn config() -> SandboxConfig {
    SandboxConfig {
        codeless_confirm_delay: None,
        ..SandboxConfig::fast()
    }
}

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    sandbox.record();
    sandbox
}

pub fn client(sandbox: &Sandbox) -> otp_client::Client {
    async_client_as(&sandbox.base_url(), DEFAULT_TOKEN)
}

/// Documented errors the sandbox does not produce, and why.
pub const NOT_REACHABLE: &[(&str, &str)] = &[
    // The cure for an expired channel is `resend`; the sandbox's resend never answers that
    // the channel must be resent. The mock-server tests cover its decoding.
    ("resend", "ResendChannelException"),
    // The clients refuse a blank phone number or code before sending: the sandbox's answer
    // to one is checked over raw HTTP (`the_sandbox_answers_invalid_input_with_validate_error`).
    ("send", "ValidateError"),
    ("getStatus", "ValidateError"),
    ("getStatusLongPolling", "ValidateError"),
    ("checkCode", "ValidateError"),
    ("checkStatusAndComplete", "ValidateError"),
];

/// Timings that make the state behind `kind` certain however loaded the machine is.
pub fn config_for(kind: &str) -> SandboxConfig {
    match kind {
        "ResendChannelException" => SandboxConfig {
            channel_lifetime: Duration::from_millis(150),
            ..config()
        },
        "NoAvailableChannelsException" | "ChannelChangedException" => SandboxConfig {
            resend_cooldown: Duration::ZERO,
            ..config()
        },
        _ => SandboxConfig {
            resend_cooldown: Duration::from_secs(60),
            ..config()
        },
    }
}
/// Where a session stands before the operation under test is called.
pub struct Reached {
    pub token: &'static str,
    pub args: Args,
}

/// Drives sandbox `sb` into the state in which operation `op` answers `kind`.
pub async fn drive(sb: &Sandbox, op: &str, kind: &str) -> Reached {
    let c = client(sb);
    let start = |widget| {
        let c = c.clone();
        async move { c.start_verification(widget, RECIPIENT).await.expect("send") }
    };
    let session_args = |s: &otp_client::Verification| Args {
        request_id: s.request_id().to_string(),
        widget_id: CODE_WIDGET.to_string(),
        ..Args::default()
    };
    let mut token = DEFAULT_TOKEN;
    let args = match kind {
        "ForbiddenException" => {
            token = OTHER_TOKEN;
            let s = start(CODE_WIDGET).await;
            session_args(&s)
        }
        "WidgetNotFoundException" => Args {
            widget_id: uuid::Uuid::new_v4().to_string(),
            ..Args::default()
        },
        "WidgetIsBlockedException" => Args {
            widget_id: BLOCKED_WIDGET.to_string(),
            ..Args::default()
        },
        "NoAvailableChannelsException" if op == "send" => Args {
            widget_id: INACTIVE_WIDGET.to_string(),
            ..Args::default()
        },
        "NoAvailableChannelsException" => {
            // Resend through the whole cascade: sms → voice → sim_push → nothing.
            let s = start(CODE_WIDGET).await;
            loop {
                match s.resend().await {
                    Ok(()) => continue,
                    Err(e)
                        if e.exception() == Some(&ExceptionType::NoAvailableChannelsException) =>
                    {
                        break;
                    }
                    Err(e) => panic!("resend: {e}"),
                }
            }
            session_args(&s)
        }
        "ResendChannelException" => {
            // This sandbox's channels live 150 ms.
            let s = start(CODE_WIDGET).await;
            tokio::time::sleep(Duration::from_millis(250)).await;
            session_args(&s)
        }
        "AttemptsExpiredException" => {
            let s = start(CODE_WIDGET).await;
            let attempts = if op == "checkCode" { 2 } else { 3 };
            for _ in 0..attempts {
                let e = s.check_code("0000").await.unwrap_err();
                assert!(
                    matches!(e.next_step(), NextStep::AskCodeAgain { .. })
                        || e.exception() == Some(&ExceptionType::AttemptsExpiredException),
                    "{e}"
                );
            }
            Args {
                code: "0000".into(),
                ..session_args(&s)
            }
        }
        "SessionClosedException" => {
            let s = start(CODE_WIDGET).await;
            c.complete(&s.request_id()).await.unwrap();
            session_args(&s)
        }
        "ChannelChangedException" => {
            let s = start(CODE_WIDGET).await;
            s.refresh_channel().await.unwrap();
            s.resend().await.unwrap();
            session_args(&s)
        }
        "InvalidCodeException" => Args {
            code: "0000".into(),
            ..session_args(&start(CODE_WIDGET).await)
        },
        "IsCodelessChannelException" => session_args(&start(CODELESS_WIDGET).await),
        "SessionNotFoundException" => Args {
            request_id: uuid::Uuid::new_v4().to_string(),
            ..Args::default()
        },
        "LongPollingTimeoutException" => {
            let s = start(CODE_WIDGET).await;
            s.wait_for_channel_selected(Duration::from_secs(30))
                .await
                .unwrap();
            session_args(&s)
        }
        "PhoneNumberMismatchException" => Args {
            recipient: "+79990000000".into(), // a valid number, not the session's
            ..session_args(&start(CODE_WIDGET).await)
        },
        "RestartCooldownActiveException" => session_args(&start(CODE_WIDGET).await),
        // The scenario number whose sends are always rate-limited.
        "RateLimitException" => Args {
            recipient: otp_sandbox::Behaviour::RateLimited.phone().into(),
            ..Args::default()
        },
        "SessionAlreadyConfirmedException" => {
            let s = start(CODE_WIDGET).await;
            s.check_code(otp_sandbox::DEFAULT_CODE).await.unwrap();
            session_args(&s)
        }
        other => panic!("no way to drive the sandbox to {other}: add one"),
    };
    Reached { token, args }
}
