//! The resolved RBAC graph and the authorizer over it.
//!
//! [`Analysis::build`] indexes roles and bindings, resolves ClusterRole aggregation the way the
//! clusterrole-aggregation controller would (transitively, from the labels in the input), and
//! then answers two kinds of questions: [`Analysis::authorize`] decides one request for one
//! identity exactly like `RBACAuthorizer.Authorize` (plus the `system:masters` bypass in front
//! of it), and the crate-internal grant enumeration lists every (binding, rule) that allows a
//! request pattern, which `who_can` and `schedule_code` group by subject.

use crate::input::{
    BindingKind, BindingObj, InputError, Inventory, RoleKind, RoleObj, SourcedObject, SubjectKind,
    SubjectRef,
};
use crate::rule::{NameScope, PolicyRule, RequestAttributes, ResourceAttributes, uncovered};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// The group that bypasses authorization entirely (`user.SystemPrivilegedGroup`).
pub const SYSTEM_MASTERS: &str = "system:masters";
/// Every authenticated identity is in this group.
pub const SYSTEM_AUTHENTICATED: &str = "system:authenticated";
/// Every service account is in this group.
pub const SYSTEM_SERVICEACCOUNTS: &str = "system:serviceaccounts";

/// Where a permission holds: every namespace (`*`, a ClusterRoleBinding) or one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Cluster-wide: every namespace and cluster-scoped objects.
    All,
    /// One namespace (for `namespaces` itself: that Namespace object).
    Namespace(String),
}

impl Scope {
    /// `*` or the namespace name.
    pub fn as_str(&self) -> &str {
        match self {
            Scope::All => "*",
            Scope::Namespace(ns) => ns,
        }
    }

    /// Whether this scope includes `other`.
    pub fn includes(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::All, _) => true,
            (Scope::Namespace(a), Scope::Namespace(b)) => a == b,
            (Scope::Namespace(_), Scope::All) => false,
        }
    }

    /// The narrower of two scopes when one includes the other, else `None`.
    pub fn intersect(&self, other: &Scope) -> Option<Scope> {
        if self.includes(other) {
            Some(other.clone())
        } else if other.includes(self) {
            Some(self.clone())
        } else {
            None
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A binding or role as answers name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    /// `RoleBinding`, `ClusterRoleBinding`, `Role`, `ClusterRole`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace of namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One link of the chain subject -> binding -> role -> (aggregated source roles) -> rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Grant {
    /// The binding naming the subject.
    pub binding: ObjectRef,
    /// The role it references.
    pub role: ObjectRef,
    /// For aggregated ClusterRoles: the chain of ClusterRoles the rule was aggregated through,
    /// ending with the one that wrote it (`["edit", "system:aggregate-to-edit"]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aggregated_from: Vec<String>,
    /// The rule that matched.
    pub rule: PolicyRule,
}

/// An authenticated identity, as the authorizer sees it (`user.Info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// User name (`system:serviceaccount:<ns>:<name>` for service accounts).
    pub name: String,
    /// Group names.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A service account with the groups the token authenticator gives it.
    pub fn service_account(namespace: &str, name: &str) -> UserInfo {
        UserInfo {
            name: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                SYSTEM_SERVICEACCOUNTS.to_string(),
                format!("{SYSTEM_SERVICEACCOUNTS}:{namespace}"),
                SYSTEM_AUTHENTICATED.to_string(),
            ],
        }
    }

    /// A user with the given groups plus `system:authenticated`.
    pub fn authenticated(name: &str, groups: &[&str]) -> UserInfo {
        let mut g: Vec<String> = groups.iter().map(|s| s.to_string()).collect();
        if !g.iter().any(|x| x == SYSTEM_AUTHENTICATED) {
            g.push(SYSTEM_AUTHENTICATED.to_string());
        }
        UserInfo {
            name: name.to_string(),
            groups: g,
        }
    }

    /// Whether this identity is in `system:masters`.
    pub fn is_superuser(&self) -> bool {
        self.groups.iter().any(|g| g == SYSTEM_MASTERS)
    }

    /// `appliesToUser`, with subjects already canonical.
    fn is(&self, subject: &SubjectRef) -> bool {
        match subject.kind {
            SubjectKind::User => self.name == subject.name,
            SubjectKind::Group => self.groups.iter().any(|g| g == &subject.name),
            SubjectKind::ServiceAccount => match &subject.namespace {
                Some(ns) => {
                    crate::input::parse_service_account_user(&self.name)
                        == Some((ns.as_str(), subject.name.as_str()))
                }
                None => false,
            },
        }
    }
}

