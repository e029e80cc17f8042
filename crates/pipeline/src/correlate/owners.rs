//! The ownership graph of batch workloads as the audit log records it: CronJob -> Job -> Pod,
//! linked by the `ownerReferences` uids of the objects the controllers created, and each Pod's
//! node from the scheduler's `pods/binding` request.
//!
//! The created object in `responseObject` is authoritative (the apiserver wrote its uid); the
//! request body is only used when the response was not logged. An owner reference is the
//! client's claim: it counts as a controller link only when the identity the apiserver
//! authenticated is the controller that owns such objects (the cronjob-controller for Jobs,
//! the job-controller for Pods) and nobody was impersonated. Claims by anyone else are kept,
//! marked, and never followed as a controller run.
//!
//! State is bounded: at most [`MAX_OBJECTS`] objects, none older than
//! [`OBJECT_WINDOW_SECONDS`] behind the newest one seen (records out of order within the
//! window are fine); evictions are counted.

use jobwarden_model::AuditEvent;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};

/// How long (seconds of event time) an object stays in the graph after its creation.
pub const OBJECT_WINDOW_SECONDS: i64 = 24 * 3600;

/// Most objects kept.
pub const MAX_OBJECTS: usize = 100_000;

/// Most bindings kept for pods not seen yet, and most first-stage lines remembered.
const MAX_PENDING: usize = 10_000;

/// The kinds the graph follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `batch/v1` CronJob.
    CronJob,
    /// `batch/v1` Job.
    Job,
    /// `v1` Pod.
    Pod,
}

impl ObjectKind {
    /// The Kubernetes kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::CronJob => "CronJob",
            ObjectKind::Job => "Job",
            ObjectKind::Pod => "Pod",
        }
    }

    /// The kind whose controller creates objects of this kind, and that controller's
    /// service-account name.
    fn owner_and_controller(self) -> Option<(&'static str, &'static str)> {
        match self {
            ObjectKind::Job => Some(("CronJob", "cronjob-controller")),
            ObjectKind::Pod => Some(("Job", "job-controller")),
            ObjectKind::CronJob => None,
        }
    }
}

/// An owner reference: `metadata.ownerReferences[]` (the `controller: true` one first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRef {
    /// Owner uid.
    pub uid: String,
    /// Owner kind.
    pub kind: String,
    /// Owner name.
    pub name: String,
}

/// The scheduler's binding of a Pod to a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Node name.
    pub node: String,
    /// `file:line` of the audit record.
    pub source: String,
    /// Its `auditID`.
    pub audit_id: String,
}

/// One created object.
#[derive(Debug, Clone)]
pub struct ObjectRecord {
    /// Kind.
    pub kind: ObjectKind,
    /// `metadata.uid` (or `name:<kind>/<ns>/<name>` when no body was logged).
    pub uid: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Owner reference, when the object carries one.
    pub owner: Option<OwnerRef>,
    /// True when the owning kind's controller created it (authenticated identity, no
    /// impersonation) and the owner reference names that kind.
    pub by_controller: bool,
    /// The authenticated user that created it.
    pub creator: String,
    /// `file:line` of the create request's first audit record.
    pub source: String,
    /// The request's `auditID`.
    pub audit_id: String,
    /// Creation time (seconds), when known.
    pub time: Option<i64>,
    /// The node (Pods), from `pods/binding` or `spec.nodeName`.
    pub binding: Option<Binding>,
}

/// Counters for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GraphStats {
    /// Objects recorded.
    pub objects: u64,
    /// Objects evicted by the size bound or the time window.
    pub evicted: u64,
    /// Bindings or first-stage lines forgotten because their bounds were reached.
    pub pending_dropped: u64,
}

/// The graph. Feed audit records with [`OwnerGraph::observe`].
#[derive(Debug, Default)]
pub struct OwnerGraph {
    objects: HashMap<String, ObjectRecord>,
    by_name: HashMap<(ObjectKind, String, String), String>,
    by_audit: HashMap<String, String>,
    children: HashMap<String, Vec<String>>,
    order: VecDeque<(i64, String)>,
    pending_bindings: HashMap<(String, String), Binding>,
    first_lines: HashMap<String, String>,
    newest: i64,
    /// Counters.
    pub stats: GraphStats,
}

