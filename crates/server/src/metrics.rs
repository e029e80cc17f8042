//! Prometheus metrics (`/metrics`, text format). Labels are bounded: rule ids, severities,
//! decision results, endpoint names; never raw error text.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

type Labels = Vec<(&'static str, String)>;

/// Every metric the server exports.
pub struct Metrics {
    registry: Registry,
    /// Audit events received (acknowledged), by outcome.
    pub events_in: Family<Labels, Counter>,
    /// Audit batches refused, by reason.
    pub batches_refused: Family<Labels, Counter>,
    /// Alerts emitted, by rule and severity.
    pub alerts: Family<Labels, Counter>,
    /// Admission decisions, by result, kind and dry run.
    pub admission: Family<Labels, Counter>,
    /// Request latency by endpoint.
    pub latency: Family<Labels, Histogram>,
    /// Bytes of spool not yet processed.
    pub spool_depth_bytes: Gauge,
    /// Age of the oldest unprocessed batch.
    pub spool_age_seconds: Gauge<f64, AtomicU64>,
    /// Alert deliveries that failed after every retry, by sink.
    pub sink_failures: Family<Labels, Counter>,
    /// Events dropped as already processed (auditID and stage seen).
    pub duplicate_events: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("jobwarden");
        let m = Metrics {
            events_in: Family::default(),
            batches_refused: Family::default(),
            alerts: Family::default(),
            admission: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            spool_depth_bytes: Gauge::default(),
            spool_age_seconds: Gauge::default(),
            sink_failures: Family::default(),
            duplicate_events: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "audit_events",
            "Audit events by result: acknowledged (spooled before the 200), decoded (parsed and judged), prefiltered (counted; the byte prefilter ruled them out)",
            m.events_in.clone(),
        );
        registry.register(
            "audit_batches_refused",
            "Audit batches refused",
            m.batches_refused.clone(),
        );
        registry.register(
            "alerts",
            "Alerts emitted by rule and severity",
            m.alerts.clone(),
        );
        registry.register(
            "admission_decisions",
            "Admission decisions by result",
            m.admission.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Request latency by endpoint",
            m.latency.clone(),
        );
        registry.register(
            "spool_depth_bytes",
            "Unprocessed bytes in the audit spool",
            m.spool_depth_bytes.clone(),
        );
        registry.register(
            "spool_oldest_age_seconds",
            "Age of the oldest unprocessed audit batch",
            m.spool_age_seconds.clone(),
        );
        registry.register(
            "sink_failures",
            "Alert deliveries that failed after retries",
            m.sink_failures.clone(),
        );
        registry.register(
            "duplicate_audit_events",
            "Audit events dropped as already processed",
            m.duplicate_events.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// Count an admission decision.
    pub fn admission_decision(&self, result: &str, kind: &str, dry_run: bool) {
        let kind = match kind {
            "Pod"
            | "Job"
            | "CronJob"
            | "Deployment"
            | "DaemonSet"
            | "StatefulSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "PodTemplate" => kind,
            _ => "other",
        };
        self.admission
            .get_or_create(&vec![
                ("result", result.to_string()),
                ("kind", kind.to_string()),
                ("dry_run", dry_run.to_string()),
            ])
            .inc();
    }

    /// Observe a request's latency.
    pub fn observe(&self, endpoint: &'static str, seconds: f64) {
        self.latency
            .get_or_create(&vec![("endpoint", endpoint.to_string())])
            .observe(seconds);
    }
}
