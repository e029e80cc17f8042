//! One incident per intrusion: ties a process on a host that wrote a CronJob or Job (kubectl,
//! curl to the API) to the audit request that did it, and that request to the containers the
//! object later ran on the nodes — the provenance chain
//! `process -> audit request -> CronJob/Job -> container -> file`.
//!
//! A host intent matches an audit alert when the kind agrees (or the command line did not say),
//! the namespace and name agree where both are known, and the times are within
//! [`MATCH_WINDOW_SECONDS`]. Containers match by the Job or CronJob they belong to (pod labels
//! or the scheduled-pod name) and namespace. State is bounded.

use jobwarden_host::{BatchIntent, batch_owner};
use jobwarden_model::{ALERT_SCHEMA, Alert, Evidence, EvidenceKind, RuleRef, Severity};
use std::collections::BTreeMap;

/// How far apart (seconds) a host command and its audit request may be.
pub const MATCH_WINDOW_SECONDS: i64 = 600;

/// Most audit write alerts and containers kept for correlation.
const MAX_KEPT: usize = 100_000;

/// The rule id of incident alerts.
pub const INCIDENT_RULE: &str = "JW-COR-0001";

/// A container seen starting for a batch object.
#[derive(Debug, Clone)]
pub struct BatchContainer {
    /// Namespace, when known.
    pub namespace: Option<String>,
    /// The Job.
    pub job: Option<String>,
    /// The CronJob.
    pub cronjob: Option<String>,
    /// Image.
    pub image: Option<String>,
    /// Node.
    pub host: Option<String>,
    /// `file:line`.
    pub source: String,
    /// What happened, for the provenance chain (`container: alpine:3.19 on node n1`).
    pub what: String,
    /// Container start or file write.
    pub kind: EvidenceKind,
}

#[derive(Debug, Clone)]
struct AuditWrite {
    alert: Alert,
}

/// Collects host intents, containers and audit alerts; [`Correlator::incidents`] joins them.
#[derive(Debug, Default)]
pub struct Correlator {
    addresses: BTreeMap<String, Vec<String>>,
    intents: Vec<BatchIntent>,
    containers: Vec<BatchContainer>,
    writes: BTreeMap<String, AuditWrite>,
    /// Audit alerts or containers not kept because the bounds were reached.
    pub dropped: u64,
}

impl Correlator {
    /// A correlator that joins a host's commands only to audit requests from the addresses
    /// `addresses` lists for it (hosts not listed: user agent and time window).
    pub fn with_addresses(addresses: BTreeMap<String, Vec<String>>) -> Correlator {
        Correlator {
            addresses,
            ..Correlator::default()
        }
    }

    /// Remember the batch writes seen on hosts.
    pub fn add_intents(&mut self, intents: Vec<BatchIntent>) {
        self.intents.extend(intents);
    }

    /// Remember a container start when it belongs to a Job or CronJob.
    pub fn add_container(
        &mut self,
        context: &jobwarden_host::ContainerContext,
        host: Option<&str>,
        source: String,
    ) {
        let what = format!(
            "container: {} on node {}",
            context.image.as_deref().unwrap_or("?"),
            host.unwrap_or("?")
        );
        self.add_batch_event(context, host, source, what, EvidenceKind::Container);
    }

    /// Remember a file written from a container of a Job or CronJob (node cron paths, static
    /// pod manifests, anything the host decoders saw).
    pub fn add_file(&mut self, file: &jobwarden_host::FileEvent, source: String) {
        let what = format!(
            "file: {} written by {} in pod {} on node {}",
            file.path,
            file.exe.as_deref().unwrap_or("?"),
            file.container.pod.as_deref().unwrap_or("?"),
            file.host.as_deref().unwrap_or("?")
        );
        self.add_batch_event(
            &file.container,
            file.host.as_deref(),
            source,
            what,
            EvidenceKind::File,
        );
    }

    fn add_batch_event(
        &mut self,
        context: &jobwarden_host::ContainerContext,
        host: Option<&str>,
        source: String,
        what: String,
        kind: EvidenceKind,
    ) {
        let Some(owner) = batch_owner(context) else {
            return;
        };
        // One line can yield both a process and a container record (Tetragon's first exec).
        if self
            .containers
            .last()
            .is_some_and(|c| c.source == source && c.kind == kind)
        {
            return;
        }
        if self.containers.len() >= MAX_KEPT {
            self.dropped += 1;
            return;
        }
        self.containers.push(BatchContainer {
            namespace: context.namespace.clone(),
            job: owner.job,
            cronjob: owner.cronjob,
            image: context.image.clone(),
            host: host.map(str::to_string),
            source,
            what,
            kind,
        });
    }

    /// Look at an alert on its way out: writes of CronJobs and Jobs are kept (the most severe
    /// alert per request).
    pub fn observe(&mut self, alert: &Alert) {
        if !matches!(alert.subject.kind.as_str(), "CronJob" | "Job")
            || alert.rule.origin != "builtin"
        {
            return;
        }
        let Some(id) = alert.evidence.first().and_then(|e| e.audit_id.clone()) else {
            return;
        };
        let is_write = alert
            .evidence
            .first()
            .and_then(|e| e.detail.get("verb"))
            .and_then(|v| v.as_str())
            .is_some_and(|v| matches!(v, "create" | "update" | "patch"));
        if !is_write {
            return;
        }
        let full = self.writes.len() >= MAX_KEPT;
        match self.writes.get_mut(&id) {
            Some(kept) if kept.alert.severity >= alert.severity => {}
            Some(kept) => kept.alert = alert.clone(),
            None if full => self.dropped += 1,
            None => {
                self.writes.insert(
                    id,
                    AuditWrite {
                        alert: alert.clone(),
                    },
                );
            }
        }
    }