impl OwnerGraph {
    /// Look at one audit record (any stage) read at `source`.
    pub fn observe(&mut self, event: &AuditEvent, source: &str) {
        let Some(oref) = &event.object_ref else {
            return;
        };
        if event.verb != "create" {
            return;
        }
        let group = oref.api_group.as_deref().unwrap_or("");
        let sub = oref.subresource.as_deref().unwrap_or("");
        let kind = match (oref.resource.as_str(), group, sub) {
            ("pods", "", "binding") | ("bindings", "", "") => {
                self.first_or_bind(event, source);
                return;
            }
            ("pods", "", "") => ObjectKind::Pod,
            ("jobs", "batch", "") => ObjectKind::Job,
            ("cronjobs", "batch", "") => ObjectKind::CronJob,
            _ => return,
        };
        let Some(first_source) = self.first_source(event, source) else {
            return;
        };
        self.add(kind, event, first_source);
    }

    /// The object an audit request created, by its `auditID`.
    pub fn created_by(&self, audit_id: &str) -> Option<&ObjectRecord> {
        self.objects.get(self.by_audit.get(audit_id)?)
    }

    /// The newest object of `kind` named `namespace/name`.
    pub fn named(&self, kind: ObjectKind, namespace: &str, name: &str) -> Option<&ObjectRecord> {
        let uid = self
            .by_name
            .get(&(kind, namespace.to_string(), name.to_string()))?;
        self.objects.get(uid)
    }

    /// Controller-created objects whose owner reference names `kind` `namespace/name`, oldest
    /// first: for an owner whose own create was not logged with its body (or not at all).
    pub fn children_named(
        &self,
        kind: ObjectKind,
        namespace: &str,
        name: &str,
    ) -> Vec<&ObjectRecord> {
        let mut out: Vec<&ObjectRecord> = self
            .objects
            .values()
            .filter(|o| {
                o.by_controller
                    && o.namespace == namespace
                    && o.owner
                        .as_ref()
                        .is_some_and(|r| r.kind == kind.as_str() && r.name == name)
            })
            .collect();
        out.sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
        out
    }

    /// Objects whose owner reference names `owner` (by uid, or by kind and name when `owner`
    /// has no real uid), oldest first; controller-created ones only unless `claims` is set.
    pub fn children_of(&self, owner: &ObjectRecord, claims: bool) -> Vec<&ObjectRecord> {
        let mut out: Vec<&ObjectRecord> = match self.children.get(&owner.uid) {
            Some(uids) => uids.iter().filter_map(|u| self.objects.get(u)).collect(),
            None => Vec::new(),
        };
        if owner.uid.starts_with("name:") {
            out.extend(self.objects.values().filter(|o| {
                o.namespace == owner.namespace
                    && o.owner
                        .as_ref()
                        .is_some_and(|r| r.kind == owner.kind.as_str() && r.name == owner.name)
            }));
        }
        out.retain(|o| claims || o.by_controller);
        out.sort_by(|a, b| (a.time, &a.source).cmp(&(b.time, &b.source)));
        out.dedup_by(|a, b| a.uid == b.uid);
        out
    }

    /// The source line to cite for a request: its first stage's. `None` while the request has
    /// not completed (no status and no response body yet).
    fn first_source(&mut self, event: &AuditEvent, source: &str) -> Option<String> {
        let done = event.response_status.is_some() || event.response_object.is_some();
        if !done {
            if !event.audit_id.is_empty() {
                if self.first_lines.len() >= MAX_PENDING {
                    self.stats.pending_dropped += self.first_lines.len() as u64;
                    self.first_lines.clear();
                }
                self.first_lines
                    .entry(event.audit_id.clone())
                    .or_insert_with(|| source.to_string());
            }
            return None;
        }
        if event
            .status_code()
            .is_some_and(|c| !(200..300).contains(&c))
        {
            self.first_lines.remove(&event.audit_id);
            return None;
        }
        Some(
            self.first_lines
                .remove(&event.audit_id)
                .unwrap_or_else(|| source.to_string()),
        )
    }

