//! Sigma rules next to the built-in pack: every final-stage audit record the prefilter let
//! through is evaluated with the raw audit field names (`verb`, `objectRef.resource`,
//! `user.username`, ...); matches become alerts (`rule.origin: sigma:<file>`) and feed the
//! correlation rules, whose hits become alerts too.
//!
//! Writes of CronJobs and Jobs also carry jobwarden's judgement as derived fields under
//! `jobwarden.` (see [`DERIVED_FIELDS`]), so a Sigma rule can say what the raw audit event
//! cannot: `jobwarden.privileged: true`, `jobwarden.runsPerDay|gte: 288`,
//! `jobwarden.findings|contains: command.reverseShell`.
//!
//! Stage records other than the final one (RequestReceived, ResponseStarted) are not
//! evaluated: the final record of a request carries the same fields plus its outcome, so a rule
//! fires once per request.

use jobwarden_model::{Actor, Alert, AuditEvent, Evidence, EvidenceKind, Stage, Subject};
use jobwarden_sigma::{
    AlertContext, Engine, JsonEvent, LogsourceKind, OverlayEvent, correlation_alert, match_alert,
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

/// The derived fields of batch writes, documented for rule writers.
pub const DERIVED_FIELDS: &[(&str, &str)] = &[
    ("jobwarden.kind", "CronJob or Job"),
    (
        "jobwarden.privileged",
        "true when a container is privileged",
    ),
    (
        "jobwarden.hostNamespaces",
        "hostPID, hostIPC, hostNetwork that are true",
    ),
    ("jobwarden.hostPaths", "hostPath volume paths"),
    ("jobwarden.images", "container images"),
    (
        "jobwarden.commands",
        "each container's command and args, joined",
    ),
    (
        "jobwarden.serviceAccount",
        "the pod template's service account",
    ),
    (
        "jobwarden.findings",
        "the policy core's check ids (template.*, cronjob.*)",
    ),
    (
        "jobwarden.maxSeverity",
        "the worst finding's severity (info .. critical)",
    ),
    ("jobwarden.schedule", "the CronJob schedule"),
    (
        "jobwarden.runsPerDay",
        "average runs per day of the schedule",
    ),
    (
        "jobwarden.creatorClass",
        "controller, node, trusted-automation, anonymous, pod-service-account, service-account, human",
    ),
    (
        "jobwarden.client",
        "kubectl, helm, control-plane, scripted-http-client, sdk, missing, other",
    ),
];

/// The Sigma engine as a pipeline stage.
pub struct SigmaStage {
    engine: Engine,
    config: jobwarden_detect::Config,
    // The engine's field maps, copied once: the engine is borrowed mutably for correlations
    // while an event still borrows its map.
    audit_map: jobwarden_sigma::FieldMap,
    generic_map: jobwarden_sigma::FieldMap,
    // Whether any audit rule can read the request or response bodies (a field under them, a
    // mapped name, keywords). If none can, they are left out of the event the rules see,
    // which is most of the cost of building it.
    needs_bodies: bool,
    /// What it did.
    pub stats: SigmaStats,
}

impl SigmaStage {
    /// A stage running `engine`; `config` is the detection config, for the derived fields.
    pub fn new(engine: Engine, config: jobwarden_detect::Config) -> SigmaStage {
        let mapped = engine.field_map(LogsourceKind::K8sAudit).clone();
        // With raw paths (no mapping, no leaf fallback) only names under the bodies reach
        // them; any other mapping may route a name into a body.
        let raw_paths = mapped == jobwarden_sigma::FieldMap::raw();
        let needs_bodies = !raw_paths
            || engine.rules().iter().any(|r| {
                r.uses_keywords
                    || r.fields.iter().any(|f| {
                        f.name.starts_with("requestObject") || f.name.starts_with("responseObject")
                    })
            });
        SigmaStage {
            config,
            needs_bodies,
            audit_map: mapped,
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
        let value = if self.needs_bodies {
            serde_json::to_value(event)
        } else {
            serde_json::to_value(WithoutBodies(event))
        };
        let Ok(value) = value else {
            return;
        };
        self.stats.evaluated += 1;
        let derived = derived_fields(event, &self.config);
        let base = JsonEvent::new(&value, &self.audit_map);
        let json = OverlayEvent::new(&base, &derived);
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

/// jobwarden's judgement of a CronJob or Job write, as `{"jobwarden": {...}}`; `Null` for other
/// events.
fn derived_fields(event: &AuditEvent, config: &jobwarden_detect::Config) -> serde_json::Value {
    use jobwarden_detect::analysis::batch_kind;
    use jobwarden_detect::facts::TemplateFacts;
    use jobwarden_detect::identity::ActorClass;
    let Some(kind) = batch_kind(event) else {
        return serde_json::Value::Null;
    };
    let object = [&event.response_object, &event.request_object]
        .into_iter()
        .flatten()
        .find(|o| o.get("spec").is_some());
    let identity = jobwarden_detect::identity::classify(event, config);
    let creator_class = match identity.class {
        ActorClass::Controller(_) => "controller",
        ActorClass::Node(_) => "node",
        ActorClass::TrustedAutomation(_) => "trusted-automation",
        ActorClass::Anonymous => "anonymous",
        ActorClass::PodServiceAccount { .. } => "pod-service-account",
        ActorClass::ServiceAccount { .. } => "service-account",
        ActorClass::Human(_) => "human",
    };
    let mut fields = serde_json::json!({
        "kind": kind.as_str(),
        "creatorClass": creator_class,
        "client": identity.client.as_str(),
    });
    if let Some(obj) = object {
        let facts = TemplateFacts::of(obj);
        let findings = jobwarden_detect::judge::judge_object(obj, event.namespace(), config);
        let runs_per_day = facts
            .schedule
            .as_deref()
            .and_then(|s| jobwarden_cronspec::Schedule::parse(s).ok())
            .map(|s| s.runs_per_day());
        let extra = serde_json::json!({
            "privileged": facts.containers.values().any(|c| c.privileged),
            "hostNamespaces": facts.host_namespaces,
            "hostPaths": facts.host_paths,
            "images": facts.images(),
            "commands": facts.command_lines(),
            "serviceAccount": facts.service_account,
            "findings": findings.iter().map(|f| f.check.clone()).collect::<Vec<_>>(),
            "maxSeverity": findings.first().map(|f| f.severity.as_str()),
            "schedule": facts.schedule,
            "runsPerDay": runs_per_day,
        });
        if let (Some(map), serde_json::Value::Object(more)) = (fields.as_object_mut(), extra) {
            map.extend(more);
        }
    }
    serde_json::json!({ "jobwarden": fields })
}

/// An audit event serialised without `requestObject` and `responseObject`.
struct WithoutBodies<'a>(&'a AuditEvent);

impl serde::Serialize for WithoutBodies<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let e = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("auditID", &e.audit_id)?;
        map.serialize_entry("stage", &e.stage)?;
        if let Some(level) = &e.level {
            map.serialize_entry("level", level)?;
        }
        map.serialize_entry("verb", &e.verb)?;
        map.serialize_entry("requestURI", &e.request_uri)?;
        map.serialize_entry("user", &e.user)?;
        if let Some(imp) = &e.impersonated_user {
            map.serialize_entry("impersonatedUser", imp)?;
        }
        map.serialize_entry("sourceIPs", &e.source_ips)?;
        if let Some(ua) = &e.user_agent {
            map.serialize_entry("userAgent", ua)?;
        }
        if let Some(o) = &e.object_ref {
            map.serialize_entry("objectRef", o)?;
        }
        if let Some(s) = &e.response_status {
            map.serialize_entry("responseStatus", s)?;
        }
        if let Some(t) = &e.request_received_timestamp {
            map.serialize_entry("requestReceivedTimestamp", t)?;
        }
        if let Some(t) = &e.stage_timestamp {
            map.serialize_entry("stageTimestamp", t)?;
        }
        map.serialize_entry("annotations", &e.annotations)?;
        map.end()
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
