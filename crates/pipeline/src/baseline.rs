//! The baseline of normal batch activity as a [`RequestObserver`] of the detector: each merged
//! batch write is judged against what this cluster usually does (and, unless frozen, learned),
//! and anomalies become alerts whose severity blends with the built-in template verdict.

use jobwarden_baseline::{Baseline, Observation, TemplateVerdict, to_alerts};
use jobwarden_detect::{ObservedRequest, RequestObserver};
use jobwarden_model::{Alert, Severity};
use std::sync::{Arc, Mutex};

/// What the baseline did during a run (shared with the caller for the summary).
#[derive(Debug, Clone, Default)]
pub struct BaselineRunStats {
    /// Batch writes judged (and learned, unless frozen).
    pub observed: u64,
    /// Anomalies found.
    pub anomalies: u64,
    /// Errors (events that could not be observed, store errors), with the first few messages.
    pub errors: Vec<String>,
    /// Error count.
    pub error_count: u64,
}

/// Feeds the detector's batch requests to a [`Baseline`].
pub struct BaselineObserver {
    baseline: Option<Baseline>,
    learn: bool,
    stats: Arc<Mutex<BaselineRunStats>>,
}

impl BaselineObserver {
    /// Observe with `baseline`; `learn = false` keeps it frozen. Returns the observer and a
    /// handle on its counters.
    pub fn new(
        baseline: Baseline,
        learn: bool,
    ) -> (BaselineObserver, Arc<Mutex<BaselineRunStats>>) {
        let stats = Arc::new(Mutex::new(BaselineRunStats::default()));
        (
            BaselineObserver {
                baseline: Some(baseline),
                learn,
                stats: Arc::clone(&stats),
            },
            stats,
        )
    }

    fn error(&self, message: String) {
        if let Ok(mut s) = self.stats.lock() {
            s.error_count += 1;
            if s.errors.len() < 5 {
                s.errors.push(message);
            }
        }
    }
}

impl RequestObserver for BaselineObserver {
    fn observe(&mut self, request: &ObservedRequest<'_>, out: &mut Vec<Alert>) {
        let Some(baseline) = self.baseline.as_mut() else {
            return;
        };
        let obs = match Observation::from_event(request.event, request.source) {
            Ok(Some(obs)) => obs,
            Ok(None) => return,
            Err(e) => {
                self.error(e.to_string());
                return;
            }
        };
        let anomalies = match baseline.observe(&obs, self.learn) {
            Ok(a) => a,
            Err(e) => {
                self.error(e.to_string());
                return;
            }
        };
        if let Ok(mut s) = self.stats.lock() {
            s.observed += 1;
            s.anomalies += anomalies.len() as u64;
        }
        if anomalies.is_empty() {
            return;
        }
        let verdict = TemplateVerdict {
            worst_template_severity: request
                .alerts
                .iter()
                .filter(|a| a.rule.id == "JW-AUD-0002")
                .map(|a| a.severity)
                .max()
                .unwrap_or(Severity::Info),
            actor_is_known_controller: request.expected_writer,
        };
        out.extend(to_alerts(&obs, &anomalies, verdict));
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {
        if let Some(baseline) = self.baseline.take()
            && let Err(e) = baseline.finish()
        {
            self.error(e.to_string());
        }
    }
}
