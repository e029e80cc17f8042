//! Turns the objects handed in (JSON values with their file and line) into the RBAC inventory:
//! Roles, ClusterRoles, their bindings, ServiceAccounts, Namespaces, legacy token Secrets, the
//! service accounts pod templates run as, and the scope of CustomResourceDefinitions.
//! Nothing malformed is dropped silently: every skipped field becomes an [`InputError`].

use crate::rule::PolicyRule;
use crate::selector::{LabelSelector, scalar_string};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where an object came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Source {
    /// The path as given.
    pub file: String,
    /// 1-based line where the object starts.
    pub line: u64,
}

/// One object to analyse, e.g. one YAML document of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedObject {
    /// The object as parsed (a mapping with `apiVersion`, `kind`, ...).
    pub value: Value,
    /// Where it is.
    pub source: Source,
}

impl SourcedObject {
    /// Convenience constructor.
    pub fn new(value: Value, file: impl Into<String>, line: u64) -> Self {
        SourcedObject {
            value,
            source: Source {
                file: file.into(),
                line,
            },
        }
    }
}

/// A problem with one input object; the object (or the named part) was not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}: {object}: field {field}: {message}", location.file, location.line)]
pub struct InputError {
    /// Where the object starts.
    pub location: Source,
    /// `Kind namespace/name` of the object, as far as known.
    pub object: String,
    /// JSON path of the offending field (`rules[2].verbs`), or `.` for the whole object.
    pub field: String,
    /// What is wrong and what was done about it.
    pub message: String,
}

/// `Role` or `ClusterRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    /// A namespaced Role.
    Role,
    /// A ClusterRole.
    ClusterRole,
}

impl RoleKind {
    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// `RoleBinding` or `ClusterRoleBinding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    /// Grants in its own namespace only.
    RoleBinding,
    /// Grants cluster-wide.
    ClusterRoleBinding,
}

impl BindingKind {
    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

/// The kind of a binding subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum SubjectKind {
    /// A user name (`alice`, `system:kube-controller-manager`).
    User,
    /// A group name (`system:masters`, `system:serviceaccounts:ns`).
    Group,
    /// A service account, `system:serviceaccount:<namespace>:<name>`.
    ServiceAccount,
}

/// A subject as answers name it. A `User` subject spelled
/// `system:serviceaccount:<ns>:<name>` is the same identity as that service account (the
/// authorizer compares user names), so it is reported as the `ServiceAccount`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SubjectRef {
    /// The kind.
    pub kind: SubjectKind,
    /// The name (for service accounts, without the namespace).
    pub name: String,
    /// The namespace, for service accounts only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Sorted by kind, then namespace, then name.
impl Ord for SubjectRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.kind, &self.namespace, &self.name).cmp(&(other.kind, &other.namespace, &other.name))
    }
}

impl PartialOrd for SubjectRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl SubjectRef {
    /// A user.
    pub fn user(name: impl Into<String>) -> Self {
        SubjectRef {
            kind: SubjectKind::User,
            name: name.into(),
            namespace: None,
        }
    }
    /// A group.
    pub fn group(name: impl Into<String>) -> Self {
        SubjectRef {
            kind: SubjectKind::Group,
            name: name.into(),
            namespace: None,
        }
    }
    /// A service account.
    pub fn service_account(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        SubjectRef {
            kind: SubjectKind::ServiceAccount,
            name: name.into(),
            namespace: Some(namespace.into()),
        }
    }

    /// A user name, mapped to the service account it denotes when it has that form.
    pub fn from_user_name(name: &str) -> Self {
        match parse_service_account_user(name) {
            Some((ns, sa)) => SubjectRef::service_account(ns, sa),
            None => SubjectRef::user(name),
        }
    }
}

impl std::fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.kind, &self.namespace) {
            (SubjectKind::ServiceAccount, Some(ns)) => {
                write!(f, "ServiceAccount {ns}/{}", self.name)
            }
            (kind, _) => write!(f, "{kind:?} {}", self.name),
        }
    }
}

/// `system:serviceaccount:<ns>:<name>` -> `(ns, name)`, as `serviceaccount.MatchesUsername`.
pub fn parse_service_account_user(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty()).then_some((ns, name))
}

