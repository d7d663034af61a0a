//! Where the widget back end is mounted. Its core is the routes ([`respond`](crate::routes::respond)),
//! over a request's head as any server parsed it ([`RequestHead`](crate::RequestHead)); each
//! framework gets a thin mount that hands its requests to them and their answers back:
//! axum's `Router` (`axum.rs`), actix-web's `configure` function (`actix.rs`), and the
//! `tower::Service` any tower host serves ([`WidgetService`](crate::WidgetService)).

#[cfg(feature = "actix")]
pub(crate) mod actix;
#[cfg(feature = "axum")]
pub(crate) mod axum;
