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
    /// Final-stage audit records that reached the stage, plus generic documents.
    pub checked: u64,
    /// Records some rule was evaluated on: their text met a rule's requirement (audit), or
    /// every generic document.
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

/// Derived field prefix → the needles an event's raw line holds whenever it has such fields:
/// jobwarden's judgement exists only for CronJob and Job requests, whose lines name `jobs`
/// (`cronjobs` or `jobs`). Give it to [`jobwarden_sigma::EngineOptions::derived_fields`].
pub fn derived_field_needles() -> Vec<(String, Vec<String>)> {
    vec![("jobwarden.".to_string(), vec!["jobs".to_string()])]
}

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
    // Whether any audit rule reads a derived field (or may, through a mapping): judging the
    // template is only worth it then.
    needs_derived: bool,
    // Each audit rule's requirement, checked on the event's compact JSON text before the
    // event is built for the rules: most events the prefilter lets through for the built-in
    // pack (CronJob and Job reads) can match no Sigma rule.
    requirements: jobwarden_sigma::RequirementFilter,
    // The top-level keys of the event the rules read, when that is known (raw paths, no
    // keywords): only they are written into the text the requirements are checked on.
    text_keys: Option<Vec<&'static str>>,
    // The buffer the event text is written into, reused: growing a fresh one to ~1 KB for
    // every event cost a dozen allocations each.
    text: Vec<u8>,
    /// What it did.
    pub stats: SigmaStats,
}

impl SigmaStage {
    /// A stage running `engine`; `config` is the detection config, for the derived fields.
    /// Build the engine with [`derived_field_needles`] as its `derived_fields`, or rules on
    /// derived fields count as never firing (their fields look absent from audit events) and
    /// are not evaluated.
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
        // Only names under `jobwarden` reach the overlay (it resolves names, not mappings),
        // from rules or from correlations' group-by and value fields.
        let derived = |name: &str| name == "jobwarden" || name.starts_with("jobwarden.");
        let needs_derived = engine
            .rules()
            .iter()
            .any(|r| r.fields.iter().any(|f| derived(&f.name)))
            || engine.correlations().iter().any(|c| {
                c.group_by.iter().any(|g| derived(g))
                    || c.condition.field.as_deref().is_some_and(derived)
                    || c.aliases
                        .values()
                        .flat_map(|m| m.values())
                        .any(|a| derived(a))
            });
        let text_keys = (raw_paths && !engine.rules().iter().any(|r| r.uses_keywords)).then(|| {
            let mut keys: Vec<&'static str> = Vec::new();
            for r in engine.rules() {
                for f in &r.fields {
                    let top = f.name.split('.').next().unwrap_or_default();
                    // Derived fields exist for CronJob/Job events: their requirement
                    // (`jobs`) is in `objectRef`.
                    let top = if top == "jobwarden" { "objectRef" } else { top };
                    if let Some(key) = EVENT_KEYS.iter().find(|k| **k == top)
                        && !keys.contains(key)
                    {
                        keys.push(key);
                    }
                }
            }
            keys
        });
        SigmaStage {
            config,
            needs_bodies,
            needs_derived,
            text_keys,
            requirements: engine.requirement_filter(LogsourceKind::K8sAudit),
            audit_map: mapped,
            generic_map: engine.field_map(LogsourceKind::Generic).clone(),
            engine,
            stats: SigmaStats::default(),
            text: Vec::new(),
        }
    }

    /// The literals a line must contain (lowercase) for any rule to match it; `None` when some
    /// rule can match any line.
    pub fn needles(&self) -> Option<Vec<String>> {
        self.engine.needles_for(LogsourceKind::K8sAudit)
    }

    /// Each audit rule's requirement as clauses (anchor first) for
    /// [`jobwarden_decode::Prefilter::with_requirements`]; `None` when some rule can match any
    /// line.
    pub fn requirements(&self) -> Option<Vec<Vec<Vec<String>>>> {
        Some(
            self.engine
                .requirements_for(LogsourceKind::K8sAudit)?
                .into_iter()
                .map(|(_, r)| r.clauses)
                .collect(),
        )
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Evaluate one audit record found at `source`.
    pub fn push(&mut self, event: &AuditEvent, source: &str, out: &mut Vec<Alert>) {
        if matches!(event.stage, Stage::RequestReceived | Stage::ResponseStarted) {
            return;
        }
        self.stats.checked += 1;
        // The event as the rules see it, as compact JSON text: the rules whose requirement it
        // fails cannot match (derived fields only exist on CronJob/Job events, whose text
        // names `jobs`, their requirement).
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        let written = match (&self.text_keys, self.needs_bodies) {
            (Some(keys), _) => serde_json::to_writer(&mut text, &Only(event, keys)),
            (None, true) => serde_json::to_writer(&mut text, event),
            (None, false) => serde_json::to_writer(&mut text, &WithoutBodies(event)),
        };
        text.make_ascii_lowercase();
        let candidates = if written.is_ok() {
            self.requirements.candidates(&text)
        } else {
            Vec::new()
        };
        self.text = text;
        if candidates.is_empty() {
            return;
        }
        self.stats.evaluated += 1;
        let value = if self.needs_bodies {
            serde_json::to_value(event)
        } else {
            serde_json::to_value(WithoutBodies(event))
        };
        let Ok(value) = value else {
            return;
        };
        let derived = if self.needs_derived {
            derived_fields(event, &self.config)
        } else {
            serde_json::Value::Null
        };
        let base = JsonEvent::new(&value, &self.audit_map);
        let json = OverlayEvent::new(&base, &derived);
        let matches = self
            .engine
            .matches_among(LogsourceKind::K8sAudit, &candidates, &json);
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
        self.stats.checked += 1;
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

/// Top-level keys of a serialised [`AuditEvent`].
const EVENT_KEYS: &[&str] = &[
    "auditID",
    "stage",
    "level",
    "verb",
    "requestURI",
    "user",
    "impersonatedUser",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "responseStatus",
    "requestObject",
    "responseObject",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "annotations",
    "cluster",
];

/// An audit event serialised with the given top-level keys only, written as
/// `serde_json::to_value` would write them.
struct Only<'a>(&'a AuditEvent, &'a [&'static str]);

