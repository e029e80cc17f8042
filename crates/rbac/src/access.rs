//! `who-can`: every subject allowed a request, with scope and the chain
//! subject -> binding -> role -> (aggregated source roles) -> rule, in the
//! `jobwarden.access/v1` shape (`shared/design/findings.md`).

use crate::graph::{Analysis, Grant, NameQuery, ObjectRef, Probe, RawGrant, SYSTEM_MASTERS, Scope};
use crate::input::SubjectRef;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The schema tag of every permission answer.
pub const ACCESS_SCHEMA: &str = "jobwarden.access/v1";

/// How a subject gets the permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessPath {
    /// Its own bindings allow it (what the authorizer decides).
    Direct,
    /// It can rewrite (escalate + update/patch) a role it is bound to.
    Escalate,
    /// It can bind itself to a role that allows it.
    Bind,
    /// It can impersonate a user, group or service account that is allowed.
    Impersonate,
    /// It can obtain a token of a service account that is allowed.
    Token,
    /// It can create a pod (or pod controller) running as a service account that is allowed.
    PodWithServiceaccount,
    /// It can exec/attach into (or add an ephemeral container to) a pod of such a service account.
    Exec,
    /// It can switch off the admission controls meant to stop it.
    AdmissionTamper,
}

impl AccessPath {
    /// The wire name (`pod-with-serviceaccount`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessPath::Direct => "direct",
            AccessPath::Escalate => "escalate",
            AccessPath::Bind => "bind",
            AccessPath::Impersonate => "impersonate",
            AccessPath::Token => "token",
            AccessPath::PodWithServiceaccount => "pod-with-serviceaccount",
            AccessPath::Exec => "exec",
            AccessPath::AdmissionTamper => "admission-tamper",
        }
    }
}

/// One step of an indirect path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Hop {
    /// What is done, in words (`impersonate ServiceAccount kube-system/cronjob-controller`).
    pub action: String,
    /// The identity acted as, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectRef>,
    /// The object acted on (role rewritten or bound, webhook, ...), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// Where the pivot identity holds the permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// The grants that allow this step (of the pivot identity, for the last step).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<Grant>,
}

/// One permission answer: `jobwarden.access/v1`, one per (subject, scope, path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessAnswer {
    /// Always [`ACCESS_SCHEMA`].
    pub schema: String,
    /// Who.
    pub subject: SubjectRef,
    /// The verb asked (for `schedule_code`: the verbs reached, comma-separated).
    pub verb: String,
    /// The resource asked (empty for non-resource URLs; comma-separated for `schedule_code`).
    pub resource: String,
    /// The API group (`""` for core).
    pub group: String,
    /// The subresource asked, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// The non-resource URL asked, if any.
    #[serde(rename = "nonResourceURL", skip_serializing_if = "Option::is_none")]
    pub non_resource_url: Option<String>,
    /// The object name asked, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Present when the permission only covers these object names (`resourceNames`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<Vec<String>>,
    /// `*` (cluster-wide) or the namespace.
    pub scope: Scope,
    /// The subject's own grants that are used (for indirect paths: those of the first hop).
    pub via: Vec<Grant>,
    /// How.
    pub path: AccessPath,
    /// For indirect paths, the steps after the subject's own grants.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<Hop>,
    /// Anything a reader must know (superuser bypass, name limits, assumptions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An API resource.
    Resource {
        /// API group (`""` core).
        group: String,
        /// Plural resource.
        resource: String,
        /// Subresource, if any.
        subresource: Option<String>,
        /// Object name, if any.
        name: Option<String>,
    },
    /// A non-resource URL (`/healthz`, `/metrics`).
    NonResourceUrl(String),
}

/// A `who-can` question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessQuery {
    /// Verb.
    pub verb: String,
    /// Resource or URL.
    pub target: Target,
    /// Only grants effective in this namespace (cluster-wide grants included); `None`: every
    /// namespace.
    pub namespace: Option<String>,
}