/// An authorization decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allowed or not (RBAC has no deny: not allowed means no opinion).
    pub allowed: bool,
    /// Allowed because the identity is in `system:masters`.
    pub superuser: bool,
    /// Every grant that allows it.
    pub via: Vec<Grant>,
}

/// A rule of a role after aggregation, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct EffectiveRule {
    pub rule: PolicyRule,
    pub aggregated_from: Vec<String>,
}

/// How the apiserver scopes requests on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceScope {
    Namespaced,
    Cluster,
    /// `namespaces`: a request on one Namespace object carries it as its namespace, so a
    /// RoleBinding in `N` can grant get/patch/update/delete on Namespace `N` itself.
    NamespaceObject,
}

/// Which names a grant enumeration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameQuery<'a> {
    /// Exactly this name; `""` is a request without a name (create, list, ...).
    Exact(&'a str),
    /// Every name; the grant reports which names it covers.
    Any,
}

/// A request pattern for grant enumeration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub name: NameQuery<'a>,
    /// Restrict to grants effective in this namespace (cluster-wide grants included).
    pub namespace: Option<&'a str>,
}

/// A raw grant: which binding and which of its role's effective rules.
#[derive(Debug, Clone)]
pub(crate) struct RawGrant {
    pub binding: usize,
    pub rule: usize,
    pub scope: Scope,
    /// `None`: every name; `Some(names)`: only these.
    pub names: Option<Vec<String>>,
}

/// The analysed input. Build once, ask many questions.
#[derive(Debug)]
pub struct Analysis {
    pub(crate) inv: Inventory,
    /// `(kind, namespace, name)` -> role index (the last definition wins).
    role_index: HashMap<(RoleKind, String, String), usize>,
    /// Effective rules per role index.
    pub(crate) effective: Vec<Vec<EffectiveRule>>,
    /// Per aggregating ClusterRole: every ClusterRole its rules are aggregated from,
    /// transitively (rewriting any of them changes it).
    pub(crate) aggregation_sources: Vec<Vec<usize>>,
    /// Resolved role per binding.
    pub(crate) binding_role: Vec<Option<usize>>,
    cluster_bindings: Vec<usize>,
    namespace_bindings: HashMap<String, Vec<usize>>,
}

impl Analysis {
    /// Indexes the objects and resolves aggregation. Objects of other kinds are ignored
    /// (except ServiceAccounts, Namespaces, token Secrets, pod templates and CRDs, which the
    /// indirect paths use).
    pub fn build(objects: &[SourcedObject]) -> Analysis {
        let inv = Inventory::from_objects(objects);
        Analysis::from_inventory(inv)
    }

