//! Sigma rules next to the built-in pack: every final-stage audit record the prefilter let
//! through is evaluated with the raw audit field names (`verb`, `objectRef.resource`,
//! `user.username`, ...); matches become alerts (`rule.origin: sigma:<file>`) and feed the
//! correlation rules, whose hits become alerts too.
//!
//! Stage records other than the final one (RequestReceived, ResponseStarted) are not
//! evaluated: the final record of a request carries the same fields plus its outcome, so a rule
//! fires once per request.

use jobwarden_model::{Actor, Alert, AuditEvent, Evidence, EvidenceKind, Stage, Subject};
use jobwarden_sigma::{
    AlertContext, Engine, JsonEvent, LogsourceKind, correlation_alert, match_alert,
};

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigmaStats {
    /// Records evaluated.
    pub evaluated: u64,
    /// Rule matches (including those that only feed correlations).
    pub matches: u64,
    /// Correlation hits.
    pub correlation_hits: u64,
}

/// The Sigma engine as a pipeline stage.
pub struct SigmaStage {
    engine: Engine,
    // The engine's field maps, copied once: the engine is borrowed mutably for correlations
    // while an event still borrows its map.
    audit_map: jobwarden_sigma::FieldMap,
    generic_map: jobwarden_sigma::FieldMap,
    /// What it did.
    pub stats: SigmaStats,
}

impl SigmaStage {
    /// A stage running `engine`.
    pub fn new(engine: Engine) -> SigmaStage {
        SigmaStage {
            audit_map: engine.field_map(LogsourceKind::K8sAudit).clone(),
            generic_map: engine.field_map(LogsourceKind::Generic).clone(),
            engine,
            stats: SigmaStats::default(),
        }
    }

    /// The literals a line must contain (lowercase) for any rule to match it; `None` when some
    /// rule can match any line.
    pub fn needles(&self) -> Option<Vec<String>> {
        self.engine.needles_for(LogsourceKind::K8sAudit)
    }

    /// Evaluate one audit record found at `source`.
    pub fn push(&mut self, event: &AuditEvent, source: &str, out: &mut Vec<Alert>) {
        if matches!(event.stage, Stage::RequestReceived | Stage::ResponseStarted) {
            return;
        }
        let Ok(value) = serde_json::to_value(event) else {
            return;
        };
        self.stats.evaluated += 1;
        let json = JsonEvent::new(&value, &self.audit_map);
        let matches = self.engine.matches(LogsourceKind::K8sAudit, &json);
        if matches.is_empty() {
            return;
        }
        let time = event.timestamp().unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        for m in matches {
            self.stats.matches += 1;
            if m.emit {
                out.push(match_alert(&m, context(event, source)));
            }
            for hit in self.engine.observe(&m, &json, time) {
                self.stats.correlation_hits += 1;
                if hit.emit {
                    out.push(correlation_alert(&hit, context(event, source)));
                }
            }
        }
    }

    /// Evaluate a JSON document that is not an audit event (generic mode: dotted paths, then
    /// any key of that name).
    pub fn push_generic(&mut self, value: &serde_json::Value, source: &str, out: &mut Vec<Alert>) {
        self.stats.evaluated += 1;
        let json = JsonEvent::new(value, &self.generic_map);
        let matches = self.engine.matches(LogsourceKind::Generic, &json);
        let ctx = || AlertContext {
            evidence: vec![Evidence {
                source: source.to_string(),
                kind: EvidenceKind::Generic,
                audit_id: None,
                detail: Default::default(),
            }],
            ..AlertContext::default()
        };
        for m in matches {
            self.stats.matches += 1;
            if m.emit {
                out.push(match_alert(&m, ctx()));
            }
            for hit in self.engine.observe(&m, &json, jiff::Timestamp::UNIX_EPOCH) {
                self.stats.correlation_hits += 1;
                if hit.emit {
                    out.push(correlation_alert(&hit, ctx()));
                }
            }
        }
    }

    /// End of input: decide the correlation windows still open.
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        for hit in self.engine.finish() {
            self.stats.correlation_hits += 1;
            if hit.emit {
                out.push(correlation_alert(
                    &hit,
                    AlertContext {
                        time: hit.first.to_string(),
                        ..AlertContext::default()
                    },
                ));
            }
        }
    }
}

fn context(event: &AuditEvent, source: &str) -> AlertContext {
    let user = event.effective_user();
    AlertContext {
        time: event.time_text().unwrap_or_default().to_string(),
        subject: Subject {
            kind: event.resource().to_string(),
            namespace: event.namespace().map(str::to_string),
            name: event.object_name().map(str::to_string),
            cluster: event.cluster.clone(),
        },
        actor: Actor {
            username: user.username.clone(),
            groups: user.groups.clone(),
            impersonated_by: event
                .impersonated_user
                .as_ref()
                .map(|_| event.user.username.clone()),
            source_ips: event.source_ips.clone(),
            user_agent: event.user_agent.clone(),
            host: None,
        },
        evidence: vec![Evidence {
            source: source.to_string(),
            kind: EvidenceKind::K8sAudit,
            audit_id: (!event.audit_id.is_empty()).then(|| event.audit_id.clone()),
            detail: [
                ("verb".to_string(), event.verb.clone().into()),
                ("resource".to_string(), event.resource().into()),
            ]
            .into_iter()
            .collect(),
        }],
    }
}
