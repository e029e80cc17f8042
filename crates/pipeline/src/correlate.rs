//! One incident per intrusion: ties a process on a host that wrote a CronJob or Job (kubectl,
//! curl to the API) to the audit request that did it, and that request to what the object then
//! ran — the provenance chain
//! `process -> audit write -> Job (cronjob-controller) -> Pod (job-controller, node) ->
//! container -> file / proxy`.
//!
//! A host intent matches an audit alert when the kind agrees (or the command line did not say),
//! the namespace and name agree where both are known, the verb is one the client sends for that
//! command, the request came from the host (its mapped addresses, else a user agent of the same
//! client), a bound service-account token was issued to the process's pod (when both are known),
//! and the times are within [`MATCH_WINDOW_SECONDS`] ([`UNNAMED_MATCH_WINDOW_SECONDS`] for
//! commands that do not name the object); of several candidates the one naming the object, then
//! the one from the token's pod, then the closest in time, wins.
//!
//! The Jobs and Pods the controllers created are read from the audit log ([`owners`]: uids in
//! `ownerReferences`, the node from `pods/binding`); host events join a Pod by its uid or
//! namespace and name (pod identity, kubelet log path, or pod IP for proxy lines). When the
//! audit log has no controller records (Metadata level, filtered), host events still join by
//! the Job/CronJob their pod labels or scheduled-pod names show. State is bounded everywhere.

pub mod owners;

use jobwarden_host::{BatchIntent, ContainerContext, FileEvent, ProxyEvent, batch_owner};
use jobwarden_model::{ALERT_SCHEMA, Alert, AuditEvent, Evidence, EvidenceKind, RuleRef, Severity};
use owners::{ObjectKind, ObjectRecord, OwnerGraph};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How far apart (seconds) a host command and its audit request may be.
pub const MATCH_WINDOW_SECONDS: i64 = 600;

/// The same for a command that does not name the object (`kubectl apply -f dir/`, a POST to a
/// collection): it could explain any write of the kind, so only a request close in time counts.
pub const UNNAMED_MATCH_WINDOW_SECONDS: i64 = 120;

/// How long after a pod was seen with an IP a proxy line from that IP still counts as its.
const POD_IP_WINDOW_SECONDS: i64 = 6 * 3600;

/// Most audit write alerts and host events kept for correlation.
const MAX_KEPT: usize = 100_000;

/// Most Job runs and pods per run, and host events per pod, listed in one incident.
const MAX_RUNS: usize = 10;
const MAX_PODS_PER_RUN: usize = 5;
const MAX_EVENTS_PER_POD: usize = 20;

/// The rule id of incident alerts.
pub const INCIDENT_RULE: &str = "JW-COR-0001";

/// A host or node event that may belong to a batch pod: a container start, a file write, a
/// proxy access-log line.
#[derive(Debug, Clone)]
pub struct HostEvent {
    /// Pod namespace, when known.
    pub namespace: Option<String>,
    /// Pod name, when known.
    pub pod: Option<String>,
    /// Pod uid, when known.
    pub pod_uid: Option<String>,
    /// Addresses the pod used (proxy lines without pod identity).
    pub addresses: Vec<String>,
    /// The Job, from pod labels or names.
    pub job: Option<String>,
    /// The CronJob, from pod labels or names.
    pub cronjob: Option<String>,
    /// Node.
    pub host: Option<String>,
    /// Event time (seconds), when known.
    pub time: Option<i64>,
    /// `file:line`.
    pub source: String,
    /// What happened, for the provenance chain (`container: alpine:3.19 on node n1`).
    pub what: String,
    /// Container start, file write or proxy line.
    pub kind: EvidenceKind,
}

/// Counters for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrelationStats {
    /// Audit alerts or host events not kept because the bounds were reached.
    pub dropped: u64,
    /// Controller-created objects recorded from the audit log.
    pub objects: u64,
    /// Objects evicted by the graph's size bound or time window.
    pub evicted: u64,
}