    fn from_inventory(mut inv: Inventory) -> Analysis {
        let mut role_index = HashMap::new();
        let mut duplicates = Vec::new();
        for (i, role) in inv.roles.iter().enumerate() {
            let key = (role.kind, role.namespace.clone(), role.name.clone());
            if let Some(prev) = role_index.insert(key, i) {
                duplicates.push((prev, i));
            }
        }
        for (prev, i) in duplicates {
            let (old, new) = (&inv.roles[prev], &inv.roles[i]);
            // The same object given twice (e.g. two overlapping manifest sets) is no conflict.
            if old.rules == new.rules
                && old.labels == new.labels
                && old.aggregation == new.aggregation
            {
                continue;
            }
            inv.errors.push(InputError {
                location: old.source.clone(),
                object: role_label(old),
                field: ".".into(),
                message: format!(
                    "defined again at {}:{}; the later definition is used",
                    new.source.file, new.source.line
                ),
            });
        }
        drop_superseded_bindings(&mut inv);
        let (effective, aggregation_sources) = resolve_aggregation(&inv.roles, &role_index);
        for (i, role) in inv.roles.iter().enumerate() {
            if role.aggregation.is_none()
                || role_index.get(&(role.kind, role.namespace.clone(), role.name.clone()))
                    != Some(&i)
            {
                continue;
            }
            let kept = effective.get(i).map(Vec::as_slice).unwrap_or(&[]);
            let dropped = role
                .rules
                .iter()
                .filter(|r| !kept.iter().any(|k| &k.rule == *r))
                .count();
            if dropped > 0 {
                inv.errors.push(InputError {
                    location: role.source.clone(),
                    object: role_label(role),
                    field: "rules".into(),
                    message: format!(
                        "has an aggregationRule, so the controller replaces its rules with those of the ClusterRoles it selects; {dropped} written rule(s) not among them are ignored"
                    ),
                });
            }
        }
        let mut binding_role = Vec::with_capacity(inv.bindings.len());
        let mut cluster_bindings = Vec::new();
        let mut namespace_bindings: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, b) in inv.bindings.iter().enumerate() {
            let role_ns = match b.role_kind {
                RoleKind::Role => b.namespace.clone(),
                RoleKind::ClusterRole => String::new(),
            };
            binding_role.push(
                role_index
                    .get(&(b.role_kind, role_ns, b.role_name.clone()))
                    .copied(),
            );
            match b.kind {
                BindingKind::ClusterRoleBinding => cluster_bindings.push(i),
                BindingKind::RoleBinding => namespace_bindings
                    .entry(b.namespace.clone())
                    .or_default()
                    .push(i),
            }
        }
        Analysis {
            inv,
            role_index,
            effective,
            aggregation_sources,
            binding_role,
            cluster_bindings,
            namespace_bindings,
        }
    }

    /// Problems found in the input (each names file, line and field).
    pub fn errors(&self) -> &[InputError] {
        &self.inv.errors
    }

    /// Number of roles and bindings read.
    pub fn counts(&self) -> (usize, usize) {
        (self.inv.roles.len(), self.inv.bindings.len())
    }

    /// Bindings whose role is not in the input: `(binding, missing role)`.
    pub fn dangling_bindings(&self) -> Vec<(ObjectRef, ObjectRef)> {
        self.binding_role
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_none())
            .filter_map(|(i, _)| self.inv.bindings.get(i))
            .map(|b| (binding_ref(b), role_ref_of(b)))
            .collect()
    }

    pub(crate) fn role_lookup(&self, kind: RoleKind, namespace: &str, name: &str) -> Option<usize> {
        let ns = match kind {
            RoleKind::Role => namespace.to_string(),
            RoleKind::ClusterRole => String::new(),
        };
        self.role_index.get(&(kind, ns, name.to_string())).copied()
    }

    pub(crate) fn binding(&self, i: usize) -> Option<&BindingObj> {
        self.inv.bindings.get(i)
    }

    pub(crate) fn role(&self, i: usize) -> Option<&RoleObj> {
        self.inv.roles.get(i)
    }

    /// How requests on `group`/`resource` are scoped (built-in table plus CRDs of the input).
    pub(crate) fn resource_scope(&self, group: &str, resource: &str) -> ResourceScope {
        if group.is_empty() && resource == "namespaces" {
            return ResourceScope::NamespaceObject;
        }
        let key = (group.to_string(), resource.to_string());
        if self.inv.cluster_scoped_crds.contains(&key) {
            return ResourceScope::Cluster;
        }
        if self.inv.namespaced_crds.contains(&key) {
            return ResourceScope::Namespaced;
        }
        if is_builtin_cluster_scoped(group, resource) {
            ResourceScope::Cluster
        } else {
            ResourceScope::Namespaced
        }
    }

    /// The public form of a raw grant.
    pub(crate) fn grant(&self, raw: &RawGrant) -> Option<Grant> {
        let b = self.inv.bindings.get(raw.binding)?;
        let role = (*self.binding_role.get(raw.binding)?)?;
        let eff = self.effective.get(role)?.get(raw.rule)?;
        Some(Grant {
            binding: binding_ref(b),
            role: role_ref_of(b),
            aggregated_from: eff.aggregated_from.clone(),
            rule: eff.rule.clone(),
        })
    }

    /// Every (binding, rule) that allows the probe, with the scope it holds in.
    pub(crate) fn grants(&self, probe: &Probe<'_>) -> Vec<RawGrant> {
        let mut out = Vec::new();
        // `bind` is checked in the namespace of the binding being written, whatever the
        // role's scope; everything else follows the resource's scope.
        let scope_kind = if probe.verb == "bind" {
            ResourceScope::Namespaced
        } else {
            self.resource_scope(probe.group, probe.resource)
        };
        let nameless_verb = matches!(probe.verb, "create" | "list" | "watch" | "deletecollection");
        let attrs = ResourceAttributes {
            verb: probe.verb.to_string(),
            group: probe.group.to_string(),
            resource: probe.resource.to_string(),
            subresource: probe.subresource.to_string(),
            ..ResourceAttributes::default()
        };
        let visit =
            |out: &mut Vec<RawGrant>, bi: usize, scope: Scope, implied_name: Option<&str>| {
                let Some(Some(role)) = self.binding_role.get(bi) else {
                    return;
                };
                let Some(rules) = self.effective.get(*role) else {
                    return;
                };
                for (ri, eff) in rules.iter().enumerate() {
                    let Some(names) = eff.rule.allows_names(&attrs) else {
                        continue;
                    };
                    let wanted = implied_name.map(NameQuery::Exact).unwrap_or(probe.name);
                    let names = match (wanted, names) {
                        (NameQuery::Exact(n), ns) => {
                            if !ns.covers(n) {
                                continue;
                            }
                            None
                        }
                        (NameQuery::Any, NameScope::Any) => None,
                        (NameQuery::Any, NameScope::Only(ns)) => Some(ns.to_vec()),
                    };
                    out.push(RawGrant {
                        binding: bi,
                        rule: ri,
                        scope: scope.clone(),
                        names,
                    });
                }
            };
        for &bi in &self.cluster_bindings {
            visit(&mut out, bi, Scope::All, None);
        }
        let namespaced = match scope_kind {
            ResourceScope::Cluster => false,
            ResourceScope::Namespaced => true,
            ResourceScope::NamespaceObject => !nameless_verb,
        };
        if !namespaced {
            return out;
        }
        let mut visit_ns = |ns: &str, bindings: &[usize]| {
            let implied = match scope_kind {
                // The Namespace object's name is the request's namespace.
                ResourceScope::NamespaceObject => {
                    if let NameQuery::Exact(n) = probe.name
                        && !n.is_empty()
                        && n != ns
                    {
                        return;
                    }
                    Some(ns)
                }
                _ => None,
            };
            for &bi in bindings {
                visit(&mut out, bi, Scope::Namespace(ns.to_string()), implied);
            }
        };
        match probe.namespace {
            Some(ns) => {
                if let Some(bs) = self.namespace_bindings.get(ns) {
                    visit_ns(ns, bs);
                }
            }
            None => {
                let mut keys: Vec<&String> = self.namespace_bindings.keys().collect();
                keys.sort();
                for ns in keys {
                    if let Some(bs) = self.namespace_bindings.get(ns) {
                        visit_ns(ns, bs);
                    }
                }
            }
        }
        out
    }

    /// Every rule bound to `subject` exactly as named (its groups are subjects of their own),
    /// with the scope each holds in: what `rbac-tool policy-rules` lists.
    pub fn rules_of_subject(&self, subject: &SubjectRef) -> Vec<(Scope, Grant)> {
        let mut out = Vec::new();
        for (bi, b) in self.inv.bindings.iter().enumerate() {
            if !b.subjects.contains(subject) {
                continue;
            }
            let scope = match b.kind {
                BindingKind::ClusterRoleBinding => Scope::All,
                BindingKind::RoleBinding => Scope::Namespace(b.namespace.clone()),
            };
            let Some(Some(role)) = self.binding_role.get(bi) else {
                continue;
            };
            let n = self.effective.get(*role).map(Vec::len).unwrap_or(0);
            for rule in 0..n {
                let raw = RawGrant {
                    binding: bi,
                    rule,
                    scope: scope.clone(),
                    names: None,
                };
                if let Some(g) = self.grant(&raw) {
                    out.push((scope.clone(), g));
                }
            }
        }
        out
    }

    /// Every (ClusterRoleBinding, rule) allowing a non-resource request: RoleBindings never
    /// apply, since such requests have no namespace.
    pub(crate) fn non_resource_grants(&self, verb: &str, path: &str) -> Vec<RawGrant> {
        let request = RequestAttributes::NonResource {
            verb: verb.to_string(),
            path: path.to_string(),
        };
        let mut out = Vec::new();
        for &bi in &self.cluster_bindings {
            let Some(Some(role)) = self.binding_role.get(bi) else {
                continue;
            };
            let Some(rules) = self.effective.get(*role) else {
                continue;
            };
            for (ri, eff) in rules.iter().enumerate() {
                if eff.rule.allows(&request) {
                    out.push(RawGrant {
                        binding: bi,
                        rule: ri,
                        scope: Scope::All,
                        names: None,
                    });
                }
            }
        }
        out
    }

    /// `RBACAuthorizer.Authorize`, with the `system:masters` bypass in front: whether `user` may
    /// make `request`, and every grant that allows it. The attributes are used as given, like
    /// the apiserver's request info: `namespace` empty for cluster-scoped requests, the
    /// Namespace's own name for a request on one Namespace object, the binding's namespace for
    /// `bind`; `name` empty for create / list / watch / deletecollection.
    pub fn authorize(&self, user: &UserInfo, request: &RequestAttributes) -> Decision {
        let superuser = user.is_superuser();
        let mut via = Vec::new();
        // The attributes are taken as given, as the authorizer does: the namespace is what
        // the apiserver's request info would carry ("" for cluster-scoped requests, the name
        // for a request on one Namespace object, the binding's namespace for `bind`).
        let namespace = match request {
            RequestAttributes::Resource(r) => r.namespace.clone(),
            RequestAttributes::NonResource { .. } => String::new(),
        };
        let mut check = |bi: usize| {
            let Some(b) = self.inv.bindings.get(bi) else {
                return;
            };
            if !b.subjects.iter().any(|s| user.is(s)) {
                return;
            }
            let Some(Some(role)) = self.binding_role.get(bi) else {
                return;
            };
            let Some(rules) = self.effective.get(*role) else {
                return;
            };
            for (ri, eff) in rules.iter().enumerate() {
                if eff.rule.allows(request) {
                    let raw = RawGrant {
                        binding: bi,
                        rule: ri,
                        scope: Scope::All,
                        names: None,
                    };
                    if let Some(g) = self.grant(&raw) {
                        via.push(g);
                    }
                }
            }
        };
        for &bi in &self.cluster_bindings {
            check(bi);
        }
        if !namespace.is_empty()
            && let Some(bs) = self.namespace_bindings.get(&namespace)
        {
            for &bi in bs {
                check(bi);
            }
        }
        Decision {
            allowed: superuser || !via.is_empty(),
            superuser,
            via,
        }
    }

    /// `RulesFor(user, namespace)`: every rule that applies to `user` in `namespace` (`""`:
    /// cluster-wide rules only).
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<&PolicyRule> {
        let mut out = Vec::new();
        let mut add = |bi: usize| {
            let Some(b) = self.inv.bindings.get(bi) else {
                return;
            };
            if !b.subjects.iter().any(|s| user.is(s)) {
                return;
            }
            if let Some(Some(role)) = self.binding_role.get(bi)
                && let Some(rules) = self.effective.get(*role)
            {
                out.extend(rules.iter().map(|e| &e.rule));
            }
        };
        for &bi in &self.cluster_bindings {
            add(bi);
        }
        if !namespace.is_empty()
            && let Some(bs) = self.namespace_bindings.get(namespace)
        {
            for &bi in bs {
                add(bi);
            }
        }
        out
    }

    /// Effective rules (after aggregation) of a role, if it is in the input.
    pub fn role_rules(
        &self,
        kind: RoleKind,
        namespace: &str,
        name: &str,
    ) -> Option<Vec<PolicyRule>> {
        let i = self.role_lookup(kind, namespace, name)?;
        self.effective
            .get(i)
            .map(|rules| rules.iter().map(|e| e.rule.clone()).collect())
    }

    /// Whether `user` may write (`verb`: `create`, `update` or `patch`) the Role `namespace/name`
    /// (or ClusterRole `name`) with `new_rules`: the request itself must be authorised, and then
    /// either `escalate` on that role, `system:masters`, or already holding every new rule in
    /// the role's namespace (`ConfirmNoEscalation`).
    pub fn can_write_role(
        &self,
        user: &UserInfo,
        kind: RoleKind,
        namespace: &str,
        name: &str,
        verb: &str,
        new_rules: &[PolicyRule],
    ) -> bool {
        let (resource, ns) = match kind {
            RoleKind::Role => ("roles", namespace),
            RoleKind::ClusterRole => ("clusterroles", ""),
        };
        // A create request has no name.
        let request_name = if verb == "create" { "" } else { name };
        let req = |verb: &str| {
            RequestAttributes::Resource(ResourceAttributes {
                verb: verb.to_string(),
                group: "rbac.authorization.k8s.io".into(),
                resource: resource.into(),
                subresource: String::new(),
                name: request_name.into(),
                namespace: ns.into(),
            })
        };
        if !self.authorize(user, &req(verb)).allowed {
            return false;
        }
        user.is_superuser()
            || self.authorize(user, &req("escalate")).allowed
            || uncovered(&self.rules_for(user, ns), new_rules).is_empty()
    }

    /// Whether `user` may create a binding (a RoleBinding in `Some(namespace)`, else a
    /// ClusterRoleBinding) to the given role: create on the binding resource, and then `bind`
    /// on the role checked in the binding's namespace, `system:masters`, or already holding
    /// all of the role's rules there. A role missing from the input can only be bound with
    /// `bind`.
    pub fn can_bind_role(
        &self,
        user: &UserInfo,
        binding_namespace: Option<&str>,
        role_kind: RoleKind,
        role_name: &str,
    ) -> bool {
        let (binding_resource, ns) = match binding_namespace {
            Some(ns) => ("rolebindings", ns),
            None => ("clusterrolebindings", ""),
        };
        if role_kind == RoleKind::Role && binding_namespace.is_none() {
            return false;
        }
        let create = RequestAttributes::Resource(ResourceAttributes {
            verb: "create".into(),
            group: "rbac.authorization.k8s.io".into(),
            resource: binding_resource.into(),
            namespace: ns.into(),
            ..ResourceAttributes::default()
        });
        if !self.authorize(user, &create).allowed {
            return false;
        }
        if user.is_superuser() {
            return true;
        }
        let bind = RequestAttributes::Resource(ResourceAttributes {
            verb: "bind".into(),
            group: "rbac.authorization.k8s.io".into(),
            resource: match role_kind {
                RoleKind::Role => "roles".into(),
                RoleKind::ClusterRole => "clusterroles".into(),
            },
            name: role_name.into(),
            namespace: ns.into(),
            ..ResourceAttributes::default()
        });
        if self.authorize(user, &bind).allowed {
            return true;
        }
        match self.role_rules(role_kind, ns, role_name) {
            Some(rules) => uncovered(&self.rules_for(user, ns), &rules).is_empty(),
            None => false,
        }
    }
}

