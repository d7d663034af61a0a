//! The vendor adds an exception type and a channel type: variants of the open enums.
use otp_client::types::{ChannelType, ExceptionType};

pub fn blocked(kind: &ExceptionType) -> bool {
    *kind == ExceptionType::AttemptsBlockedException
}

pub fn max(kind: &ChannelType) -> bool {
    matches!(kind, ChannelType::Max)
}
