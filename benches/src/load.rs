//! The load generator the throughput comparisons share, and the statistics of their ratio:
//! the same code drives both sides of a pair, and pairs are repeated until the ratio is
//! known to within a stated interval.

use std::future::Future;
use std::time::{Duration, Instant};

/// Calls per second that `callers` concurrent callers reach, each a task of its own (so the
/// runtime spreads them over its threads) making `call` after `call` until `duration`
/// passes; the calls under way then finish and count. Panics when a call fails: a failed
/// call would be a faster one.
pub async fn rate<F, Fut>(callers: usize, duration: Duration, call: F) -> f64
where
    F: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let started = Instant::now();
    let end = started + duration;
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < end {
                    assert!(call().await, "a call failed");
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut done = 0;
    for task in tasks {
        done += task.await.expect("a caller panicked");
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// A mean and its 95 % confidence interval (Student's t), from a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The sample's mean.
    pub mean: f64,
    /// Half the interval's width.
    pub half_width: f64,
    /// The sample's size.
    pub n: usize,
}

impl Estimate {
    /// The estimate of the mean of `sample`; `None` for fewer than two values.
    pub fn of(sample: &[f64]) -> Option<Self> {
        let n = sample.len();
        if n < 2 {
            return None;
        }
        let mean = sample.iter().sum::<f64>() / n as f64;
        let variance = sample.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half_width = t_975(n - 1) * (variance / n as f64).sqrt();
        Some(Self {
            mean,
            half_width,
            n,
        })
    }

    /// The half-width as a fraction of the mean.
    pub fn relative(&self) -> f64 {
        self.half_width / self.mean
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} ± {:.3} (95 %, n = {})",
            self.mean, self.half_width, self.n
        )
    }
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom.
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        // Within 0.002 of the exact value past 30.
        _ => 1.960 + 2.4 / df as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_of_a_known_sample() {
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(e.mean, 3.0);
        // sd = 1.5811, se = 0.7071, t(4) = 2.776.
        assert!((e.half_width - 1.963).abs() < 0.001, "{e}");
        assert_eq!(Estimate::of(&[1.0]), None);
    }
}