    fn first_or_bind(&mut self, event: &AuditEvent, source: &str) {
        let Some(first) = self.first_source(event, source) else {
            return;
        };
        let body = event.request_object.as_ref();
        let Some(node) = body
            .and_then(|b| b.pointer("/target/name"))
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            return;
        };
        let oref = event.object_ref.as_ref();
        let name = oref
            .and_then(|o| o.name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| str_at(body, "/metadata/name"));
        let namespace = event
            .namespace()
            .map(str::to_string)
            .or_else(|| str_at(body, "/metadata/namespace"));
        let (Some(name), Some(namespace)) = (name, namespace) else {
            return;
        };
        let binding = Binding {
            node: node.to_string(),
            source: first,
            audit_id: event.audit_id.clone(),
        };
        let key = (ObjectKind::Pod, namespace.clone(), name.clone());
        if let Some(pod) = self
            .by_name
            .get(&key)
            .and_then(|uid| self.objects.get_mut(uid))
        {
            pod.binding = Some(binding);
            return;
        }
        if self.pending_bindings.len() >= MAX_PENDING {
            self.stats.pending_dropped += self.pending_bindings.len() as u64;
            self.pending_bindings.clear();
        }
        self.pending_bindings.insert((namespace, name), binding);
    }

    fn add(&mut self, kind: ObjectKind, event: &AuditEvent, source: String) {
        // The response is what the apiserver stored; the request only what the client sent.
        let response = event
            .response_object
            .as_ref()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some(kind.as_str()));
        let request = event.request_object.as_ref();
        let body = response.or(request);
        let namespace = str_at(body, "/metadata/namespace")
            .or_else(|| event.namespace().map(str::to_string))
            .unwrap_or_default();
        let Some(name) = str_at(response, "/metadata/name")
            .or_else(|| event.object_name().map(str::to_string))
            .or_else(|| str_at(request, "/metadata/name"))
        else {
            return;
        };
        let uid = str_at(response, "/metadata/uid")
            .or_else(|| event.object_ref.as_ref().and_then(|o| o.uid.clone()))
            .unwrap_or_else(|| format!("name:{}/{namespace}/{name}", kind.as_str()));
        let owner = body.and_then(owner_ref);
        let by_controller = match (kind.owner_and_controller(), &owner) {
            (Some((owner_kind, controller)), Some(o)) => {
                o.kind == owner_kind
                    && event.impersonated_user.is_none()
                    && is_controller(&event.user.username, controller)
            }
            _ => false,
        };
        let binding = str_at(response, "/spec/nodeName").map(|node| Binding {
            node,
            source: source.clone(),
            audit_id: event.audit_id.clone(),
        });
        let time = event.timestamp().map(|t| t.as_second());
        let mut record = ObjectRecord {
            kind,
            uid: uid.clone(),
            namespace: namespace.clone(),
            name: name.clone(),
            owner,
            by_controller,
            creator: event.user.username.clone(),
            source,
            audit_id: event.audit_id.clone(),
            time,
            binding,
        };
        if kind == ObjectKind::Pod
            && let Some(b) = self
                .pending_bindings
                .remove(&(namespace.clone(), name.clone()))
        {
            record.binding = Some(b);
        }
        if self.objects.contains_key(&uid) {
            // The same object logged twice (a replayed or duplicated record): keep the first.
            return;
        }
        if let Some(o) = &record.owner {
            self.children
                .entry(o.uid.clone())
                .or_default()
                .push(uid.clone());
        }
        if !record.audit_id.is_empty() {
            self.by_audit.insert(record.audit_id.clone(), uid.clone());
        }
        self.by_name.insert((kind, namespace, name), uid.clone());
        self.objects.insert(uid.clone(), record);
        self.stats.objects += 1;
        let t = time.unwrap_or(self.newest);
        self.newest = self.newest.max(t);
        self.order.push_back((t, uid));
        self.evict();
    }

    fn evict(&mut self) {
        let horizon = self.newest - OBJECT_WINDOW_SECONDS;
        while let Some((t, _)) = self.order.front() {
            if *t >= horizon && self.objects.len() <= MAX_OBJECTS {
                break;
            }
            let Some((_, uid)) = self.order.pop_front() else {
                break;
            };
            let Some(gone) = self.objects.remove(&uid) else {
                continue;
            };
            self.stats.evicted += 1;
            let key = (gone.kind, gone.namespace, gone.name);
            if self.by_name.get(&key) == Some(&uid) {
                self.by_name.remove(&key);
            }
            if self.by_audit.get(&gone.audit_id) == Some(&uid) {
                self.by_audit.remove(&gone.audit_id);
            }
            self.children.remove(&uid);
            if let Some(o) = gone.owner
                && let Some(siblings) = self.children.get_mut(&o.uid)
            {
                siblings.retain(|s| *s != uid);
                if siblings.is_empty() {
                    self.children.remove(&o.uid);
                }
            }
        }
    }
}