#[derive(Debug, Clone)]
struct AuditWrite {
    alert: Alert,
}

/// Collects host intents, host events, the controllers' audit records and audit alerts;
/// [`Correlator::incidents`] joins them.
#[derive(Debug, Default)]
pub struct Correlator {
    addresses: BTreeMap<String, Vec<String>>,
    intents: Vec<BatchIntent>,
    events: Vec<HostEvent>,
    writes: BTreeMap<String, AuditWrite>,
    graph: OwnerGraph,
    /// Pod IP -> (namespace, pod, time seen).
    pod_ips: HashMap<String, (Option<String>, String, Option<i64>)>,
    /// Containers already represented (namespace, pod, container id).
    containers_seen: HashSet<(String, String, String)>,
    /// The most severe host alert per `file:line`, medium and above.
    host_severity: HashMap<String, Severity>,
    /// The pod a batch write's bound service-account token was issued to, by `auditID`.
    token_pods: HashMap<String, String>,
    /// Indexes into `events` by pod name and by pod uid; events known only by address.
    events_by_pod: HashMap<String, Vec<usize>>,
    events_by_address: Vec<usize>,
    /// Audit alerts or host events not kept because the bounds were reached.
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

    /// Counters so far.
    pub fn stats(&self) -> CorrelationStats {
        CorrelationStats {
            dropped: self.dropped + self.graph.stats.pending_dropped,
            objects: self.graph.stats.objects,
            evicted: self.graph.stats.evicted,
        }
    }

    /// Remember the batch writes seen on hosts.
    pub fn add_intents(&mut self, intents: Vec<BatchIntent>) {
        self.intents.extend(intents);
    }

    /// Remember a host alert's severity, so an incident that cites the same line is at least
    /// as severe (the strongest link decides).
    pub fn note_host_alert(&mut self, alert: &Alert) {
        if alert.severity < Severity::Medium {
            return;
        }
        let Some(source) = alert.evidence.first().map(|e| e.source.clone()) else {
            return;
        };
        if self.host_severity.len() >= MAX_KEPT && !self.host_severity.contains_key(&source) {
            self.dropped += 1;
            return;
        }
        let kept = self.host_severity.entry(source).or_insert(alert.severity);
        *kept = (*kept).max(alert.severity);
    }

    /// Look at one audit record: the controllers' creates of Jobs and Pods, the scheduler's
    /// bindings and CronJob/Job creates feed the ownership graph.
    pub fn observe_audit(&mut self, event: &AuditEvent, source: &str) {
        self.graph.observe(event, source);
        let batch_write = matches!(event.resource(), "cronjobs" | "jobs")
            && matches!(event.verb.as_str(), "create" | "update" | "patch")
            && event.subresource().is_none_or(str::is_empty);
        if !batch_write || self.token_pods.contains_key(&event.audit_id) {
            return;
        }
        let Some(pod) = event
            .user
            .extra
            .get("authentication.kubernetes.io/pod-name")
            .and_then(|v| v.first())
        else {
            return;
        };
        if self.token_pods.len() >= MAX_KEPT {
            self.dropped += 1;
            return;
        }
        self.token_pods.insert(event.audit_id.clone(), pod.clone());
    }

    /// Remember a container start.
    pub fn add_container(
        &mut self,
        context: &ContainerContext,
        host: Option<&str>,
        time: Option<jiff::Timestamp>,
        source: String,
    ) {
        self.add_pod_event(context, host, time, source, EvidenceKind::Container);
    }

