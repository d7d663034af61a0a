//! Where the widget back end is mounted. Its core is one `tower::Service` over `http` types
//! ([`WidgetBackend::service`](crate::WidgetBackend::service), axum's `Router` underneath),
//! which any tower host serves (axum, hyper, tonic's server…); each other framework gets a
//! thin mount that hands its requests to that service and its answers back.

#[cfg(feature = "actix")]
pub(crate) mod actix;