/// A Role or ClusterRole.
#[derive(Debug, Clone)]
pub(crate) struct RoleObj {
    pub kind: RoleKind,
    /// Empty for ClusterRoles.
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// `Some` when the ClusterRole has an `aggregationRule` (its written rules are then
    /// replaced by the controller).
    pub aggregation: Option<Vec<LabelSelector>>,
    pub rules: Vec<PolicyRule>,
    pub source: Source,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone)]
pub(crate) struct BindingObj {
    pub kind: BindingKind,
    /// Empty for ClusterRoleBindings.
    pub namespace: String,
    pub name: String,
    pub role_kind: RoleKind,
    pub role_name: String,
    /// Canonical subjects (service account namespaces defaulted, user names of service
    /// accounts mapped to the service account).
    pub subjects: Vec<SubjectRef>,
    pub source: Source,
}

/// A pod template (or Pod) running as a service account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WorkloadObj {
    pub namespace: String,
    pub service_account: String,
    pub kind: String,
    pub name: String,
}

/// A legacy `kubernetes.io/service-account-token` Secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TokenSecretObj {
    pub namespace: String,
    pub name: String,
    pub service_account: String,
}

/// Everything RBAC analysis reads from the input.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    pub roles: Vec<RoleObj>,
    pub bindings: Vec<BindingObj>,
    /// `(namespace, name)` of ServiceAccount objects.
    pub service_accounts: BTreeSet<(String, String)>,
    /// Namespace objects and every namespace an object lives in.
    pub namespaces: BTreeSet<String>,
    pub workloads: Vec<WorkloadObj>,
    pub token_secrets: Vec<TokenSecretObj>,
    /// `(group, plural)` of cluster-scoped CustomResourceDefinitions.
    pub cluster_scoped_crds: BTreeSet<(String, String)>,
    /// `(group, plural)` of namespaced CustomResourceDefinitions.
    pub namespaced_crds: BTreeSet<(String, String)>,
    pub errors: Vec<InputError>,
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

impl Inventory {
    pub fn from_objects(objects: &[SourcedObject]) -> Inventory {
        let mut inv = Inventory::default();
        for obj in objects {
            inv.add(&obj.value, &obj.source, 0);
        }
        inv
    }

