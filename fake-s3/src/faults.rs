//! Fault injection for tests: a random error rate, throttling (`503 SlowDown`), added latency,
//! and failing the Nth call of an operation. Randomness is a seeded xorshift, so a test that sets a
//! seed sees the same faults every run.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::AwsError;

/// What to inject.
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    /// Probability (0.0–1.0) that a request fails with `500 InternalError`.
    pub error_rate: f64,
    /// Probability (0.0–1.0) that a request is throttled with `503 SlowDown`.
    pub throttle_rate: f64,
    /// Delay added before every response.
    pub latency: Duration,
    /// Operation name → call numbers (1-based) that fail with `500 InternalError`.
    pub fail_nth: HashMap<String, Vec<u64>>,
    pub seed: u64,
}

#[derive(Debug, Default)]
struct Inner {
    config: FaultConfig,
    rng: u64,
    calls: HashMap<String, u64>,
}

/// The fault injector.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<Inner>,
    /// Whether anything is configured: without faults, requests skip the lock (every request
    /// would take it, and both workers contend for it). Counting resumes from zero at the next
    /// [`Faults::configure`] anyway.
    active: AtomicBool,
}

impl Faults {
    /// Replaces the configuration and resets counters.
    pub fn configure(&self, config: FaultConfig) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.rng = config.seed.max(1);
        inner.calls.clear();
        let active = config.error_rate > 0.0
            || config.throttle_rate > 0.0
            || !config.latency.is_zero()
            || !config.fail_nth.is_empty();
        inner.config = config;
        self.active.store(active, Ordering::Release);
    }

    /// Decides, for one call of `operation`, the delay to add and the error to return, if any.
    pub fn check(&self, operation: &str) -> (Duration, Option<AwsError>) {
        if !self.active.load(Ordering::Acquire) {
            return (Duration::ZERO, None);
        }
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Every request counts its call; the name is copied only the first time it is seen.
        let n = match inner.calls.get_mut(operation) {
            Some(c) => {
                *c += 1;
                *c
            }
            None => {
                inner.calls.insert(operation.to_owned(), 1);
                1
            }
        };
        let latency = inner.config.latency;
        if inner
            .config
            .fail_nth
            .get(operation)
            .is_some_and(|calls| calls.contains(&n))
        {
            return (
                latency,
                Some(AwsError::internal_error(format!(
                    "injected failure of call {n} of {operation}"
                ))),
            );
        }
        let (error_rate, throttle_rate) = (inner.config.error_rate, inner.config.throttle_rate);
        if error_rate <= 0.0 && throttle_rate <= 0.0 {
            return (latency, None);
        }
        let r = next(&mut inner.rng);
        if r < throttle_rate {
            return (
                latency,
                Some(AwsError::slow_down("Please reduce your request rate.")),
            );
        }
        if r < throttle_rate + error_rate {
            return (
                latency,
                Some(AwsError::internal_error(
                    "We encountered an internal error. Please try again.",
                )),
            );
        }
        (latency, None)
    }
}

/// xorshift64*, mapped to [0, 1).
fn next(state: &mut u64) -> f64 {
    let mut x = (*state).max(1);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_the_nth_call_and_is_reproducible() {
        let f = Faults::default();
        f.configure(FaultConfig {
            fail_nth: HashMap::from([("PutObject".to_owned(), vec![2])]),
            ..FaultConfig::default()
        });
        assert!(f.check("PutObject").1.is_none());
        assert_eq!(
            f.check("PutObject").1.map(|e| e.code),
            Some("InternalError")
        );
        assert!(f.check("PutObject").1.is_none());

        let run = || {
            f.configure(FaultConfig {
                throttle_rate: 0.5,
                seed: 7,
                ..FaultConfig::default()
            });
            (0..64)
                .map(|_| f.check("GetObject").1.is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().any(|x| *x) && a.iter().any(|x| !*x));
    }
}