impl serde::Serialize for Only<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let e = self.0;
        let mut map = serializer.serialize_map(None)?;
        for key in self.1 {
            match *key {
                "auditID" => map.serialize_entry(key, &e.audit_id)?,
                "stage" => map.serialize_entry(key, &e.stage)?,
                "level" => map.serialize_entry(key, &e.level)?,
                "verb" => map.serialize_entry(key, &e.verb)?,
                "requestURI" => map.serialize_entry(key, &e.request_uri)?,
                "user" => map.serialize_entry(key, &e.user)?,
                "impersonatedUser" => map.serialize_entry(key, &e.impersonated_user)?,
                "sourceIPs" => map.serialize_entry(key, &e.source_ips)?,
                "userAgent" => map.serialize_entry(key, &e.user_agent)?,
                "objectRef" => map.serialize_entry(key, &e.object_ref)?,
                "responseStatus" => map.serialize_entry(key, &e.response_status)?,
                "requestObject" => map.serialize_entry(key, &e.request_object)?,
                "responseObject" => map.serialize_entry(key, &e.response_object)?,
                "requestReceivedTimestamp" => {
                    map.serialize_entry(key, &e.request_received_timestamp)?
                }
                "stageTimestamp" => map.serialize_entry(key, &e.stage_timestamp)?,
                "annotations" => map.serialize_entry(key, &e.annotations)?,
                "cluster" => map.serialize_entry(key, &e.cluster)?,
                _ => {}
            }
        }
        map.end()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
title: pod in kube-system
id: pod-in-kube-system
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    verb: create
    objectRef.resource: pods
    objectRef.namespace: kube-system
  condition: sel
---
title: secrets modified
id: secrets-modified
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    objectRef.resource: secrets
    verb: [create, delete, patch, update]
  condition: sel
---
title: denied
id: denied
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    responseStatus.code: [401, 403]
  condition: sel
