//! The service's metrics, served by `s3keeper serve` at `GET /metrics` in the Prometheus text
//! exposition format (as OpenMetrics text, which Prometheus scrapes natively), through the
//! Prometheus project's own Rust client, `prometheus-client`. One registry per service instance,
//! no globals: tests and several instances in one process never share counts.
//!
//! - `s3keeper_http_requests_total{route,method,status}`: API requests, by route template.
//! - `s3keeper_grants_total`, `s3keeper_revokes_total`,
//!   `s3keeper_verifications_total{outcome="verified"|"refused"}`.
//! - `s3keeper_aws_calls_total{operation,status}` and
//!   `s3keeper_aws_call_duration_seconds{operation}`: every SDK operation (retries included), by
//!   the HTTP status of its last answer (`none` when no answer came), from an SDK interceptor.
//! - `s3keeper_aws_errors_total{operation,code}`: calls that failed an operation, by AWS's error
//!   code (or the local codes of `aws/error.rs`, such as `DnsFailure`).
//! - `s3keeper_reconcile_runs_total{outcome}`, `s3keeper_reconcile_drift_total` (differences
//!   found and repaired), `s3keeper_reconcile_failures_total` (differences left).
//! - `s3keeper_upload_sessions_live` (upload ticket sessions that may still need revoking: open
//!   tickets and ended ones not yet expired) and `s3keeper_upload_sessions_capacity` (how many
//!   the uploads bucket's policy can revoke), read from the database at each scrape.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    operation: String,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    operation: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms … about 33 s: S3 answers in milliseconds; retries with back-off take seconds.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Every metric of one service instance.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    grants: Counter,
    revokes: Counter,
    verifications: Family<OutcomeLabels, Counter>,
    aws_calls: Family<CallLabels, Counter>,
    aws_latency: Family<OperationLabels, Histogram, fn() -> Histogram>,
    aws_errors: Family<ErrorLabels, Counter>,
    reconcile_runs: Family<OutcomeLabels, Counter>,
    reconcile_drift: Counter,
    reconcile_failures: Counter,
    upload_sessions_live: Gauge,
    upload_sessions_capacity: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("s3keeper");
        let m = Metrics {
            http_requests: Family::default(),
            grants: Counter::default(),
            revokes: Counter::default(),
            verifications: Family::default(),
            aws_calls: Family::default(),
            aws_latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            aws_errors: Family::default(),
            reconcile_runs: Family::default(),
            reconcile_drift: Counter::default(),
            reconcile_failures: Counter::default(),
            upload_sessions_live: Gauge::default(),
            upload_sessions_capacity: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "http_requests",
            "HTTP API requests by route template, method and status",
            m.http_requests.clone(),
        );
        registry.register("grants", "Grants committed", m.grants.clone());
        registry.register("revokes", "Revocations committed", m.revokes.clone());
        registry.register(
            "verifications",
            "Identity verifications finished, by outcome",
            m.verifications.clone(),
        );
        registry.register(
            "aws_calls",
            "AWS SDK operations (retries included) by the HTTP status of the last answer",
            m.aws_calls.clone(),
        );
        registry.register(
            "aws_call_duration_seconds",
            "AWS SDK operation latency, retries included",
            m.aws_latency.clone(),
        );
        registry.register(
            "aws_errors",
            "AWS SDK operations that failed, by error code",
            m.aws_errors.clone(),
        );
        registry.register(
            "reconcile_runs",
            "Reconcile runs by outcome",
            m.reconcile_runs.clone(),
        );
        registry.register(
            "reconcile_drift",
            "Differences between AWS and the database that reconcile found and repaired",
            m.reconcile_drift.clone(),
        );
        registry.register(
            "reconcile_failures",
            "Differences reconcile could not repair",
            m.reconcile_failures.clone(),
        );
        registry.register(
            "upload_sessions_live",
            "Upload ticket sessions that may still need revoking (open, or ended and not expired)",
            m.upload_sessions_live.clone(),
        );
        registry.register(
            "upload_sessions_capacity",
            "Upload ticket sessions the uploads bucket's policy can revoke at once",
            m.upload_sessions_capacity.clone(),
        );
        Metrics { registry, ..m }
    }

    /// The revocation list's fill, as last read.
    pub fn upload_sessions(&self, live: usize, capacity: usize) {
        self.upload_sessions_live
            .set(i64::try_from(live).unwrap_or(i64::MAX));
        self.upload_sessions_capacity
            .set(i64::try_from(capacity).unwrap_or(i64::MAX));
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }

    pub fn http_request(&self, route: &str, method: &str, status: u16) {
        self.http_requests
            .get_or_create(&HttpLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status: status.to_string(),
            })
            .inc();
    }

    pub fn granted(&self) {
        self.grants.inc();
    }

    pub fn revoked(&self) {
        self.revokes.inc();
    }

    pub fn verification(&self, verified: bool) {
        let outcome = if verified { "verified" } else { "refused" };
        self.verifications
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn aws_call(&self, operation: &str, status: Option<u16>, took: Duration) {
        self.aws_calls
            .get_or_create(&CallLabels {
                operation: operation.to_owned(),
                status: status.map_or_else(|| "none".to_owned(), |s| s.to_string()),
            })
            .inc();
        self.aws_latency
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn aws_error(&self, operation: &str, code: &str) {
        self.aws_errors
            .get_or_create(&ErrorLabels {
                operation: operation.to_owned(),
                code: code.to_owned(),
            })
            .inc();
    }

    pub fn reconciled(&self, ok: bool, drift: usize, failures: usize) {
        let outcome = if ok { "ok" } else { "error" };
        self.reconcile_runs
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
        self.reconcile_drift.inc_by(drift as u64);
        self.reconcile_failures.inc_by(failures as u64);
    }
}

/// When an SDK operation started, kept in its config bag between the two hooks.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Started>;
}