/// Keeps the last definition of each binding (as `kubectl apply` would); an identical repeat
/// is dropped quietly, a different one is reported.
fn drop_superseded_bindings(inv: &mut Inventory) {
    let mut last: HashMap<(BindingKind, String, String), usize> = HashMap::new();
    for (i, b) in inv.bindings.iter().enumerate() {
        last.insert((b.kind, b.namespace.clone(), b.name.clone()), i);
    }
    if last.len() == inv.bindings.len() {
        return;
    }
    let mut keep = vec![true; inv.bindings.len()];
    for (i, b) in inv.bindings.iter().enumerate() {
        let Some(&winner) = last.get(&(b.kind, b.namespace.clone(), b.name.clone())) else {
            continue;
        };
        if winner == i {
            continue;
        }
        keep[i] = false;
        let w = &inv.bindings[winner];
        if w.role_kind != b.role_kind || w.role_name != b.role_name || w.subjects != b.subjects {
            let label = match b.kind {
                BindingKind::RoleBinding => format!("RoleBinding {}/{}", b.namespace, b.name),
                BindingKind::ClusterRoleBinding => format!("ClusterRoleBinding {}", b.name),
            };
            inv.errors.push(InputError {
                location: b.source.clone(),
                object: label,
                field: ".".into(),
                message: format!(
                    "defined again at {}:{}; the later definition is used",
                    w.source.file, w.source.line
                ),
            });
        }
    }
    let mut flags = keep.into_iter();
    inv.bindings.retain(|_| flags.next().unwrap_or(true));
}