    /// The incidents: one alert per audit write tied to a host command, with the chain.
    pub fn incidents(&self) -> Vec<Alert> {
        let mut out = Vec::new();
        for write in self.writes.values() {
            let a = &write.alert;
            let Some(time) = a.time.parse::<jiff::Timestamp>().ok() else {
                continue;
            };
            let intent = self
                .intents
                .iter()
                .find(|i| intent_matches(i, a, time) && self.same_origin(i, a));
            let Some(intent) = intent else { continue };
            let mut evidence = vec![Evidence {
                source: intent.source.clone(),
                kind: EvidenceKind::Process,
                audit_id: None,
                detail: [
                    ("client".to_string(), intent.client.clone().into()),
                    ("verb".to_string(), intent.verb.clone().into()),
                    ("context".to_string(), intent.context.clone().into()),
                ]
                .into_iter()
                .collect(),
            }];
            evidence.extend(a.evidence.iter().cloned());
            let mut provenance = vec![
                format!(
                    "process: {} {} on {} by {} ({})",
                    intent.client,
                    intent.verb,
                    intent.host.as_deref().unwrap_or("?"),
                    intent.user.as_deref().unwrap_or("?"),
                    intent.source
                ),
                format!(
                    "audit: {} by {} ({}{})",
                    a.summary,
                    a.actor.username,
                    a.evidence.first().map(|e| e.source.as_str()).unwrap_or(""),
                    a.evidence
                        .first()
                        .and_then(|e| e.audit_id.as_deref())
                        .map(|id| format!(", auditID {id}"))
                        .unwrap_or_default()
                ),
            ];
            let name = a.subject.name.as_deref();
            for c in self.containers.iter().filter(|c| {
                c.namespace
                    .as_deref()
                    .is_none_or(|ns| Some(ns) == a.subject.namespace.as_deref())
                    && match a.subject.kind.as_str() {
                        "CronJob" => c.cronjob.as_deref() == name,
                        _ => c.job.as_deref() == name,
                    }
            }) {
                provenance.push(format!("{} ({})", c.what, c.source));
                evidence.push(Evidence {
                    source: c.source.clone(),
                    kind: c.kind,
                    audit_id: None,
                    detail: Default::default(),
                });
            }
            let severity = a.severity.max(Severity::Low);
            out.push(Alert {
                schema: ALERT_SCHEMA.to_string(),
                id: Alert::stable_id(INCIDENT_RULE, &evidence),
                rule: RuleRef {
                    id: INCIDENT_RULE.to_string(),
                    title: "Host command tied to the CronJob/Job it wrote".to_string(),
                    origin: "correlation".to_string(),
                    attack: vec!["T1053.007".to_string()],
                },
                severity,
                time: intent.time.clone(),
                summary: format!(
                    "{} on {} wrote {} {}/{}: {}",
                    intent.client,
                    intent.host.as_deref().unwrap_or("?"),
                    a.subject.kind,
                    a.subject.namespace.as_deref().unwrap_or("-"),
                    name.unwrap_or("?"),
                    a.summary
                ),
                subject: a.subject.clone(),
                actor: jobwarden_model::Actor {
                    host: intent.host.clone(),
                    ..a.actor.clone()
                },
                evidence,
                provenance,
                remediation: a.remediation.clone(),
            });
        }
        out
    }
}

impl Correlator {
    /// The request came from the host (its mapped addresses), or, for unmapped hosts, from the
    /// same kind of client (`kubectl` → `kubectl/...` user agent).
    fn same_origin(&self, i: &BatchIntent, a: &Alert) -> bool {
        if let Some(ips) = i.host.as_ref().and_then(|h| self.addresses.get(h)) {
            return a.actor.source_ips.iter().any(|ip| ips.contains(ip));
        }
        match (&a.actor.user_agent, i.client.is_empty()) {
            (Some(ua), false) => ua
                .to_ascii_lowercase()
                .starts_with(&i.client.to_ascii_lowercase()),
            _ => true,
        }
    }
}

fn intent_matches(i: &BatchIntent, a: &Alert, audit_time: jiff::Timestamp) -> bool {
    let kind_ok = i.kind == "unknown" || i.kind == a.subject.kind;
    let ns_ok = match (&i.namespace, &a.subject.namespace) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let name_ok = match (&i.name, &a.subject.name) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let verb = a
        .evidence
        .first()
        .and_then(|e| e.detail.get("verb"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let verb_ok = i.audit_verbs.is_empty() || i.audit_verbs.contains(&verb);
    let time_ok =
        i.time.parse::<jiff::Timestamp>().ok().is_some_and(|t| {
            (t.as_second() - audit_time.as_second()).abs() <= MATCH_WINDOW_SECONDS
        });
    kind_ok && ns_ok && name_ok && verb_ok && time_ok
}