/// Times every SDK operation from its start to its end (retries included) and counts it.
#[derive(Debug, Clone)]
pub struct AwsCallInterceptor(pub Arc<Metrics>);

impl Intercept for AwsCallInterceptor {
    fn name(&self) -> &'static str {
        "S3KeeperMetrics"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or_else(|| "unknown".to_owned(), |m| m.name().to_owned());
        let took = cfg
            .load::<Started>()
            .map_or(Duration::ZERO, |s| s.0.elapsed());
        let status = context.response().map(|r| r.status().as_u16());
        self.0.aws_call(&operation, status, took);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_family_and_its_samples() {
        let m = Metrics::new();
        m.granted();
        m.granted();
        m.revoked();
        m.verification(true);
        m.http_request("/datasets/{slug}/{version}/grants", "POST", 200);
        m.aws_call("PutAccessPointPolicy", Some(200), Duration::from_millis(3));
        m.aws_error("CreateAccessPoint", "AccessDenied");
        m.reconciled(true, 2, 0);
        let text = m.render();
        for want in [
            "# TYPE s3keeper_grants counter",
            "s3keeper_grants_total 2",
            "s3keeper_revokes_total 1",
            "s3keeper_verifications_total{outcome=\"verified\"} 1",
            "s3keeper_http_requests_total{route=\"/datasets/{slug}/{version}/grants\",method=\"POST\",status=\"200\"} 1",
            "s3keeper_aws_calls_total{operation=\"PutAccessPointPolicy\",status=\"200\"} 1",
            "s3keeper_aws_call_duration_seconds_bucket{le=\"0.004\",operation=\"PutAccessPointPolicy\"} 1",
            "s3keeper_aws_call_duration_seconds_count{operation=\"PutAccessPointPolicy\"} 1",
            "s3keeper_aws_errors_total{operation=\"CreateAccessPoint\",code=\"AccessDenied\"} 1",
            "s3keeper_reconcile_drift_total 2",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
    }
}