pub(crate) fn binding_ref(b: &BindingObj) -> ObjectRef {
    ObjectRef {
        kind: b.kind.as_str().to_string(),
        name: b.name.clone(),
        namespace: (!b.namespace.is_empty()).then(|| b.namespace.clone()),
    }
}

pub(crate) fn role_ref_of(b: &BindingObj) -> ObjectRef {
    ObjectRef {
        kind: b.role_kind.as_str().to_string(),
        name: b.role_name.clone(),
        namespace: (b.role_kind == RoleKind::Role).then(|| b.namespace.clone()),
    }
}

fn role_label(r: &RoleObj) -> String {
    match r.kind {
        RoleKind::Role => format!("Role {}/{}", r.namespace, r.name),
        RoleKind::ClusterRole => format!("ClusterRole {}", r.name),
    }
}

/// The clusterrole-aggregation controller's result: a ClusterRole with an `aggregationRule`
/// gets the rules of every other ClusterRole its selectors match (its own written rules are
/// replaced), transitively. Each rule records the chain it came through.
fn resolve_aggregation(
    roles: &[RoleObj],
    index: &HashMap<(RoleKind, String, String), usize>,
) -> (Vec<Vec<EffectiveRule>>, Vec<Vec<usize>>) {
    // Only the winning definition of each name takes part.
    let live: Vec<usize> = {
        let mut v: Vec<usize> = index
            .iter()
            .filter(|((k, _, _), _)| *k == RoleKind::ClusterRole)
            .map(|(_, &i)| i)
            .collect();
        v.sort_by(|a, b| roles[*a].name.cmp(&roles[*b].name));
        v
    };
    let mut matched: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &live {
        if let Some(selectors) = &roles[i].aggregation {
            let m: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&j| j != i && selectors.iter().any(|s| s.matches(&roles[j].labels)))
                .collect();
            matched.insert(i, m);
        }
    }
    let mut sources = vec![Vec::new(); roles.len()];
    let effective = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            let Some(direct) = matched.get(&i) else {
                return role
                    .rules
                    .iter()
                    .map(|r| EffectiveRule {
                        rule: r.clone(),
                        aggregated_from: Vec::new(),
                    })
                    .collect();
            };
            let mut out = Vec::new();
            let mut seen = vec![false; roles.len()];
            if let Some(s) = seen.get_mut(i) {
                *s = true;
            }
            let mut queue: VecDeque<(usize, Vec<String>)> = direct
                .iter()
                .map(|&j| (j, vec![roles[j].name.clone()]))
                .collect();
            while let Some((j, chain)) = queue.pop_front() {
                if std::mem::replace(&mut seen[j], true) {
                    continue;
                }
                sources[i].push(j);
                match matched.get(&j) {
                    Some(next) => {
                        for &k in next {
                            let mut c = chain.clone();
                            c.push(roles[k].name.clone());
                            queue.push_back((k, c));
                        }
                    }
                    None => out.extend(roles[j].rules.iter().map(|r| EffectiveRule {
                        rule: r.clone(),
                        aggregated_from: chain.clone(),
                    })),
                }
            }
            out
        })
        .collect();
    (effective, sources)
}

