//! What the criterion benches share: their client runtime and their sampling settings.

use std::time::Duration;

use criterion::Criterion;

/// The callers' runtime: two workers, as the machine has two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// 40 samples over 4 s after 1 s of warm-up. Ratios between groups measured this way move
/// with the machine's load (see BENCHMARKS.md): the paired `throughput` example and the
/// instruction counts are the comparisons to trust.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}