/// A `who-can` argument that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Empty verb or resource.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// Malformed `RESOURCE[.GROUP][/SUBRESOURCE]`.
    #[error("cannot read {0:?} as RESOURCE[.GROUP][/SUBRESOURCE] or /URL")]
    Malformed(String),
}

impl AccessQuery {
    /// A resource question.
    pub fn resource(verb: &str, group: &str, resource: &str, subresource: Option<&str>) -> Self {
        AccessQuery {
            verb: verb.to_string(),
            target: Target::Resource {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: subresource.filter(|s| !s.is_empty()).map(str::to_string),
                name: None,
            },
            namespace: None,
        }
    }

    /// Restrict to one namespace.
    pub fn in_namespace(mut self, namespace: Option<&str>) -> Self {
        self.namespace = namespace.map(str::to_string);
        self
    }

    /// Ask about one object name.
    pub fn named(mut self, object_name: Option<&str>) -> Self {
        if let Target::Resource { name, .. } = &mut self.target {
            *name = object_name.map(str::to_string);
        }
        self
    }

    /// Reads the CLI form: `VERB` and `RESOURCE[.GROUP][/SUBRESOURCE]` (`cronjobs.batch`,
    /// `jobs/status`, `pods/exec`, `deploy`) or a non-resource URL starting with `/`. Without a
    /// group, well-known resources get theirs (`cronjobs` -> `batch`), others the core group;
    /// common short names and singulars are expanded (`cj`, `cronjob`).
    pub fn parse(verb: &str, target: &str) -> Result<AccessQuery, QueryError> {
        let verb = verb.trim().to_ascii_lowercase();
        let target = target.trim();
        if verb.is_empty() {
            return Err(QueryError::Empty("verb"));
        }
        if target.is_empty() {
            return Err(QueryError::Empty("resource"));
        }
        if target.starts_with('/') {
            return Ok(AccessQuery {
                verb,
                target: Target::NonResourceUrl(target.to_string()),
                namespace: None,
            });
        }
        let (res_group, sub) = match target.split_once('/') {
            Some((r, s)) if !s.is_empty() && !s.contains('/') => (r, Some(s)),
            Some(_) => return Err(QueryError::Malformed(target.to_string())),
            None => (target, None),
        };
        let (resource, group) = match res_group.split_once('.') {
            Some((r, g)) => (r.to_ascii_lowercase(), Some(g.to_ascii_lowercase())),
            None => (res_group.to_ascii_lowercase(), None),
        };
        if resource.is_empty() {
            return Err(QueryError::Malformed(target.to_string()));
        }
        let resource = expand_short_name(&resource).to_string();
        let group = group.unwrap_or_else(|| well_known_group(&resource).to_string());
        Ok(AccessQuery::resource(&verb, &group, &resource, sub))
    }
}

fn expand_short_name(r: &str) -> &str {
    match r {
        "cj" | "cronjob" => "cronjobs",
        "job" => "jobs",
        "po" | "pod" => "pods",
        "deploy" | "deployment" => "deployments",
        "rs" | "replicaset" => "replicasets",
        "sts" | "statefulset" => "statefulsets",
        "ds" | "daemonset" => "daemonsets",
        "rc" | "replicationcontroller" => "replicationcontrollers",
        "sa" | "serviceaccount" => "serviceaccounts",
        "ns" | "namespace" => "namespaces",
        "no" | "node" => "nodes",
        "cm" | "configmap" => "configmaps",
        "secret" => "secrets",
        "svc" | "service" => "services",
        "role" => "roles",
        "clusterrole" => "clusterroles",
        "rolebinding" => "rolebindings",
        "clusterrolebinding" => "clusterrolebindings",
        "crd" | "crds" => "customresourcedefinitions",
        other => other,
    }
}

