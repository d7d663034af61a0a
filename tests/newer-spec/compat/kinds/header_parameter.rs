//! The vendor adds an optional header parameter, `X-Client-Version`, to `getStatus`: a field
//! of its options.
use otp_client::RequestId;
use otp_client::options::GetStatusOptions;

pub async fn versioned(client: &otp_client::Client, id: &RequestId) {
    let options = GetStatusOptions::new().x_client_version("1.2.3");
    let _ = client.get_status_with(id, "+79991234563", &options).await;
}