    /// Remember a process started in a pod: the first one seen per container stands for the
    /// container (not every producer writes container starts).
    pub fn add_process(
        &mut self,
        context: &ContainerContext,
        host: Option<&str>,
        time: Option<jiff::Timestamp>,
        source: String,
    ) {
        let (Some(pod), Some(id)) = (context.pod.as_ref(), context.id.as_ref()) else {
            // Without pod identity only the labels can tie it to a Job.
            if context.is_known() && batch_owner(context).is_some() {
                self.add_pod_event(context, host, time, source, EvidenceKind::Container);
            }
            return;
        };
        let key = (
            context.namespace.clone().unwrap_or_default(),
            pod.clone(),
            id.clone(),
        );
        if self.containers_seen.contains(&key) {
            return;
        }
        if self.containers_seen.len() >= MAX_KEPT {
            self.dropped += 1;
            return;
        }
        self.containers_seen.insert(key);
        self.add_pod_event(context, host, time, source, EvidenceKind::Container);
    }

    /// Remember a file written on a node (from a container, or a kubelet pod log directory).
    /// `alerted`: a host rule flagged the line; other files are kept only when their pod shows
    /// it belongs to a Job (labels, scheduled-pod name), so busy nodes do not fill the store.
    pub fn add_file(&mut self, file: &FileEvent, source: String, alerted: bool) {
        let mut context = file.container.clone();
        if context.pod.is_none()
            && let Some(from_path) = jobwarden_host::pod_of_log_path(&file.path)
        {
            context.pod = Some(from_path.pod);
            context.namespace = Some(from_path.namespace);
            context.pod_uid = from_path.uid;
        }
        let what = format!(
            "file: {} written by {} in pod {} on node {}",
            file.path,
            file.exe.as_deref().unwrap_or("?"),
            context.pod.as_deref().unwrap_or("?"),
            file.host.as_deref().unwrap_or("?")
        );
        if !alerted && batch_owner(&context).is_none() {
            return;
        }
        self.push_event(
            &context,
            file.host.as_deref(),
            file.time,
            source,
            what,
            EvidenceKind::File,
            Vec::new(),
        );
    }

    /// Remember a proxy access-log line: it joins its pod by the shipper's pod identity or log
    /// path, else by the pod's address. Like files, only flagged lines (`alerted`) and lines of
    /// pods that show their Job are kept.
    pub fn add_proxy(&mut self, proxy: &ProxyEvent, source: String, alerted: bool) {
        if !alerted && batch_owner(&proxy.pod).is_none() {
            return;
        }
        let addresses: Vec<String> = proxy
            .pod
            .pod_ip
            .iter()
            .cloned()
            .chain(
                [&proxy.downstream, &proxy.upstream_local]
                    .into_iter()
                    .flatten()
                    .map(|a| jobwarden_host::strip_port(a)),
            )
            .filter(|a| !a.is_empty())
            .collect();
        let request = match (proxy.method.as_str(), proxy.path.as_str()) {
            ("-" | "", "" | "-") => "TCP".to_string(),
            (method, path) => format!(
                "{method} {}{path} ({})",
                proxy.authority.as_deref().unwrap_or(""),
                proxy.status
            ),
        };
        let what = format!(
            "proxy: {request} -> {} from pod {}",
            proxy.upstream.as_deref().unwrap_or("?"),
            proxy.pod.pod.as_deref().unwrap_or("?")
        );
        self.push_event(
            &proxy.pod,
            proxy.host.as_deref(),
            proxy.time,
            source,
            what,
            EvidenceKind::Proxy,
            addresses,
        );
    }

    fn add_pod_event(
        &mut self,
        context: &ContainerContext,
        host: Option<&str>,
        time: Option<jiff::Timestamp>,
        source: String,
        kind: EvidenceKind,
    ) {
        let what = format!(
            "container: {} on node {}",
            context.image.as_deref().unwrap_or("?"),
            host.unwrap_or("?")
        );
        self.push_event(context, host, time, source, what, kind, Vec::new());
    }