fn well_known_group(resource: &str) -> &'static str {
    match resource {
        "jobs" | "cronjobs" => "batch",
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" | "controllerrevisions" => {
            "apps"
        }
        "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings" => {
            "rbac.authorization.k8s.io"
        }
        "validatingwebhookconfigurations"
        | "mutatingwebhookconfigurations"
        | "validatingadmissionpolicies"
        | "validatingadmissionpolicybindings"
        | "mutatingadmissionpolicies"
        | "mutatingadmissionpolicybindings" => "admissionregistration.k8s.io",
        "customresourcedefinitions" => "apiextensions.k8s.io",
        "ingresses" | "networkpolicies" | "ingressclasses" => "networking.k8s.io",
        "horizontalpodautoscalers" => "autoscaling",
        "poddisruptionbudgets" => "policy",
        "leases" => "coordination.k8s.io",
        "certificatesigningrequests" => "certificates.k8s.io",
        "storageclasses" | "volumeattachments" | "csidrivers" | "csinodes" => "storage.k8s.io",
        "priorityclasses" => "scheduling.k8s.io",
        "endpointslices" => "discovery.k8s.io",
        "events.events.k8s.io" => "events.k8s.io",
        _ => "",
    }
}

/// The note on every `system:masters` answer.
pub const SUPERUSER_NOTE: &str = "system:masters bypasses RBAC authorization: allowed everywhere, whatever the bindings say (not revocable through RBAC)";

/// Accumulates answers per (subject, scope, path).
#[derive(Default)]
pub(crate) struct AnswerSet {
    map: BTreeMap<(SubjectRef, Scope, AccessPath), Acc>,
}

#[derive(Default)]
pub(crate) struct Acc {
    pub via: BTreeSet<Grant>,
    pub hops: Vec<Hop>,
    hop_set: HashSet<Hop>,
    pub verbs: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    /// The API group(s) for answers that are not about `batch`.
    pub group: Option<String>,
    /// `None` once any grant covers every name.
    pub names: Option<BTreeSet<String>>,
    pub any_name: bool,
    pub notes: BTreeSet<String>,
}

impl AnswerSet {
    pub fn entry(&mut self, subject: SubjectRef, scope: Scope, path: AccessPath) -> &mut Acc {
        self.map.entry((subject, scope, path)).or_default()
    }

    /// Finishes the answers; `fill` supplies the request fields for each.
    pub fn finish(self, fill: impl Fn(&Acc) -> (String, String, String)) -> Vec<AccessAnswer> {
        self.map
            .into_iter()
            .map(|((subject, scope, path), acc)| {
                let (verb, resource, group) = fill(&acc);
                AccessAnswer {
                    schema: ACCESS_SCHEMA.to_string(),
                    subject,
                    verb,
                    resource,
                    group,
                    subresource: None,
                    non_resource_url: None,
                    name: None,
                    names: if acc.any_name {
                        None
                    } else {
                        acc.names.as_ref().map(|n| n.iter().cloned().collect())
                    },
                    scope,
                    via: acc.via.into_iter().collect(),
                    path,
                    hops: acc.hops,
                    note: (!acc.notes.is_empty())
                        .then(|| acc.notes.into_iter().collect::<Vec<_>>().join("; ")),
                }
            })
            .collect()
    }
}

impl Acc {
    /// Adds a hop unless it is already there (keeps the order hops were found in).
    pub fn push_hop(&mut self, hop: Hop) {
        if self.hop_set.insert(hop.clone()) {
            self.hops.push(hop);
        }
    }

    /// Records the name coverage of one raw grant.
    pub fn add_names(&mut self, names: &Option<Vec<String>>) {
        match names {
            None => self.any_name = true,
            Some(n) => self
                .names
                .get_or_insert_with(BTreeSet::new)
                .extend(n.iter().cloned()),
        }
    }
}

impl Analysis {
    /// [`Analysis::who_can`] for a resource, argument by argument.
    pub fn who_can_resource(
        &self,
        verb: &str,
        resource: &str,
        group: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
    ) -> Vec<AccessAnswer> {
        self.who_can(
            &AccessQuery::resource(verb, group, resource, subresource).in_namespace(namespace),
        )
    }