    fn error(&mut self, source: &Source, object: &str, field: &str, message: impl Into<String>) {
        self.errors.push(InputError {
            location: source.clone(),
            object: object.to_string(),
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn add(&mut self, value: &Value, source: &Source, depth: usize) {
        let Some(map) = value.as_object() else {
            if !value.is_null() {
                self.error(source, "document", ".", "not a mapping; ignored");
            }
            return;
        };
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if kind.ends_with("List")
            && let Some(items) = map.get("items").and_then(Value::as_array)
        {
            if depth > 8 {
                self.error(source, kind, "items", "lists nested too deep; ignored");
                return;
            }
            for item in items {
                self.add(item, source, depth + 1);
            }
            return;
        }
        let meta = map.get("metadata").and_then(Value::as_object);
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let is_rbac = group == RBAC_GROUP;
        match kind {
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" if is_rbac => {
                let cluster = kind.starts_with("Cluster");
                // kubectl puts namespaced objects without a namespace into `default`.
                let namespace = if cluster {
                    String::new()
                } else if namespace.is_empty() {
                    "default".to_string()
                } else {
                    namespace
                };
                let label = if cluster {
                    format!("{kind} {name}")
                } else {
                    format!("{kind} {namespace}/{name}")
                };
                if name.is_empty() {
                    self.error(source, &label, "metadata.name", "missing; object ignored");
                    return;
                }
                if !cluster {
                    self.namespaces.insert(namespace.clone());
                }
                if kind.ends_with("Binding") {
                    self.add_binding(map, kind, namespace, name, &label, source);
                } else {
                    self.add_role(map, meta, kind, namespace, name, &label, source);
                }
            }
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
                if api_version.is_empty() =>
            {
                self.error(
                    source,
                    &format!("{kind} {name}"),
                    "apiVersion",
                    "missing (expected rbac.authorization.k8s.io/v1); object ignored",
                );
            }
            "ServiceAccount" if api_version == "v1" => {
                let ns = if namespace.is_empty() {
                    "default".to_string()
                } else {
                    namespace
                };
                if name.is_empty() {
                    self.error(
                        source,
                        "ServiceAccount",
                        "metadata.name",
                        "missing; ignored",
                    );
                    return;
                }
                self.namespaces.insert(ns.clone());
                self.service_accounts.insert((ns, name));
            }
            "Namespace" if api_version == "v1" => {
                if name.is_empty() {
                    self.error(source, "Namespace", "metadata.name", "missing; ignored");
                    return;
                }
                self.namespaces.insert(name);
            }
            "Secret" if api_version == "v1" => {
                let is_token = map.get("type").and_then(Value::as_str)
                    == Some("kubernetes.io/service-account-token");
                if !is_token {
                    return;
                }
                let ns = if namespace.is_empty() {
                    "default".to_string()
                } else {
                    namespace
                };
                let sa = meta
                    .and_then(|m| m.get("annotations"))
                    .and_then(|a| a.get("kubernetes.io/service-account.name"))
                    .and_then(Value::as_str);
                match sa {
                    Some(sa) if !sa.is_empty() => self.token_secrets.push(TokenSecretObj {
                        namespace: ns,
                        name,
                        service_account: sa.to_string(),
                    }),
                    _ => self.error(
                        source,
                        &format!("Secret {ns}/{name}"),
                        "metadata.annotations[kubernetes.io/service-account.name]",
                        "service-account token Secret names no service account; ignored",
                    ),
                }
            }
            "CustomResourceDefinition" if group == "apiextensions.k8s.io" => {
                let spec = map.get("spec");
                let crd_group = spec.and_then(|s| s.get("group")).and_then(Value::as_str);
                let plural = spec
                    .and_then(|s| s.get("names"))
                    .and_then(|n| n.get("plural"))
                    .and_then(Value::as_str);
                let scope = spec.and_then(|s| s.get("scope")).and_then(Value::as_str);
                match (crd_group, plural, scope) {
                    (Some(g), Some(p), Some("Cluster")) => {
                        self.cluster_scoped_crds.insert((g.to_string(), p.to_string()));
                    }
                    (Some(g), Some(p), Some("Namespaced")) => {
                        self.namespaced_crds.insert((g.to_string(), p.to_string()));
                    }
                    _ => self.error(
                        source,
                        &format!("CustomResourceDefinition {name}"),
                        "spec",
                        "needs spec.group, spec.names.plural and spec.scope (Cluster or Namespaced); scope unknown, treated as namespaced",
                    ),
                }
            }
            _ => {
                if let Some((spec, _)) = pod_spec(map, kind) {
                    let ns = if namespace.is_empty() {
                        "default".to_string()
                    } else {
                        namespace
                    };
                    let sa = spec
                        .get("serviceAccountName")
                        .or_else(|| spec.get("serviceAccount"))
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .unwrap_or("default")
                        .to_string();
                    self.namespaces.insert(ns.clone());
                    self.workloads.push(WorkloadObj {
                        namespace: ns,
                        service_account: sa,
                        kind: kind.to_string(),
                        name,
                    });
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_role(
        &mut self,
        map: &Map<String, Value>,
        meta: Option<&Map<String, Value>>,
        kind: &str,
        namespace: String,
        name: String,
        label: &str,
        source: &Source,
    ) {
        let mut labels = BTreeMap::new();
        if let Some(l) = meta.and_then(|m| m.get("labels")).filter(|v| !v.is_null()) {
            match l.as_object() {
                Some(l) => {
                    for (k, v) in l {
                        match scalar_string(v) {
                            Some(v) => {
                                labels.insert(k.clone(), v);
                            }
                            None => self.error(
                                source,
                                label,
                                &format!("metadata.labels.{k}"),
                                "label value is not a string; label ignored",
                            ),
                        }
                    }
                }
                None => self.error(source, label, "metadata.labels", "not a mapping; ignored"),
            }
        }
        let mut rules = Vec::new();
        match map.get("rules") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match parse_rule(item) {
                        Ok(rule) => rules.push(rule),
                        Err((field, msg)) => {
                            let field = if field.is_empty() {
                                format!("rules[{i}]")
                            } else {
                                format!("rules[{i}].{field}")
                            };
                            self.error(source, label, &field, format!("{msg}; rule ignored"));
                        }
                    }
                }
            }
            Some(_) => self.error(source, label, "rules", "not a list; role has no rules"),
        }
        let mut aggregation = None;
        if let Some(agg) = map.get("aggregationRule").filter(|v| !v.is_null()) {
            if kind != "ClusterRole" {
                self.error(
                    source,
                    label,
                    "aggregationRule",
                    "only ClusterRoles aggregate; ignored",
                );
            } else {
                let mut selectors = Vec::new();
                match agg.get("clusterRoleSelectors") {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            match LabelSelector::parse(item) {
                                Ok(s) => selectors.push(s),
                                Err((field, msg)) => {
                                    let mut path =
                                        format!("aggregationRule.clusterRoleSelectors[{i}]");
                                    if !field.is_empty() {
                                        path = format!("{path}.{field}");
                                    }
                                    self.error(
                                        source,
                                        label,
                                        &path,
                                        format!("{msg}; selector ignored (matches nothing)"),
                                    );
                                }
                            }
                        }
                    }
                    Some(_) => self.error(
                        source,
                        label,
                        "aggregationRule.clusterRoleSelectors",
                        "not a list; aggregates nothing",
                    ),
                }
                aggregation = Some(selectors);
            }
        }
        self.roles.push(RoleObj {
            kind: if kind == "Role" {
                RoleKind::Role
            } else {
                RoleKind::ClusterRole
            },
            namespace,
            name,
            labels,
            aggregation,
            rules,
            source: source.clone(),
        });
    }

    fn add_binding(
        &mut self,
        map: &Map<String, Value>,
        kind: &str,
        namespace: String,
        name: String,
        label: &str,
        source: &Source,
    ) {
        let binding_kind = if kind == "RoleBinding" {
            BindingKind::RoleBinding
        } else {
            BindingKind::ClusterRoleBinding
        };
        let role_ref = map.get("roleRef");
        let ref_kind = role_ref.and_then(|r| r.get("kind")).and_then(Value::as_str);
        let ref_name = role_ref
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let role_kind = match (ref_kind, binding_kind) {
            (Some("ClusterRole"), _) => RoleKind::ClusterRole,
            (Some("Role"), BindingKind::RoleBinding) => RoleKind::Role,
            (Some("Role"), BindingKind::ClusterRoleBinding) => {
                self.error(
                    source,
                    label,
                    "roleRef.kind",
                    "a ClusterRoleBinding can only reference a ClusterRole; binding ignored",
                );
                return;
            }
            _ => {
                self.error(
                    source,
                    label,
                    "roleRef.kind",
                    "missing or not Role/ClusterRole; binding ignored",
                );
                return;
            }
        };
        let Some(role_name) = ref_name else {
            self.error(source, label, "roleRef.name", "missing; binding ignored");
            return;
        };
        let mut subjects = Vec::new();
        match map.get("subjects") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let field = format!("subjects[{i}]");
                    let s_kind = item.get("kind").and_then(Value::as_str);
                    let s_name = item
                        .get("name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty());
                    let s_ns = item
                        .get("namespace")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty());
                    let Some(s_name) = s_name else {
                        self.error(
                            source,
                            label,
                            &format!("{field}.name"),
                            "missing; subject ignored",
                        );
                        continue;
                    };
                    match s_kind {
                        Some("User") => subjects.push(SubjectRef::from_user_name(s_name)),
                        Some("Group") => subjects.push(SubjectRef::group(s_name)),
                        Some("ServiceAccount") => {
                            // appliesToUser defaults the namespace to the binding's namespace;
                            // cluster-wide there is none and the subject never applies.
                            let ns = s_ns
                                .map(str::to_string)
                                .or_else(|| (!namespace.is_empty()).then(|| namespace.clone()));
                            match ns {
                                Some(ns) => {
                                    self.namespaces.insert(ns.clone());
                                    subjects.push(SubjectRef::service_account(ns, s_name));
                                }
                                None => self.error(
                                    source,
                                    label,
                                    &format!("{field}.namespace"),
                                    "ServiceAccount subject without namespace in a ClusterRoleBinding never applies; subject ignored",
                                ),
                            }
                        }
                        other => self.error(
                            source,
                            label,
                            &format!("{field}.kind"),
                            format!(
                                "unknown subject kind {:?}; subject ignored",
                                other.unwrap_or("")
                            ),
                        ),
                    }
                }
            }
            Some(_) => self.error(
                source,
                label,
                "subjects",
                "not a list; binding has no subjects",
            ),
        }
        self.bindings.push(BindingObj {
            kind: binding_kind,
            namespace,
            name,
            role_kind,
            role_name: role_name.to_string(),
            subjects,
            source: source.clone(),
        });
    }
}