    #[allow(clippy::too_many_arguments)]
    fn push_event(
        &mut self,
        context: &ContainerContext,
        host: Option<&str>,
        time: Option<jiff::Timestamp>,
        source: String,
        what: String,
        kind: EvidenceKind,
        addresses: Vec<String>,
    ) {
        let time = time.map(|t| t.as_second());
        if let (Some(ip), Some(pod)) = (&context.pod_ip, &context.pod)
            && (self.pod_ips.len() < MAX_KEPT || self.pod_ips.contains_key(ip))
        {
            self.pod_ips
                .insert(ip.clone(), (context.namespace.clone(), pod.clone(), time));
        }
        let owner = batch_owner(context);
        let has_pod = context.pod.is_some() || context.pod_uid.is_some();
        if owner.is_none() && !has_pod && addresses.is_empty() {
            return;
        }
        // One line can yield both a process and a container record (Tetragon's first exec).
        if self
            .events
            .last()
            .is_some_and(|c| c.source == source && c.kind == kind)
        {
            return;
        }
        if self.events.len() >= MAX_KEPT {
            self.dropped += 1;
            return;
        }
        let (job, cronjob) = owner.map(|o| (o.job, o.cronjob)).unwrap_or_default();
        let at = self.events.len();
        for key in [&context.pod, &context.pod_uid].into_iter().flatten() {
            self.events_by_pod.entry(key.clone()).or_default().push(at);
        }
        if !has_pod && !addresses.is_empty() {
            self.events_by_address.push(at);
        }
        self.events.push(HostEvent {
            namespace: context.namespace.clone(),
            pod: context.pod.clone(),
            pod_uid: context.pod_uid.clone(),
            addresses,
            job,
            cronjob,
            host: host.map(str::to_string),
            time,
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
        if !matches!(audit_verb(alert), "create" | "update" | "patch") {
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
            let token_pod = a
                .evidence
                .first()
                .and_then(|e| e.audit_id.as_deref())
                .and_then(|id| self.token_pods.get(id))
                .map(String::as_str);
            let intent = self
                .intents
                .iter()
                .filter(|i| intent_matches(i, a, time) && self.same_origin(i, a, token_pod))
                .min_by_key(|i| match_rank(i, a, time, token_pod));
            let Some(intent) = intent else { continue };
            out.push(self.incident(intent, a));
        }
        out
    }

    fn incident(&self, intent: &BatchIntent, a: &Alert) -> Alert {
        let mut chain = Chain::default();
        chain.push(
            format!(
                "process: {} {} on {} by {} ({})",
                intent.client,
                intent.verb,
                intent.host.as_deref().unwrap_or("?"),
                match intent.user.as_deref() {
                    // Some sensors only know the numeric uid.
                    Some(u) if !u.is_empty() && u.bytes().all(|b| b.is_ascii_digit()) => {
                        format!("uid {u}")
                    }
                    Some(u) => u.to_string(),
                    None => "?".to_string(),
                },
                intent.source
            ),
            Evidence {
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
            },
        );
        chain.steps.push(format!(
            "audit: {} by {} ({}{})",
            a.summary,
            a.actor.username,
            a.evidence.first().map(|e| e.source.as_str()).unwrap_or(""),
            a.evidence
                .first()
                .and_then(|e| e.audit_id.as_deref())
                .map(|id| format!(", auditID {id}"))
                .unwrap_or_default()
        ));
        for e in &a.evidence {
            chain.cite(e.clone());
        }
        match self.written_object(a) {
            Some(root) => self.follow_runs(root, &mut chain),
            None => self.follow_runs_by_name(a, &mut chain),
        }
        // Host events whose pod labels or names show the object (no controller records).
        let name = a.subject.name.as_deref();
        for e in self.events.iter().filter(|c| {
            c.namespace
                .as_deref()
                .is_none_or(|ns| Some(ns) == a.subject.namespace.as_deref())
                && match a.subject.kind.as_str() {
                    "CronJob" => c.cronjob.as_deref() == name,
                    _ => c.job.as_deref() == name,
                }
        }) {
            chain.host_event(e);
        }
        let severity = chain
            .evidence
            .iter()
            .filter_map(|e| self.host_severity.get(&e.source))
            .copied()
            .fold(a.severity.max(Severity::Low), Severity::max);
        Alert {
            schema: ALERT_SCHEMA.to_string(),
            id: Alert::stable_id(INCIDENT_RULE, &chain.evidence),
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
            evidence: chain.evidence,
            provenance: chain.steps,
            remediation: a.remediation.clone(),
        }
    }

    /// The CronJob or Job the audit write created or changed, as the graph knows it.
    fn written_object(&self, a: &Alert) -> Option<&ObjectRecord> {
        let kind = match a.subject.kind.as_str() {
            "CronJob" => ObjectKind::CronJob,
            "Job" => ObjectKind::Job,
            _ => return None,
        };
        let by_request = a
            .evidence
            .first()
            .and_then(|e| e.audit_id.as_deref())
            .and_then(|id| self.graph.created_by(id))
            .filter(|o| o.kind == kind);
        by_request.or_else(|| {
            self.graph.named(
                kind,
                a.subject.namespace.as_deref().unwrap_or(""),
                a.subject.name.as_deref()?,
            )
        })
    }

    /// When the write's own object is not in the graph (logged without its body, or evicted),
    /// the controllers' objects that name it as their owner.
    fn follow_runs_by_name(&self, a: &Alert, chain: &mut Chain) {
        let (Some(name), kind) = (a.subject.name.as_deref(), a.subject.kind.as_str()) else {
            return;
        };
        let namespace = a.subject.namespace.as_deref().unwrap_or("");
        let kind = match kind {
            "CronJob" => ObjectKind::CronJob,
            "Job" => ObjectKind::Job,
            _ => return,
        };
        let root = ObjectRecord {
            kind,
            uid: String::new(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            owner: None,
            by_controller: false,
            creator: String::new(),
            source: String::new(),
            audit_id: String::new(),
            time: None,
            binding: None,
        };
        self.follow_runs(&root, chain);
    }

    /// The controller's Jobs of a CronJob (or the Job itself), their Pods, and what ran there.
    fn follow_runs(&self, root: &ObjectRecord, chain: &mut Chain) {
        let children = |o: &ObjectRecord| {
            if o.uid.is_empty() || o.uid.starts_with("name:") {
                self.graph.children_named(o.kind, &o.namespace, &o.name)
            } else {
                self.graph.children_of(o, false)
            }
        };
        let runs: Vec<(Option<&ObjectRecord>, Vec<&ObjectRecord>)> = match root.kind {
            ObjectKind::CronJob => {
                let jobs = children(root);
                if jobs.len() > MAX_RUNS {
                    chain.steps.push(format!(
                        "({} controller Jobs; the first {MAX_RUNS} are listed)",
                        jobs.len()
                    ));
                }
                jobs.into_iter()
                    .take(MAX_RUNS)
                    .map(|job| (Some(job), children(job)))
                    .collect()
            }
            ObjectKind::Job => {
                // A Job a client created may name a CronJob as its owner (`kubectl create job
                // --from`, or a forgery): evidence of intent, never a controller run.
                if let Some(owner) = root.owner.as_ref().filter(|_| !root.by_controller) {
                    chain.steps.push(format!(
                        "claim: Job {}/{} names {} {} as its owner (set by {}, not its controller)",
                        root.namespace, root.name, owner.kind, owner.name, root.creator
                    ));
                }
                vec![(None, children(root))]
            }
            ObjectKind::Pod => Vec::new(),
        };
        for (job, pods) in runs {
            if let Some(job) = job {
                chain.push(
                    format!(
                        "job: {}/{} created by {} for CronJob {} ({}, auditID {})",
                        job.namespace, job.name, job.creator, root.name, job.source, job.audit_id
                    ),
                    audit_evidence(job, "jobs"),
                );
            }
            for pod in pods.into_iter().take(MAX_PODS_PER_RUN) {
                let node = pod
                    .binding
                    .as_ref()
                    .map(|b| format!(" on node {} (binding {})", b.node, b.source))
                    .unwrap_or_default();
                chain.push(
                    format!(
                        "pod: {}/{} created by {} for Job {}{} ({}, auditID {})",
                        pod.namespace,
                        pod.name,
                        pod.creator,
                        pod.owner.as_ref().map_or("?", |o| o.name.as_str()),
                        node,
                        pod.source,
                        pod.audit_id
                    ),
                    audit_evidence(pod, "pods"),
                );
                if let Some(b) = &pod.binding
                    && b.source != pod.source
                {
                    chain.cite(Evidence {
                        source: b.source.clone(),
                        kind: EvidenceKind::K8sAudit,
                        audit_id: (!b.audit_id.is_empty()).then(|| b.audit_id.clone()),
                        detail: [
                            ("verb".to_string(), Value::from("create")),
                            ("resource".to_string(), Value::from("pods")),
                            ("subresource".to_string(), Value::from("binding")),
                            ("node".to_string(), Value::from(b.node.clone())),
                        ]
                        .into_iter()
                        .collect(),
                    });
                }
                let mut listed = 0;
                let mut candidates: Vec<usize> = [&pod.name, &pod.uid]
                    .into_iter()
                    .filter_map(|k| self.events_by_pod.get(k))
                    .flatten()
                    .chain(&self.events_by_address)
                    .copied()
                    .collect();
                candidates.sort_unstable();
                candidates.dedup();
                for e in candidates
                    .into_iter()
                    .filter_map(|i| self.events.get(i))
                    .filter(|e| self.event_in_pod(e, pod))
                {
                    if listed == MAX_EVENTS_PER_POD {
                        chain
                            .steps
                            .push(format!("(more events in pod {} not listed)", pod.name));
                        break;
                    }
                    if chain.host_event(e) {
                        listed += 1;
                    }
                }
            }
        }
    }

    /// True when a host event happened in `pod`: same uid, or same namespace and name, or (proxy
    /// lines) an address a host event showed the pod using around that time.
    fn event_in_pod(&self, e: &HostEvent, pod: &ObjectRecord) -> bool {
        if let Some(uid) = &e.pod_uid
            && !pod.uid.starts_with("name:")
        {
            return *uid == pod.uid;
        }
        if let Some(name) = &e.pod {
            return *name == pod.name
                && e.namespace.as_deref().is_none_or(|ns| ns == pod.namespace);
        }
        e.addresses.iter().any(|ip| {
            self.pod_ips.get(ip).is_some_and(|(ns, name, seen)| {
                *name == pod.name
                    && ns.as_deref().is_none_or(|ns| ns == pod.namespace)
                    && match (seen, e.time) {
                        (Some(seen), Some(t)) => (t - seen).abs() <= POD_IP_WINDOW_SECONDS,
                        _ => true,
                    }
            })
        })
    }

    /// The request came from the host (its mapped addresses), or, for unmapped hosts, from the
    /// same kind of client (`kubectl` → `kubectl/...` user agent, or the agent the command line
    /// set); a bound service-account token must have been issued to the process's pod.
    fn same_origin(&self, i: &BatchIntent, a: &Alert, token_pod: Option<&str>) -> bool {
        if let (Some(token_pod), Some(pod)) = (token_pod, i.pod.as_deref())
            && token_pod != pod
        {
            return false;
        }
        if let Some(ips) = i.host.as_ref().and_then(|h| self.addresses.get(h)) {
            return a.actor.source_ips.iter().any(|ip| ips.contains(ip));
        }
        a.actor
            .user_agent
            .as_deref()
            .is_none_or(|ua| agent_matches(i, ua))
    }
}

/// The chain being built: steps and evidence, each source cited once.
#[derive(Default)]
struct Chain {
    steps: Vec<String>,
    evidence: Vec<Evidence>,
    cited: HashSet<String>,
}

impl Chain {
    fn push(&mut self, step: String, evidence: Evidence) {
        if self.cite(evidence) {
            self.steps.push(step);
        }
    }

    /// Add evidence unless its line (or audit request) is already cited.
    fn cite(&mut self, evidence: Evidence) -> bool {
        let key = evidence
            .audit_id
            .clone()
            .unwrap_or_else(|| evidence.source.clone());
        if !self.cited.insert(key) {
            return false;
        }
        self.evidence.push(evidence);
        true
    }

    fn host_event(&mut self, e: &HostEvent) -> bool {
        let step = format!("{} ({})", e.what, e.source);
        let before = self.evidence.len();
        self.push(
            step,
            Evidence {
                source: e.source.clone(),
                kind: e.kind,
                audit_id: None,
                detail: Default::default(),
            },
        );
        self.evidence.len() > before
    }
}

fn audit_evidence(o: &ObjectRecord, resource: &str) -> Evidence {
    let mut detail: BTreeMap<String, Value> = [
        ("verb".to_string(), Value::from("create")),
        ("resource".to_string(), Value::from(resource)),
        ("creator".to_string(), Value::from(o.creator.clone())),
        ("uid".to_string(), Value::from(o.uid.clone())),
    ]
    .into_iter()
    .collect();
    if let Some(owner) = &o.owner {
        detail.insert(
            "owner".to_string(),
            serde_json::json!({"kind": owner.kind, "name": owner.name, "uid": owner.uid}),
        );
    }
    if let Some(b) = &o.binding {
        detail.insert("node".to_string(), Value::from(b.node.clone()));
    }
    Evidence {
        source: o.source.clone(),
        kind: EvidenceKind::K8sAudit,
        audit_id: (!o.audit_id.is_empty()).then(|| o.audit_id.clone()),
        detail,
    }
}

fn audit_verb(a: &Alert) -> &str {
    a.evidence
        .first()
        .and_then(|e| e.detail.get("verb"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
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
    let verb = audit_verb(a);
    let verb_ok = i.audit_verbs.is_empty() || i.audit_verbs.contains(&verb);
    let window = if i.name.is_some() {
        MATCH_WINDOW_SECONDS
    } else {
        UNNAMED_MATCH_WINDOW_SECONDS
    };
    let time_ok = seconds_apart(i, audit_time).is_some_and(|d| d <= window);
    kind_ok && ns_ok && name_ok && verb_ok && time_ok
}

/// Lower is better: an intent that names the object beats one that does not, then one from the
/// pod the token was issued to, then one that names the kind, then the client's own process
/// over a shell or wrapper that ran it (both show the command line), then the closest in time,
/// then the earliest line.
fn match_rank<'a>(
    i: &'a BatchIntent,
    a: &Alert,
    audit_time: jiff::Timestamp,
    token_pod: Option<&str>,
) -> (u8, u8, u8, u8, i64, &'a str) {
    let named = u8::from(!(i.name.is_some() && i.name == a.subject.name));
    let same_pod = u8::from(!(token_pod.is_some() && i.pod.as_deref() == token_pod));
    let kind = u8::from(i.kind != a.subject.kind);
    (
        named,
        same_pod,
        kind,
        u8::from(!i.direct),
        seconds_apart(i, audit_time).unwrap_or(i64::MAX),
        i.source.as_str(),
    )
}

/// Whether an audit user agent can be the intent's client: the product before the first `/`
/// is the client's (kubectl and client-go name themselves after `argv[0]`), the one the
/// command line set, or one of the HTTP libraries of a Python client.
fn agent_matches(i: &BatchIntent, ua: &str) -> bool {
    let product = |s: &str| {
        s.trim()
            .split(['/', ' '])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let agent = product(ua);
    if let Some(set) = &i.user_agent {
        return product(set) == agent;
    }
    let client = i.client.to_ascii_lowercase();
    if client.is_empty() {
        return true;
    }
    if client.starts_with("python") {
        return ["python", "openapi-generator", "aiohttp", "httpx"]
            .iter()
            .any(|p| agent.starts_with(p));
    }
    let family = match client.as_str() {
        "http" | "https" | "httpie" => "httpie",
        other => other,
    };
    agent.starts_with(family)
}

fn seconds_apart(i: &BatchIntent, audit_time: jiff::Timestamp) -> Option<i64> {
    i.time
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| (t.as_second() - audit_time.as_second()).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(client: &str, name: Option<&str>, time: &str) -> BatchIntent {
        BatchIntent {
            time: time.into(),
            host: Some("h".into()),
            user: None,
            namespace: Some("prod".into()),
            kind: if name.is_some() { "CronJob" } else { "unknown" }.into(),
            name: name.map(str::to_string),
            verb: "create".into(),
            audit_verbs: vec!["create"],
            from_cronjob: None,
            client: client.into(),
            user_agent: None,
            context: "host shell".into(),
            pod: None,
            direct: true,
            source: format!("host.jsonl:{}", time.len()),
        }
    }

    fn write(ua: &str, time: &str) -> Alert {
        Alert {
            schema: ALERT_SCHEMA.into(),
            id: String::new(),
            rule: RuleRef {
                id: "JW-AUD-0001".into(),
                title: String::new(),
                origin: "builtin".into(),
                attack: Vec::new(),
            },
            severity: Severity::Low,
            time: time.into(),
            summary: "created".into(),
            subject: jobwarden_model::Subject {
                kind: "CronJob".into(),
                namespace: Some("prod".into()),
                name: Some("backup".into()),
                cluster: None,
            },
            actor: jobwarden_model::Actor {
                user_agent: Some(ua.into()),
                ..Default::default()
            },
            evidence: vec![Evidence {
                source: "audit.jsonl:1".into(),
                kind: EvidenceKind::K8sAudit,
                audit_id: Some("a1".into()),
                detail: [("verb".to_string(), Value::from("create"))]
                    .into_iter()
                    .collect(),
            }],
            provenance: Vec::new(),
            remediation: None,
        }
    }

    #[test]
    fn user_agents_of_each_client_family() {
        let ua = |client: &str, agent: &str| agent_matches(&intent(client, None, ""), agent);
        assert!(ua(
            "kubectl",
            "kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f"
        ));
        assert!(!ua("kubectl", "curl/8.5.0"));
        assert!(ua("python3", "OpenAPI-Generator/29.0.0/python"));
        assert!(ua("python3.11", "python-requests/2.31.0"));
        assert!(ua("http", "HTTPie/3.2.2"));
        assert!(ua("wget", "Wget/1.21.4"));
        let mut disguised = intent("curl", None, "");
        disguised.user_agent = Some("kubectl/v1.29.0".into());
        assert!(agent_matches(&disguised, "kubectl/v1.29.0 (linux/amd64)"));
        assert!(!agent_matches(&disguised, "curl/8.5.0"));
    }

    #[test]
    fn named_intents_win_and_unnamed_ones_need_a_close_request() {
        let mut c = Correlator::default();
        c.add_intents(vec![
            intent("kubectl", None, "2026-01-01T00:00:00Z"),
            intent("kubectl", Some("backup"), "2026-01-01T00:04:00Z"),
        ]);
        c.observe(&write("kubectl/v1.29.0", "2026-01-01T00:00:30Z"));
        let found = c.incidents();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence[0].source, "host.jsonl:20");
        // Only the unnamed command, five minutes away: no incident.
        let mut c = Correlator::default();
        c.add_intents(vec![intent("kubectl", None, "2026-01-01T00:00:00Z")]);
        c.observe(&write("kubectl/v1.29.0", "2026-01-01T00:05:00Z"));
        assert!(c.incidents().is_empty());
        let mut close = write("kubectl/v1.29.0", "2026-01-01T00:01:00Z");
        close.evidence[0].audit_id = Some("a2".into());
        c.observe(&close);
        assert_eq!(c.incidents().len(), 1);
    }
}
