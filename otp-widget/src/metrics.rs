//! What operators see of an attack: counters through the [`metrics`] facade, for whatever
//! recorder the application installs (Prometheus, StatsD, …). Without one they cost nothing.
//!
//! | counter | labels | counts |
//! |---|---|---|
//! | `otp_widget_sends_total` | `country` | sends the back end let through to the service |
//! | `otp_widget_refusals_total` | `reason`, `country` (where known) | requests refused, by why |
//! | `otp_widget_captcha_checks_total` | `result` (`passed`, `refused`) | tokens asked of the provider |
//!
//! The refusal reasons are `refusal::Reason`'s, counted once, where a refusal becomes the
//! answer (the README lists them; a test checks the list against the enum).

/// Counts a send let through to the service.
pub(crate) fn sent(country: Option<&str>) {
    metrics::counter!("otp_widget_sends_total", "country" => country.unwrap_or("unknown").to_string())
        .increment(1);
}

/// Counts a refusal, by its reason.
pub(crate) fn refused(reason: &'static str, country: Option<&str>) {
    match country {
        Some(country) => metrics::counter!(
            "otp_widget_refusals_total",
            "reason" => reason,
            "country" => country.to_string()
        )
        .increment(1),
        None => metrics::counter!("otp_widget_refusals_total", "reason" => reason).increment(1),
    }
}

/// Counts a captcha token asked of the provider.
pub(crate) fn captcha_checked(passed: bool) {
    let result = if passed { "passed" } else { "refused" };
    metrics::counter!("otp_widget_captcha_checks_total", "result" => result).increment(1);
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::Request;
    use http_body_util::Full;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use tower::ServiceExt;

    use crate::WidgetBackend;

    /// Refusals before the service is asked, counted by their reason.
    #[test]
    fn refusals_are_counted_by_reason() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let ours = uuid::Uuid::from_u128(1);
                let app = WidgetBackend::for_tests([ours]).service();
                for body in [
                    serde_json::json!({"widgetId": uuid::Uuid::from_u128(2), "recipient": "+79991234563"}),
                    serde_json::json!({"widgetId": ours, "recipient": "hello"}),
                    serde_json::json!({"widgetId": ours, "recipient": "+77012345678"}),
                    serde_json::json!({"widgetId": ours, "recipient": "+77012345679"}),
                ] {
                    let mut request = Request::post("/")
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body.to_string())))
                        .unwrap();
                    request
                        .extensions_mut()
                        .insert(std::net::SocketAddr::from(([203, 0, 113, 1], 1)));
                    let response = app.clone().oneshot(request).await.unwrap();
                    assert!(response.status().is_client_error(), "{}", response.status());
                }
            });
        });
        // One snapshot: taking one resets the counters.
        let snapshot = snapshotter.snapshot().into_vec();
        let counted = |reason: &str| -> u64 {
            snapshot
                .iter()
                .filter(|(key, ..)| {
                    let key = key.key();
                    key.name() == "otp_widget_refusals_total"
                        && key
                            .labels()
                            .any(|l| l.key() == "reason" && l.value() == reason)
                })
                .map(|(.., value)| match value {
                    DebugValue::Counter(n) => *n,
                    _ => 0,
                })
                .sum()
        };
        assert_eq!(counted("unknown_widget"), 1, "{snapshot:?}");
        assert_eq!(counted("invalid_number"), 1);
        assert_eq!(counted("country_not_allowed"), 2);
    }
}
