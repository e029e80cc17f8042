//! jobwarden's detection engine for Kubernetes audit events.
//!
//! Requests flow through four steps, each in its own module:
//! 1. [`stages`]: the stage records of one request become one event (by `auditID`).
//! 2. [`identity`]: who made it — controller, node, trusted automation, pod token, person.
//! 3. [`analysis`]: what it did to which CronJob or Job, the object after it, the policy
//!    core's judgement ([`judge`]), and what changed since the last known state ([`state`],
//!    [`facts`]).
//! 4. [`rules`]: the built-in pack, one rule per file, decides; the [`Detector`] applies the
//!    config (disabled rules, severity overrides, dry-run cap) and builds the alerts.
#![deny(missing_docs)]

pub mod analysis;
pub mod config;
pub mod facts;
pub mod identity;
pub mod judge;
pub mod rules;
pub mod stages;
pub mod state;

use analysis::{
    Action, Analysis, INSTANTIATE_ANNOTATION, ManualFromCronJob, OwnerClaim, batch_kind,
    cronjob_owner_claim, object_after,
};
pub use config::Config;
use facts::{TemplateFacts, changes_named_by_patch};
use identity::{ActorClass, classify};
use jobwarden_model::{
    ALERT_SCHEMA, Actor, Alert, AuditEvent, Evidence, EvidenceKind, RuleRef, Severity, Subject,
};
use lru::LruCache;
use rules::{Hit, Rule};
use serde_json::Value;
use stages::{MergedRequest, StageMerger, StageStats};
use state::{BatchKind, CronJobState, EvictionStats, JobState, ObjectStore};
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::Arc;

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DetectStats {
    /// Requests (after stage merging) looked at.
    pub requests: u64,
    /// Requests on jobs or cronjobs.
    pub batch_requests: u64,
    /// Batch writes logged without a body (Metadata level): template checks were impossible.
    pub metadata_only_writes: u64,
    /// Dry-run requests (capped below medium).
    pub dry_runs: u64,
    /// Patches that could not be applied to the last known state.
    pub patch_failures: u64,
    /// Stage merging.
    pub stages: StageStats,
    /// State evictions.
    pub evicted: EvictionStats,
    /// Alerts dropped because the same rule already fired for the same key.
    pub deduplicated_alerts: u64,
}

/// One merged request on batch objects, with what the built-in rules made of it, for
/// observers that learn from the stream (the baseline of normal activity).
pub struct ObservedRequest<'a> {
    /// The merged event.
    pub event: &'a AuditEvent,
    /// `file:line` of its first record.
    pub source: &'a str,
    /// The built-in rules' alerts on it.
    pub alerts: &'a [Alert],
    /// True when the writer is a control-plane component or configured automation.
    pub expected_writer: bool,
}

/// Something that watches every merged batch request after the rules have judged it, and may
/// add alerts of its own.
pub trait RequestObserver: Send {
    /// One request.
    fn observe(&mut self, request: &ObservedRequest<'_>, out: &mut Vec<Alert>);
    /// End of input.
    fn finish(&mut self, out: &mut Vec<Alert>);
}

/// The streaming detector. Feed it audit event records in input order with [`Detector::push`],
/// then call [`Detector::finish`].
pub struct Detector {
    config: Config,
    rules: Vec<Box<dyn Rule>>,
    enabled: Vec<bool>,
    store: ObjectStore,
    stages: StageMerger,
    fired_keys: LruCache<(usize, String), ()>,
    ready: Vec<MergedRequest>,
    stats: DetectStats,
    observer: Option<Box<dyn RequestObserver>>,
}

impl Detector {
    /// A detector with the built-in rules and `config`.
    pub fn new(config: Config) -> Detector {
        let rules = rules::builtin();
        let enabled = rules
            .iter()
            .map(|r| !config.is_disabled(r.meta().id, r.meta().slug))
            .collect();
        Detector {
            store: ObjectStore::new(config.limits.max_objects, 32 * 1024 * 1024),
            stages: StageMerger::new(
                config.limits.max_pending_requests,
                config.limits.max_seen_requests,
            ),
            fired_keys: LruCache::new(NonZeroUsize::new(65_536).unwrap_or(NonZeroUsize::MIN)),
            rules,
            enabled,
            config,
            ready: Vec::new(),
            stats: DetectStats::default(),
            observer: None,
        }
    }

