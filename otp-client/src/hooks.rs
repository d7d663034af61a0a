//! What happens to every request progenitor's client sends: the bearer token goes in, and
//! long-polling operations get their own timeout.

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::AUTHORIZATION;

use crate::ClientState;
use crate::generated::{LONG_POLLING_METHODS, raw};

impl ClientHooks<ClientState> for raw::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let state = self.inner();
        request
            .headers_mut()
            .insert(AUTHORIZATION, state.authorization.clone());
        if LONG_POLLING_METHODS.contains(&info.operation_id) {
            *request.timeout_mut() = Some(state.long_poll_timeout);
        }
        Ok(())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Ok(response) = result {
            crate::call::record_status(response.status());
        }
        Ok(())
    }
}