    /// Every subject allowed `query`, one answer per (subject, scope), path `direct`, plus
    /// `Group system:masters` (allowed everywhere, with a note).
    ///
    /// Without an object name, verbs that never carry one (`create`, `list`, `watch`,
    /// `deletecollection`) are decided exactly as the authorizer decides a nameless request:
    /// rules limited by `resourceNames` do not count. For other verbs (`get`, `patch`,
    /// `update`, `delete`, `bind`, `impersonate`, ...), a request always names an object, so
    /// name-limited rules are answered too, with `names` listing the objects they cover.
    pub fn who_can(&self, query: &AccessQuery) -> Vec<AccessAnswer> {
        let mut set = AnswerSet::default();
        let raws: Vec<RawGrant> = match &query.target {
            Target::NonResourceUrl(url) => self.non_resource_grants(&query.verb, url),
            Target::Resource {
                group,
                resource,
                subresource,
                name,
            } => {
                let nameless = matches!(
                    query.verb.as_str(),
                    "create" | "list" | "watch" | "deletecollection"
                );
                let name_query = match name {
                    Some(n) => NameQuery::Exact(n),
                    None if nameless => NameQuery::Exact(""),
                    None => NameQuery::Any,
                };
                self.grants(&Probe {
                    verb: &query.verb,
                    group,
                    resource,
                    subresource: subresource.as_deref().unwrap_or(""),
                    name: name_query,
                    namespace: query.namespace.as_deref(),
                })
            }
        };
        for raw in &raws {
            let Some(binding) = self.binding(raw.binding) else {
                continue;
            };
            let Some(grant) = self.grant(raw) else {
                continue;
            };
            for subject in &binding.subjects {
                let acc = set.entry(subject.clone(), raw.scope.clone(), AccessPath::Direct);
                acc.via.insert(grant.clone());
                acc.add_names(&raw.names);
            }
        }
        let masters = set.entry(
            SubjectRef::group(SYSTEM_MASTERS),
            Scope::All,
            AccessPath::Direct,
        );
        masters.any_name = true;
        masters.notes.insert(SUPERUSER_NOTE.to_string());
        let mut answers = set.finish(|_| (query.verb.clone(), String::new(), String::new()));
        for a in &mut answers {
            match &query.target {
                Target::NonResourceUrl(url) => a.non_resource_url = Some(url.clone()),
                Target::Resource {
                    group,
                    resource,
                    subresource,
                    name,
                } => {
                    a.resource = resource.clone();
                    a.group = group.clone();
                    a.subresource = subresource.clone();
                    a.name = name.clone();
                }
            }
        }
        answers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_groups_subresources_short_names_and_urls() {
        let q = AccessQuery::parse("create", "cronjobs.batch").expect("parses");
        assert_eq!(
            q,
            AccessQuery::resource("create", "batch", "cronjobs", None)
        );
        let q = AccessQuery::parse("PATCH", "cj").expect("parses");
        assert_eq!(q, AccessQuery::resource("patch", "batch", "cronjobs", None));
        let q = AccessQuery::parse("get", "jobs/status").expect("parses");
        assert_eq!(
            q,
            AccessQuery::resource("get", "batch", "jobs", Some("status"))
        );
        let q = AccessQuery::parse("create", "pods/exec").expect("parses");
        assert_eq!(q, AccessQuery::resource("create", "", "pods", Some("exec")));
        let q = AccessQuery::parse("update", "widgets.example.com/scale").expect("parses");
        assert_eq!(
            q,
            AccessQuery::resource("update", "example.com", "widgets", Some("scale"))
        );
        let q = AccessQuery::parse("get", "/healthz").expect("parses");
        assert_eq!(q.target, Target::NonResourceUrl("/healthz".into()));
        assert!(AccessQuery::parse("", "pods").is_err());
        assert!(AccessQuery::parse("get", "pods/a/b").is_err());
        assert!(AccessQuery::parse("get", ".batch").is_err());
    }
}