---
title: privileged batch template
id: privileged-batch
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    jobwarden.privileged: true
  condition: sel
---
title: keyword
id: keyword
logsource: {product: kubernetes, service: audit}
detection:
  keywords: [evil-tool]
  condition: keywords
---
title: admin user or exec
id: admin-or-exec
logsource: {product: kubernetes, service: audit}
detection:
  user:
    user.username|contains: admin
  exec:
    objectRef.subresource: exec
  condition: user or exec
"#;

    const EVENTS: &[&str] = &[
        r#"{"auditID":"1","stage":"ResponseComplete","verb":"create","user":{"username":"u"},"objectRef":{"resource":"pods","namespace":"kube-system"},"responseStatus":{"code":201}}"#,
        r#"{"auditID":"2","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"objectRef":{"resource":"pods","namespace":"kube-system"},"responseStatus":{"code":200}}"#,
        r#"{"auditID":"3","stage":"ResponseComplete","verb":"DELETE","user":{"username":"cluster-Admin"},"objectRef":{"resource":"Secrets","namespace":"d"},"responseStatus":{"code":200}}"#,
        r#"{"auditID":"4","verb":"list","user":{"username":"system:anonymous"},"objectRef":{"resource":"secrets"},"responseStatus":{"code":403}}"#,
        r#"{"auditID":"5","stage":"ResponseComplete","verb":"create","user":{"username":"u"},"userAgent":"Evil-Tool/1.0","objectRef":{"resource":"pods","namespace":"\u212aube-system","subresource":"exec"}}"#,
        r#"{"auditID":"6","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"cronjobs","namespace":"d","name":"c","apiGroup":"batch"},"requestObject":{"kind":"CronJob","spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"x","image":"alpine","securityContext":{"privileged":true}}]}}}}}},"responseStatus":{"code":201}}"#,
    ];

    /// What every rule says of every event, evaluated on the whole event (no requirement).
    fn full_evaluation(engine: &Engine, event: &AuditEvent) -> Vec<String> {
        let config = jobwarden_detect::Config::default();
        let value = serde_json::to_value(event).expect("value");
        let derived = derived_fields(event, &config);
        let map = engine.field_map(LogsourceKind::K8sAudit).clone();
        let base = JsonEvent::new(&value, &map);
        let json = OverlayEvent::new(&base, &derived);
        let mut ids: Vec<String> = engine
            .matches(LogsourceKind::K8sAudit, &json)
            .into_iter()
            .map(|m| m.id)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn requirement_filter_keeps_every_match_of_the_full_evaluation() {
        // With a keyword rule the whole event is checked; without, only the keys rules read.
        let without_keywords: String = RULES
            .split("---")
            .filter(|doc| !doc.contains("id: keyword"))
            .collect::<Vec<_>>()
            .join("---");
        for rules in [RULES, without_keywords.as_str()] {
            check_stage_against_full_evaluation(rules);
        }
    }

    fn check_stage_against_full_evaluation(rules: &str) {
        let load = || {
            let report = jobwarden_sigma::load_str(
                rules,
                "rules.yml",
                &jobwarden_sigma::LoadOptions::default(),
            );
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            let options = jobwarden_sigma::EngineOptions {
                key_context_needles: true,
                derived_fields: derived_field_needles(),
                ..jobwarden_sigma::EngineOptions::default()
            };
            Engine::new(report.rules, options).expect("engine")
        };
        let mut stage = SigmaStage::new(load(), jobwarden_detect::Config::default());
        let reference = load();
        let mut fired = 0;
        for text in EVENTS {
            let event: AuditEvent = serde_json::from_str(text).expect("event");
            let want = full_evaluation(&reference, &event);
            let mut out = Vec::new();
            stage.push(&event, "test", &mut out);
            let mut got: Vec<String> = out.iter().map(|a| a.rule.id.clone()).collect();
            got.sort();
            assert_eq!(got, want, "{text}");
            fired += got.len();
        }
        assert!(fired >= 5, "the events exercise the rules: {fired}");
    }
}