/// Built-in cluster-scoped resources: requests on them carry no namespace, so only
/// ClusterRoleBindings can grant them.
fn is_builtin_cluster_scoped(group: &str, resource: &str) -> bool {
    matches!(
        (group, resource),
        (
            "",
            "nodes" | "persistentvolumes" | "componentstatuses" | "users" | "groups"
        ) | (
            "rbac.authorization.k8s.io",
            "clusterroles" | "clusterrolebindings"
        ) | (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations"
                | "mutatingwebhookconfigurations"
                | "validatingadmissionpolicies"
                | "validatingadmissionpolicybindings"
                | "mutatingadmissionpolicies"
                | "mutatingadmissionpolicybindings"
        ) | ("apiextensions.k8s.io", "customresourcedefinitions")
            | ("apiregistration.k8s.io", "apiservices")
            | (
                "storage.k8s.io",
                "storageclasses"
                    | "csidrivers"
                    | "csinodes"
                    | "volumeattachments"
                    | "volumeattributesclasses"
            )
            | ("scheduling.k8s.io", "priorityclasses")
            | ("node.k8s.io", "runtimeclasses")
            | (
                "certificates.k8s.io",
                "certificatesigningrequests" | "clustertrustbundles"
            )
            | (
                "networking.k8s.io",
                "ingressclasses" | "ipaddresses" | "servicecidrs"
            )
            | (
                "authentication.k8s.io",
                "tokenreviews" | "selfsubjectreviews" | "userextras" | "uids"
            )
            | (
                "authorization.k8s.io",
                "subjectaccessreviews" | "selfsubjectaccessreviews" | "selfsubjectrulesreviews"
            )
            | (
                "flowcontrol.apiserver.k8s.io",
                "flowschemas" | "prioritylevelconfigurations"
            )
            | ("resource.k8s.io", "deviceclasses" | "resourceslices")
            | ("internal.apiserver.k8s.io", "storageversions")
            | ("metrics.k8s.io", "nodes")
    )
}