    /// Let `observer` see every merged batch request after the rules.
    pub fn with_observer(mut self, observer: Box<dyn RequestObserver>) -> Detector {
        self.observer = Some(observer);
        self
    }

    /// The rules, in id order.
    pub fn rules(&self) -> &[Box<dyn Rule>] {
        &self.rules
    }

    /// Feed one audit record found at `source` (`file:line`); alerts that became certain are
    /// appended to `out`.
    pub fn push(&mut self, event: AuditEvent, source: String, out: &mut Vec<Alert>) {
        let mut ready = std::mem::take(&mut self.ready);
        self.stages.push(event, source, &mut ready);
        for req in ready.drain(..) {
            self.process(&req, out);
        }
        self.ready = ready;
    }

    /// End of input: release requests still waiting for their final stage.
    pub fn finish(&mut self, out: &mut Vec<Alert>) {
        let mut ready = std::mem::take(&mut self.ready);
        self.stages.drain(&mut ready);
        for req in ready.drain(..) {
            self.process(&req, out);
        }
        self.ready = ready;
        if let Some(observer) = self.observer.as_mut() {
            observer.finish(out);
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> DetectStats {
        DetectStats {
            stages: self.stages.stats,
            evicted: EvictionStats {
                request_ids: 0,
                pending_requests: self.stages.stats.released_early,
                ..self.store.evicted
            },
            ..self.stats
        }
    }

    fn process(&mut self, req: &MergedRequest, out: &mut Vec<Alert>) {
        self.stats.requests += 1;
        let event = &req.event;
        let Some(kind) = batch_kind(event) else {
            return;
        };
        let Some(action) = Action::from_verb(&event.verb) else {
            return;
        };
        // Status and other subresources are the controllers' bookkeeping, not the template.
        if event.subresource().is_some_and(|s| !s.is_empty()) {
            return;
        }
        self.stats.batch_requests += 1;
        let identity = classify(event, &self.config);
        let namespace = event.namespace().map(str::to_string);
        let name = event.object_name().map(str::to_string);
        let ns = namespace.as_deref().unwrap_or("");
        let dry_run = event.is_dry_run();
        if dry_run {
            self.stats.dry_runs += 1;
        }

        let prior_cronjob = match (kind, name.as_deref()) {
            (BatchKind::CronJob, Some(n)) => self.store.cronjob(ns, n).cloned(),
            _ => None,
        };
        let prior_job = match (kind, name.as_deref()) {
            (BatchKind::Job, Some(n)) => self.store.job(ns, n).cloned(),
            _ => None,
        };

        let (object, object_source) = if action.is_write() {
            object_after(
                event,
                action,
                kind,
                prior_cronjob.as_ref().map(|p| &*p.object),
            )
        } else {
            (None, analysis::ObjectSource::None)
        };
        if action.is_write() && event.request_object.is_none() && event.response_object.is_none() {
            self.stats.metadata_only_writes += 1;
        }
        if action == Action::Patch
            && object.is_none()
            && prior_cronjob.is_some()
            && event.request_object.is_some()
        {
            self.stats.patch_failures += 1;
        }
        let facts = object.as_ref().map(TemplateFacts::of);
        // Judge what the client sent when it sent a whole object: the stored object may carry
        // what mutating webhooks added (service-mesh sidecars), which is not the writer's doing.
        let sent = event.request_object.as_ref().filter(|r| {
            matches!(action, Action::Create | Action::Update)
                && r.get("kind").and_then(Value::as_str) == Some(kind.as_str())
                && r.get("spec").is_some()
        });
        let findings = sent
            .or(object.as_ref())
            .map(|o| judge::judge_object(o, namespace.as_deref(), &self.config))
            .unwrap_or_default();
        let changes = match (&prior_cronjob, &facts) {
            (Some(p), Some(f)) if matches!(action, Action::Update | Action::Patch) => {
                TemplateFacts::of(&p.object).changes_to(f)
            }
            _ => Vec::new(),
        };
        let patch_touches = match (&prior_cronjob, action, &event.request_object) {
            (None, Action::Patch, Some(body)) => changes_named_by_patch(body),
            _ => Vec::new(),
        };

        // A Job's claim to be a CronJob's run, checked against what we know.
        let mut owner = OwnerClaim::None;
        let mut parent_writers = Vec::new();
        let mut parent_facts = None;
        if let (BatchKind::Job, Some(obj)) = (kind, object.as_ref())
            && let Some((parent, claimed_uid)) = cronjob_owner_claim(obj)
        {
            owner = match self.store.cronjob(ns, &parent) {
                Some(known) => {
                    parent_writers = known
                        .creator
                        .iter()
                        .cloned()
                        .chain([known.last_writer.clone()])
                        .collect();
                    parent_facts = Some(TemplateFacts::of(&known.object));
                    match known.uid.as_deref() {
                        Some(uid) if !claimed_uid.is_empty() && uid != claimed_uid => {
                            OwnerClaim::UidMismatch {
                                name: parent,
                                claimed: claimed_uid,
                                known: uid.to_string(),
                            }
                        }
                        _ => OwnerClaim::Verified { name: parent },
                    }
                }
                None => OwnerClaim::Unknown { name: parent },
            };
        }
        let manual_from = object.as_ref().and_then(|obj| {
            let manual = obj
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(INSTANTIATE_ANNOTATION))
                .and_then(Value::as_str)
                == Some("manual");
            if kind != BatchKind::Job || !manual {
                return None;
            }
            let parent = match &owner {
                OwnerClaim::Verified { name }
                | OwnerClaim::UidMismatch { name, .. }
                | OwnerClaim::Unknown { name } => name.clone(),
                OwnerClaim::None => String::new(),
            };
            let differences = match (&parent_facts, &facts) {
                (Some(p), Some(f)) => {
                    // Compare what runs, not when: schedule and suspend belong to the CronJob.
                    let mut pf = p.clone();
                    pf.schedule = None;
                    pf.suspend = None;
                    pf.time_zone = None;
                    Some(pf.changes_to(f))
                }
                _ => None,
            };
            Some(ManualFromCronJob {
                parent,
                differences,
            })
        });
        let seconds_since_creation = match (&prior_job, action) {
            (Some(job), Action::Delete) => job
                .created_at
                .zip(event.timestamp())
                .map(|(c, now)| now.as_second() - c.as_second()),
            _ => None,
        };

        let analysis = Analysis {
            event,
            source: &req.source,
            identity: &identity,
            action,
            kind,
            namespace: namespace.clone(),
            name: name.clone(),
            outcome: event.outcome(),
            dry_run,
            object,
            object_source,
            facts,
            findings,
            changes,
            patch_touches,
            prior_cronjob,
            prior_job,
            owner,
            manual_from,
            parent_writers,
            seconds_since_creation,
        };

        let first_alert = out.len();
        for (i, rule) in self.rules.iter().enumerate() {
            if !self.enabled[i] {
                continue;
            }
            let Some(hit) = rule.check(&analysis, &self.config) else {
                continue;
            };
            if let Some(key) = &hit.dedupe_key
                && self.fired_keys.put((i, key.clone()), ()).is_some()
            {
                self.stats.deduplicated_alerts += 1;
                continue;
            }
            out.push(build_alert(rule.as_ref(), hit, &analysis, &self.config));
        }

        self.remember(&analysis);
        if let Some(observer) = self.observer.as_mut() {
            let alerts: Vec<Alert> = out.get(first_alert..).unwrap_or_default().to_vec();
            observer.observe(
                &ObservedRequest {
                    event,
                    source: &req.source,
                    alerts: &alerts,
                    expected_writer: identity.class.is_expected_writer(),
                },
                out,
            );
        }
    }

    fn remember(&mut self, a: &Analysis<'_>) {
        if !a.took_effect() {
            return;
        }
        let (Some(ns), Some(name)) = (a.namespace.as_deref().or(Some("")), a.name.as_deref())
        else {
            return;
        };
        match (a.kind, a.action) {
            (_, Action::Delete) => match a.kind {
                BatchKind::CronJob => {
                    self.store.remove_cronjob(ns, name);
                }
                BatchKind::Job => {
                    self.store.remove_job(ns, name);
                }
            },
            (BatchKind::CronJob, action) if action.is_write() => {
                let Some(obj) = a.object.clone() else {
                    return;
                };
                let creator = if action == Action::Create {
                    Some(a.identity.effective.clone())
                } else {
                    a.prior_cronjob.as_ref().and_then(|p| p.creator.clone())
                };
                let created_at = if action == Action::Create {
                    a.event.timestamp()
                } else {
                    a.prior_cronjob.as_ref().and_then(|p| p.created_at)
                };
                let uid = obj
                    .pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| a.event.object_ref.as_ref().and_then(|o| o.uid.clone()))
                    .or_else(|| a.prior_cronjob.as_ref().and_then(|p| p.uid.clone()));
                let approx_bytes = approx_size(&obj);
                self.store.put_cronjob(
                    ns,
                    name,
                    CronJobState {
                        uid,
                        object: Arc::new(obj),
                        creator,
                        last_writer: a.identity.effective.clone(),
                        created_at,
                        approx_bytes,
                    },
                );
            }
            // A GET logged at RequestResponse level shows the stored CronJob: learn it, so that a
            // later `kubectl create job --from=cronjob/X` (which GETs X first) can be compared.
            (BatchKind::CronJob, Action::Get) => {
                let Some(obj) = a
                    .event
                    .response_object
                    .as_ref()
                    .filter(|o| o.get("kind").and_then(Value::as_str) == Some("CronJob"))
                else {
                    return;
                };
                let prior = a.prior_cronjob.as_ref();
                self.store.put_cronjob(
                    ns,
                    name,
                    CronJobState {
                        uid: obj
                            .pointer("/metadata/uid")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        object: Arc::new(obj.clone()),
                        creator: prior.and_then(|p| p.creator.clone()),
                        last_writer: prior.map(|p| p.last_writer.clone()).unwrap_or_default(),
                        created_at: prior.and_then(|p| p.created_at),
                        approx_bytes: approx_size(obj),
                    },
                );
            }
            (BatchKind::Job, Action::Create) => {
                self.learn_parent_template(a, ns);
                self.store.put_job(
                    ns,
                    name,
                    JobState {
                        uid: a
                            .object
                            .as_ref()
                            .and_then(|o| o.pointer("/metadata/uid"))
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        creator: a.identity.effective.clone(),
                        created_by_controller: matches!(
                            a.identity.class,
                            ActorClass::Controller(_)
                        ),
                        created_by_automation: matches!(
                            a.identity.class,
                            ActorClass::TrustedAutomation(_) | ActorClass::PodServiceAccount { .. }
                        ),
                        cleanup_announced: CLEANUP_ANNOTATIONS
                            .iter()
                            .any(|k| a.annotation(k).is_some()),
                        risky: a.findings.iter().any(|f| {
                            f.check.starts_with("template.") && f.severity >= Severity::Medium
                        }),
                        created_at: a.event.timestamp(),
                        created_audit_id: a.event.audit_id.clone(),
                    },
                );
            }
            _ => {}
        }
    }
}

impl Detector {
    /// A Job the cronjob-controller created carries its CronJob's job template. When that
    /// CronJob's own body was never seen, remember the template under the CronJob's name, so a
    /// later manual `--from` run can be compared with what the schedule really runs.
    fn learn_parent_template(&mut self, a: &Analysis<'_>, ns: &str) {
        if !matches!(&a.identity.class, ActorClass::Controller(c) if c == "cronjob-controller") {
            return;
        }
        let (OwnerClaim::Unknown { name: parent }, Some(job)) = (&a.owner, a.object.as_ref())
        else {
            return;
        };
        let Some(job_spec) = job.get("spec") else {
            return;
        };
        let uid = cronjob_owner_claim(job)
            .map(|(_, uid)| uid)
            .filter(|u| !u.is_empty());
        let object = serde_json::json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": parent, "namespace": ns, "uid": uid},
            "spec": {"jobTemplate": {"spec": job_spec}},
        });
        let approx_bytes = approx_size(&object);
        self.store.put_cronjob(
            ns,
            parent,
            CronJobState {
                uid,
                object: Arc::new(object),
                creator: None,
                last_writer: String::new(),
                created_at: None,
                approx_bytes,
            },
        );
    }
}

