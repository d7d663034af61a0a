//! The spec's operations as the routes see them: each one's method, path, success status and
//! whether the spec's `x-widget` says `browser`, from the client's generated list.

/// One operation of the spec, as the router serves it.
pub(crate) struct Operation {
    pub(crate) id: &'static str,
    /// The HTTP method.
    pub(crate) http: &'static str,
    pub(crate) path: &'static str,
    /// The success status.
    pub(crate) success: u16,
    /// Whether the spec's `x-widget` says `browser`.
    pub(crate) browser: bool,
}

macro_rules! operations {
    ($({ id: $id:literal, method: $m:ident, params: [$($p:ident),*], http: $http:literal, path: $path:literal, success: $success:literal, long_polling: $lp:literal, widget: $widget:ident, $($rest:tt)* })*) => {
        &[$(Operation {
            id: $id,
            http: $http,
            path: $path,
            success: $success,
            browser: operations!(@browser $widget),
        }),*]
    };
    (@browser browser) => { true };
    (@browser $other:ident) => { false };
}

/// Every operation of the spec, from the client's generated list. The router exposes those
/// whose `x-widget` is `browser` and that it has a handler for, and no other: `server-only`
/// ones (the application's own last step) and those no overlay marks (an operation added by
/// a newer spec, until someone decides) are answered like paths that do not exist.
pub(crate) const OPERATIONS: &[Operation] = otp_client::for_each_operation!(operations);