/// The pod spec of a Pod or pod controller, and the JSON path to it.
fn pod_spec<'a>(
    map: &'a Map<String, Value>,
    kind: &str,
) -> Option<(&'a Map<String, Value>, &'static str)> {
    let spec = map.get("spec")?;
    let (value, path) = match kind {
        "Pod" => (Some(spec), "spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job"
        | "PodTemplate" => (
            spec.get("template").and_then(|t| t.get("spec")),
            "spec.template.spec",
        ),
        "CronJob" => (
            spec.get("jobTemplate")
                .and_then(|j| j.get("spec"))
                .and_then(|s| s.get("template"))
                .and_then(|t| t.get("spec")),
            "spec.jobTemplate.spec.template.spec",
        ),
        _ => (None, ""),
    };
    value.and_then(Value::as_object).map(|m| (m, path))
}

/// Parses one rule; the error names the field relative to the rule.
fn parse_rule(value: &Value) -> Result<PolicyRule, (String, String)> {
    let Some(map) = value.as_object() else {
        return Err((String::new(), "not a mapping".into()));
    };
    let list = |field: &str| -> Result<Vec<String>, (String, String)> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| (field.to_string(), "entries must be strings".to_string()))
                })
                .collect(),
            Some(_) => Err((field.to_string(), "not a list".into())),
        }
    };
    let rule = PolicyRule {
        verbs: list("verbs")?,
        api_groups: list("apiGroups")?,
        resources: list("resources")?,
        resource_names: list("resourceNames")?,
        non_resource_urls: list("nonResourceURLs")?,
    };
    if rule.verbs.is_empty() {
        return Err((
            "verbs".into(),
            "missing or empty (the apiserver rejects it)".into(),
        ));
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inv(values: Vec<Value>) -> Inventory {
        let objs: Vec<SourcedObject> = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| SourcedObject::new(v, "in.yaml", i as u64 + 1))
            .collect();
        Inventory::from_objects(&objs)
    }

    #[test]
    fn bad_rules_and_subjects_are_reported_with_their_field() {
        let i = inv(vec![
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": "r", "namespace": "a"},
                   "rules": [{"apiGroups": [""], "resources": ["pods"]},
                             {"verbs": "get", "resources": ["pods"]},
                             {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": "b"},
                   "roleRef": {"kind": "ClusterRole", "name": "x"},
                   "subjects": [{"kind": "ServiceAccount", "name": "sa"},
                                {"kind": "Robot", "name": "r2"},
                                {"kind": "User", "name": "system:serviceaccount:ns1:sa1"}]}),
            json!("just a string"),
            json!({"kind": "Role", "metadata": {"name": "no-version"}}),
        ]);
        assert_eq!(i.roles.len(), 1);
        assert_eq!(i.roles[0].rules.len(), 1);
        let fields: Vec<&str> = i.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rules[0].verbs",
                "rules[1].verbs",
                "subjects[0].namespace",
                "subjects[1].kind",
                ".",
                "apiVersion"
            ]
        );
        assert_eq!(i.errors[2].location.line, 2);
        assert_eq!(
            i.bindings[0].subjects,
            vec![SubjectRef::service_account("ns1", "sa1")]
        );
        assert!(
            i.errors[0]
                .to_string()
                .starts_with("in.yaml:1: Role a/r: field rules[0].verbs")
        );
    }

    #[test]
    fn lists_namespaces_workloads_and_token_secrets_are_read() {
        let i = inv(vec![json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"},
             "subjects": [{"kind": "ServiceAccount", "name": "sa"}]},
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "jobs"},
             "spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "runner"}}}}}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "jobs"}, "spec": {}},
            {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
             "metadata": {"name": "t", "namespace": "jobs", "annotations": {"kubernetes.io/service-account.name": "runner"}}}
        ]})]);
        // RoleBinding without namespace lands in `default`, and so does its SA subject.
        assert_eq!(i.bindings[0].namespace, "default");
        assert_eq!(
            i.bindings[0].subjects,
            vec![SubjectRef::service_account("default", "sa")]
        );
        let sas: Vec<(&str, &str)> = i
            .workloads
            .iter()
            .map(|w| (w.namespace.as_str(), w.service_account.as_str()))
            .collect();
        assert_eq!(sas, [("jobs", "runner"), ("jobs", "default")]);
        assert_eq!(i.token_secrets[0].service_account, "runner");
        assert!(i.namespaces.contains("jobs") && i.namespaces.contains("default"));
        assert!(i.errors.is_empty(), "{:?}", i.errors);
    }
}