/// Annotations with which Helm and Argo CD announce that they will delete a hook Job.
const CLEANUP_ANNOTATIONS: &[&str] = &[
    "helm.sh/hook-delete-policy",
    "argocd.argoproj.io/hook-delete-policy",
];

/// A cheap estimate of the heap a JSON value holds, for the state's memory budget.
fn approx_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 16,
        Value::String(s) => 24 + s.len(),
        Value::Array(a) => 24 + a.iter().map(approx_size).sum::<usize>(),
        Value::Object(m) => {
            48 + m
                .iter()
                .map(|(k, v)| 32 + k.len() + approx_size(v))
                .sum::<usize>()
        }
    }
}

fn build_alert(rule: &dyn Rule, hit: Hit, a: &Analysis<'_>, config: &Config) -> Alert {
    let meta = rule.meta();
    let mut severity = config
        .severity_override(meta.id, meta.slug)
        .unwrap_or(hit.severity);
    // Nothing persisted: a dry run is never worth a responder's attention.
    if a.dry_run && severity > Severity::Low {
        severity = Severity::Low;
    }
    let event = a.event;
    let mut detail: BTreeMap<String, Value> = BTreeMap::new();
    detail.insert("verb".into(), event.verb.clone().into());
    detail.insert("resource".into(), event.resource().into());
    detail.insert(
        "outcome".into(),
        serde_json::to_value(a.outcome).unwrap_or(Value::Null),
    );
    if let Some(code) = event.status_code() {
        detail.insert("code".into(), code.into());
    }
    if a.dry_run {
        detail.insert("dry_run".into(), true.into());
    }
    for (k, v) in hit.detail {
        detail.insert(k.to_string(), v);
    }
    let evidence = vec![Evidence {
        source: a.source.to_string(),
        kind: EvidenceKind::K8sAudit,
        audit_id: (!event.audit_id.is_empty()).then(|| event.audit_id.clone()),
        detail,
    }];
    let effective = event.effective_user();
    Alert {
        schema: ALERT_SCHEMA.to_string(),
        id: Alert::stable_id(meta.id, &evidence),
        rule: RuleRef {
            id: meta.id.to_string(),
            title: meta.title.to_string(),
            origin: "builtin".to_string(),
            attack: meta.attack.iter().map(|s| s.to_string()).collect(),
        },
        severity,
        time: event.time_text().unwrap_or_default().to_string(),
        summary: hit.summary,
        subject: Subject {
            kind: a.kind.as_str().to_string(),
            namespace: a.namespace.clone(),
            name: a.name.clone(),
            cluster: event.cluster.clone(),
        },
        actor: Actor {
            username: effective.username.clone(),
            groups: effective.groups.clone(),
            impersonated_by: a
                .identity
                .impersonating
                .then(|| event.user.username.clone()),
            source_ips: event.source_ips.clone(),
            user_agent: event.user_agent.clone(),
            host: None,
        },
        evidence,
        provenance: Vec::new(),
        remediation: hit.remediation,
    }
}