/// True when `username` is kube-controller-manager's `controller` (its service account), or the
/// controller manager itself (clusters without `--use-service-account-credentials`).
fn is_controller(username: &str, controller: &str) -> bool {
    username == "system:kube-controller-manager"
        || username
            .strip_prefix("system:serviceaccount:kube-system:")
            .is_some_and(|sa| sa == controller)
}

fn str_at(body: Option<&Value>, pointer: &str) -> Option<String> {
    body?
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The controlling owner reference (`controller: true`), else the first one.
fn owner_ref(body: &Value) -> Option<OwnerRef> {
    let refs = body.pointer("/metadata/ownerReferences")?.as_array()?;
    let chosen = refs
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| refs.first())?;
    let field = |k: &str| {
        chosen
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(OwnerRef {
        uid: field("uid"),
        kind: field("kind"),
        name: field("name"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> AuditEvent {
        serde_json::from_value(v).expect("an audit event")
    }

    fn create(
        user: &str,
        resource: &str,
        group: &str,
        ns: &str,
        id: &str,
        response: Value,
    ) -> AuditEvent {
        event(json!({
            "auditID": id, "stage": "ResponseComplete", "verb": "create",
            "requestURI": format!("/x/{resource}"),
            "user": {"username": user},
            "objectRef": {"resource": resource, "namespace": ns, "apiGroup": group},
            "responseStatus": {"code": 201},
            "responseObject": response,
            "requestReceivedTimestamp": "2026-01-01T00:00:00Z",
            "stageTimestamp": "2026-01-01T00:00:01Z"
        }))
    }

    fn obj(kind: &str, name: &str, uid: &str, owner: Option<(&str, &str, &str)>) -> Value {
        let mut meta = json!({"name": name, "namespace": "prod", "uid": uid});
        if let Some((k, n, u)) = owner {
            meta["ownerReferences"] = json!([{"apiVersion": "batch/v1", "kind": k, "name": n, "uid": u, "controller": true}]);
        }
        json!({"kind": kind, "metadata": meta})
    }

    const JC: &str = "system:serviceaccount:kube-system:job-controller";
    const CC: &str = "system:serviceaccount:kube-system:cronjob-controller";

    #[test]
    fn controller_chain_by_uid_and_binding_before_pod() {
        let mut g = OwnerGraph::default();
        g.observe(
            &create(
                "alice",
                "cronjobs",
                "batch",
                "prod",
                "a1",
                obj("CronJob", "cj", "u-cj", None),
            ),
            "audit:1",
        );
        g.observe(
            &create(
                CC,
                "jobs",
                "batch",
                "prod",
                "a2",
                obj("Job", "cj-1", "u-j", Some(("CronJob", "cj", "u-cj"))),
            ),
            "audit:2",
        );
        // The binding is logged before the pod's create completes (out of order).
        let binding = event(json!({
            "auditID": "a4", "stage": "ResponseComplete", "verb": "create",
            "user": {"username": "system:kube-scheduler"},
            "objectRef": {"resource": "pods", "namespace": "prod", "name": "cj-1-abcde", "subresource": "binding"},
            "responseStatus": {"code": 201},
            "requestObject": {"kind": "Binding", "metadata": {"name": "cj-1-abcde"}, "target": {"kind": "Node", "name": "node-7"}}
        }));
        g.observe(&binding, "audit:4");
        g.observe(
            &create(
                JC,
                "pods",
                "",
                "prod",
                "a3",
                obj("Pod", "cj-1-abcde", "u-p", Some(("Job", "cj-1", "u-j"))),
            ),
            "audit:3",
        );
        let cj = g.created_by("a1").expect("the CronJob");
        let jobs = g.children_of(cj, false);
        assert_eq!(jobs.len(), 1);
        let pods = g.children_of(jobs[0], false);
        assert_eq!(pods[0].name, "cj-1-abcde");
        assert_eq!(
            pods[0].binding.as_ref().map(|b| b.node.as_str()),
            Some("node-7")
        );
        assert_eq!(
            g.named(ObjectKind::Pod, "prod", "cj-1-abcde")
                .map(|p| p.source.as_str()),
            Some("audit:3")
        );
    }

    #[test]
    fn runs_of_an_owner_never_logged_are_found_by_name() {
        let mut g = OwnerGraph::default();
        g.observe(
            &create(
                CC,
                "jobs",
                "batch",
                "prod",
                "a2",
                obj("Job", "cj-1", "u-j", Some(("CronJob", "cj", "u-cj"))),
            ),
            "audit:2",
        );
        g.observe(
            &create(
                "bob",
                "jobs",
                "batch",
                "prod",
                "a3",
                obj("Job", "cj-2", "u-j2", Some(("CronJob", "cj", "u-cj"))),
            ),
            "audit:3",
        );
        let runs = g.children_named(ObjectKind::CronJob, "prod", "cj");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].name, "cj-1");
        assert!(
            g.children_named(ObjectKind::CronJob, "dev", "cj")
                .is_empty()
        );
    }

    #[test]
    fn client_claims_are_not_controller_links() {
        let mut g = OwnerGraph::default();
        g.observe(
            &create(
                "alice",
                "cronjobs",
                "batch",
                "prod",
                "a1",
                obj("CronJob", "cj", "u-cj", None),
            ),
            "audit:1",
        );
        // A person creates a Job claiming to be the CronJob's run.
        g.observe(
            &create(
                "mallory",
                "jobs",
                "batch",
                "prod",
                "a2",
                obj("Job", "cj-9", "u-j", Some(("CronJob", "cj", "u-cj"))),
            ),
            "audit:2",
        );
        let cj = g.created_by("a1").expect("the CronJob");
        assert!(g.children_of(cj, false).is_empty());
        assert_eq!(g.children_of(cj, true).len(), 1);
        // Impersonating the controller does not make it the controller either.
        let mut imp = create(
            CC,
            "jobs",
            "batch",
            "prod",
            "a3",
            obj("Job", "cj-8", "u-j8", Some(("CronJob", "cj", "u-cj"))),
        );
        imp.impersonated_user = Some(jobwarden_model::UserInfo {
            username: CC.into(),
            ..Default::default()
        });
        imp.user.username = "mallory".into();
        g.observe(&imp, "audit:3");
        let cj = g.created_by("a1").expect("the CronJob");
        assert!(g.children_of(cj, false).is_empty());
        assert_eq!(g.children_of(cj, true).len(), 2);
    }

    #[test]
    fn first_stage_line_is_cited_and_failures_are_ignored() {
        let mut g = OwnerGraph::default();
        let mut received = create(JC, "pods", "", "prod", "a1", Value::Null);
        received.stage = jobwarden_model::Stage::RequestReceived;
        received.response_status = None;
        received.response_object = None;
        g.observe(&received, "audit:10");
        g.observe(
            &create(
                JC,
                "pods",
                "",
                "prod",
                "a1",
                obj("Pod", "p", "u-p", Some(("Job", "j", "u-j"))),
            ),
            "audit:11",
        );
        assert_eq!(
            g.created_by("a1").map(|p| p.source.as_str()),
            Some("audit:10")
        );
        let mut denied = create(JC, "pods", "", "prod", "a2", obj("Pod", "q", "u-q", None));
        denied.response_status = Some(jobwarden_model::ResponseStatus {
            code: Some(403),
            ..Default::default()
        });
        g.observe(&denied, "audit:12");
        assert!(g.created_by("a2").is_none());
    }

    #[test]
    fn bounded_by_time_window() {
        let mut g = OwnerGraph::default();
        let mut old = create(
            JC,
            "pods",
            "",
            "prod",
            "a1",
            obj("Pod", "p1", "u1", Some(("Job", "j", "u-j"))),
        );
        old.request_received_timestamp = Some("2026-01-01T00:00:00Z".into());
        g.observe(&old, "audit:1");
        let mut new = create(
            JC,
            "pods",
            "",
            "prod",
            "a2",
            obj("Pod", "p2", "u2", Some(("Job", "j", "u-j"))),
        );
        new.request_received_timestamp = Some("2026-01-03T00:00:00Z".into());
        g.observe(&new, "audit:2");
        assert!(g.created_by("a1").is_none());
        assert!(g.created_by("a2").is_some());
        assert_eq!(g.stats.evicted, 1);
    }
}
