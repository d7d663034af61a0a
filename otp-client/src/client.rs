//! The client: a handle on the shared [`ClientState`], and the two things every generated
//! operation asks of it: progenitor's client for one call ([`Client::raw`]) and the call
//! itself ([`Client::call`], which [`run`](crate::call::run) runs).

use std::future::Future;
use std::sync::Arc;

use progenitor_client::ResponseValue;

use crate::call::{Args, Call};
use crate::error::Error;
use crate::generated::raw;
use crate::operation::Operation;
use crate::state::ClientState;
use crate::types::ErrorResponse;

/// The otp-handler client: one async method per operation of the spec.
///
/// Build it with [`Client::builder`]. It is cheap to clone (clones share one connection
/// pool) and `Send + Sync`.
///
/// ```no_run
/// # async fn run() -> Result<(), otp_client::Error> {
/// let client = otp_client::Client::builder("my-api-token").build()?;
/// let widget_id = "123634df-ddfe-4dda-b31d-f3b4e75fc5dc".parse().expect("a UUID");
/// let widget = client.get_widget(&widget_id).await?;
/// println!("{:?} active: {:?}", widget.name, widget.is_active);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) state: Arc<ClientState>,
}

impl Client {
    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.state.base
    }

    /// progenitor's client for one call of `operation`: its hooks read and record that
    /// call's [`CallContext`](crate::context::CallContext) and nothing else.
    pub(crate) fn raw(&self, operation: &'static Operation) -> raw::Client {
        raw::Client::new_with_client(
            &self.state.base,
            self.state.http.clone(),
            Call::new(self.state.clone(), operation),
        )
    }

    /// Runs one call through `raw`, made by [`Client::raw`]: checks `args`, sends the
    /// request `call` makes, maps its error, and retries as the
    /// [`RetryPolicy`](crate::RetryPolicy) allows ([`run`](crate::call::run)).
    pub(crate) fn call<T, F, Fut>(
        &self,
        raw: &raw::Client,
        args: Args<'_>,
        call: F,
    ) -> impl Future<Output = Result<T, Error>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, raw::Error<ErrorResponse>>>,
    {
        crate::call::run(raw, args, call)
    }
}
