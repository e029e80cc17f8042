//! The technique's question (T1053.007): who can get code run by the orchestrator through
//! Jobs and CronJobs, directly or one pivot away.
//!
//! * `direct`: create / update / patch on `jobs` or `cronjobs` in group `batch` (create needs a
//!   rule without `resourceNames`; update/patch limited to names are reported with `names`).
//! * `escalate`: `escalate` plus `update`/`patch` on a role the subject is bound to (or on a
//!   ClusterRole aggregated into it; `create` for a bound role missing from the input).
//! * `bind`: `bind` on a role that allows batch writes, plus create/update/patch on
//!   RoleBindings (in the same namespace) or ClusterRoleBindings.
//! * `impersonate`: a user, a group (with any user to carry it; `system:masters` is the
//!   superuser) or a service account that writes batch objects.
//! * `token`: TokenRequest (`serviceaccounts/token`), reading a legacy token Secret present in
//!   the input, or creating a `kubernetes.io/service-account-token` Secret, for such an SA.
//! * `pod-with-serviceaccount`: creating pods or pod controllers (or patching a controller's
//!   template) in a namespace where such an SA exists: the pod runs as any SA of the namespace.
//! * `exec`: exec / attach / ephemeral containers into pods that, per the input, run as such an
//!   SA (a Pod or pod template naming it must be in the input: no pod, no path).
//! * `admission-tamper`: write or delete webhook configurations and admission policies, or
//!   update/patch Namespaces (Pod Security labels): not a batch write itself, but it removes the
//!   controls that would stop one.
//!
//! A pivot's scope is where the pivot identity writes batch objects. Group grants are reported
//! for the group; a service account or user is reported on its own only when its grants come
//! from the subject itself, or only combine across its implicit groups.

use crate::access::{AccessAnswer, AccessPath, AnswerSet, Hop, SUPERUSER_NOTE};
use crate::graph::{
    Analysis, Grant, NameQuery, ObjectRef, Probe, RawGrant, SYSTEM_AUTHENTICATED, SYSTEM_MASTERS,
    SYSTEM_SERVICEACCOUNTS, Scope, binding_ref,
};
use crate::input::{BindingKind, RoleKind, SubjectKind, SubjectRef};
use crate::rule::{RequestAttributes, ResourceAttributes};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";
/// How many alternative roles an escalate or bind answer spells out as hops.
const SHOWN: usize = 3;
const WRITE_VERBS: [&str; 3] = ["create", "patch", "update"];
const BATCH_RESOURCES: [&str; 2] = ["cronjobs", "jobs"];

/// What one subject holds in one scope for one family of permissions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    /// `(verb, resource[/subresource], group)` reached.
    pub caps: BTreeSet<(String, String, String)>,
    /// `(binding, rule)` indices; materialised into [`Grant`]s only for answers.
    pub grants: BTreeSet<(usize, usize)>,
    pub any_name: bool,
    pub names: BTreeSet<String>,
}

impl Entry {
    fn covers_name(&self, name: Option<&str>) -> bool {
        self.any_name || name.is_some_and(|n| self.names.contains(n))
    }

    fn merge(&mut self, other: &Entry) {
        self.caps.extend(other.caps.iter().cloned());
        self.grants.extend(other.grants.iter().cloned());
        self.any_name |= other.any_name;
        self.names.extend(other.names.iter().cloned());
    }

    fn describe(&self) -> String {
        let verbs: BTreeSet<&str> = self.caps.iter().map(|c| c.0.as_str()).collect();
        let resources: BTreeSet<&str> = self.caps.iter().map(|c| c.1.as_str()).collect();
        format!(
            "{} {}",
            verbs.into_iter().collect::<Vec<_>>().join(","),
            resources.into_iter().collect::<Vec<_>>().join(",")
        )
    }
}

type Perms = BTreeMap<Scope, Entry>;
type PermMap = HashMap<SubjectRef, Perms>;

/// One request pattern: verb, group, resource, subresource, and whether names are enumerated
/// (`false`: a nameless request such as create).
type Spec<'a> = (&'a str, &'a str, &'a str, &'a str, bool);

/// The identities whose grants a subject holds: service accounts and users are also in their
/// implicit groups.
fn identity_keys(s: &SubjectRef) -> Vec<SubjectRef> {
    match (&s.kind, &s.namespace) {
        (SubjectKind::ServiceAccount, Some(ns)) => vec![
            s.clone(),
            SubjectRef::group(SYSTEM_SERVICEACCOUNTS),
            SubjectRef::group(format!("{SYSTEM_SERVICEACCOUNTS}:{ns}")),
            SubjectRef::group(SYSTEM_AUTHENTICATED),
        ],
        (SubjectKind::User, _) => vec![s.clone(), SubjectRef::group(SYSTEM_AUTHENTICATED)],
        _ => vec![s.clone()],
    }
}

fn perms_of(map: &PermMap, keys: &[SubjectRef]) -> Perms {
    let mut out = Perms::new();
    for k in keys {
        if let Some(p) = map.get(k) {
            for (scope, e) in p {
                out.entry(scope.clone()).or_default().merge(e);
            }
        }
    }
    out
}

/// The entries of every key, without merging (no copies).
fn entries<'m>(map: &'m PermMap, keys: &[SubjectRef]) -> Vec<(&'m Scope, &'m Entry)> {
    keys.iter()
        .filter_map(|k| map.get(k))
        .flat_map(|p| p.iter())
        .collect()
}

/// The first entry that holds in `target` for `name` (`None`: a nameless request).
fn find_entry<'m>(
    list: &[(&'m Scope, &'m Entry)],
    target: &Scope,
    name: Option<&str>,
) -> Option<&'m Entry> {
    list.iter()
        .find(|(s, e)| s.includes(target) && e.covers_name(name))
        .map(|(_, e)| *e)
}

fn superuser_perms() -> Perms {
    let mut e = Entry {
        any_name: true,
        ..Entry::default()
    };
    for v in WRITE_VERBS {
        for r in BATCH_RESOURCES {
            e.caps
                .insert((v.to_string(), r.to_string(), "batch".to_string()));
        }
    }
    Perms::from([(Scope::All, e)])
}

fn all_batch_caps() -> BTreeSet<(String, String, String)> {
    superuser_perms()
        .into_values()
        .next()
        .map(|e| e.caps)
        .unwrap_or_default()
}

impl Analysis {
    /// Subjects -> scopes -> what they hold, for a family of request patterns.
    fn perm_map(&self, specs: &[Spec<'_>]) -> PermMap {
        let mut map = PermMap::new();
        for &(verb, group, resource, sub, names) in specs {
            let raws = self.grants(&Probe {
                verb,
                group,
                resource,
                subresource: sub,
                name: if names {
                    NameQuery::Any
                } else {
                    NameQuery::Exact("")
                },
                namespace: None,
            });
            let label = if sub.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}/{sub}")
            };
            let cap = (verb.to_string(), label, group.to_string());
            for raw in &raws {
                let Some(b) = self.binding(raw.binding) else {
                    continue;
                };
                for s in &b.subjects {
                    let e = map
                        .entry(s.clone())
                        .or_default()
                        .entry(raw.scope.clone())
                        .or_default();
                    if !e.caps.contains(&cap) {
                        e.caps.insert(cap.clone());
                    }
                    e.grants.insert((raw.binding, raw.rule));
                    match &raw.names {
                        None => e.any_name = true,
                        Some(n) => e.names.extend(n.iter().cloned()),
                    }
                }
            }
        }
        map
    }

    /// The grants behind `(binding, rule)` indices.
    fn materialize<'i>(&self, ids: impl IntoIterator<Item = &'i (usize, usize)>) -> Vec<Grant> {
        ids.into_iter()
            .filter_map(|&(binding, rule)| {
                self.grant(&RawGrant {
                    binding,
                    rule,
                    scope: Scope::All,
                    names: None,
                })
            })
            .collect()
    }

    /// Every service account known to exist: ServiceAccount objects, `default` of every
    /// namespace seen, and service accounts named by bindings.
    fn known_service_accounts(&self) -> BTreeSet<(String, String)> {
        let mut out = self.inv.service_accounts.clone();
        for ns in &self.inv.namespaces {
            out.insert((ns.clone(), "default".to_string()));
        }
        for b in &self.inv.bindings {
            for s in &b.subjects {
                if let (SubjectKind::ServiceAccount, Some(ns)) = (&s.kind, &s.namespace) {
                    out.insert((ns.clone(), s.name.clone()));
                }
            }
        }
        out
    }

    /// Whether a role's effective rules allow some batch write.
    fn role_writes_batch(&self, role: usize) -> bool {
        let Some(rules) = self.effective.get(role) else {
            return false;
        };
        rules.iter().any(|e| {
            WRITE_VERBS.iter().any(|v| {
                BATCH_RESOURCES.iter().any(|r| {
                    let attrs = ResourceAttributes {
                        verb: v.to_string(),
                        group: "batch".into(),
                        resource: r.to_string(),
                        ..ResourceAttributes::default()
                    };
                    match *v {
                        "create" => e.rule.allows(&RequestAttributes::Resource(attrs)),
                        _ => e.rule.allows_names(&attrs).is_some(),
                    }
                })
            })
        })
    }

    /// Who can get code run through Jobs and CronJobs: one answer per (subject, scope, path),
    /// sorted by subject, scope and path. See the module docs for the paths.
    pub fn schedule_code(&self) -> Vec<AccessAnswer> {
        let mut specs: Vec<Spec<'_>> = Vec::new();
        for v in WRITE_VERBS {
            for r in BATCH_RESOURCES {
                specs.push((v, "batch", r, "", v != "create"));
            }
        }
        let writers = self.perm_map(&specs);
        let mut set = AnswerSet::default();
        for (subject, scopes) in &writers {
            for (scope, e) in scopes {
                add_entry(
                    self,
                    set.entry(subject.clone(), scope.clone(), AccessPath::Direct),
                    e,
                );
            }
        }
        let masters = set.entry(
            SubjectRef::group(SYSTEM_MASTERS),
            Scope::All,
            AccessPath::Direct,
        );
        if let Some(e) = superuser_perms().get(&Scope::All) {
            add_entry(self, masters, e);
        }
        masters.notes.insert(SUPERUSER_NOTE.to_string());

        // Service accounts that write batch objects, per namespace.
        let mut sa_writers: BTreeMap<String, Vec<(SubjectRef, Perms)>> = BTreeMap::new();
        for (ns, name) in self.known_service_accounts() {
            let sa = SubjectRef::service_account(ns.clone(), name);
            let p = perms_of(&writers, &identity_keys(&sa));
            if !p.is_empty() {
                sa_writers.entry(ns).or_default().push((sa, p));
            }
        }
        let ctx = Ctx {
            writers: &writers,
            sa_writers: &sa_writers,
        };
        self.impersonate_paths(&ctx, &mut set);
        self.token_paths(&ctx, &mut set);
        self.pod_paths(&ctx, &mut set);
        self.exec_paths(&ctx, &mut set);
        self.escalate_paths(&mut set);
        self.bind_paths(&mut set);
        self.tamper_paths(&mut set);
        set.finish(|acc| {
            (
                acc.verbs.iter().cloned().collect::<Vec<_>>().join(","),
                acc.resources.iter().cloned().collect::<Vec<_>>().join(","),
                acc.group.clone().unwrap_or_else(|| "batch".to_string()),
            )
        })
    }

    fn impersonate_paths(&self, ctx: &Ctx<'_>, set: &mut AnswerSet) {
        let users = self.perm_map(&[("impersonate", "", "users", "", true)]);
        let groups = self.perm_map(&[("impersonate", "", "groups", "", true)]);
        let sas = self.perm_map(&[("impersonate", "", "serviceaccounts", "", true)]);
        for (attacker, scopes) in &users {
            for e in scopes.values() {
                for target in ctx.writers.keys() {
                    if target.kind != SubjectKind::User || !e.covers_name(Some(&target.name)) {
                        continue;
                    }
                    let hop = first_hop(self, format!("impersonate {target}"), Some(target), e);
                    let perms = perms_of(ctx.writers, &identity_keys(target));
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::Impersonate,
                        hop,
                        target,
                        &perms,
                        None,
                    );
                }
            }
        }
        for (attacker, scopes) in &groups {
            // Impersonating a group needs impersonating some user (or service account) too.
            let keys = identity_keys(attacker);
            let carrier: Vec<Entry> = perms_of(&users, &keys)
                .into_values()
                .chain(perms_of(&sas, &keys).into_values())
                .collect();
            let Some(carrier) = carrier.first() else {
                continue;
            };
            for e in scopes.values() {
                let mut targets: Vec<(SubjectRef, Perms, Option<&str>)> = ctx
                    .writers
                    .iter()
                    .filter(|(t, _)| t.kind == SubjectKind::Group && t.name != SYSTEM_MASTERS)
                    .filter(|(t, _)| e.covers_name(Some(&t.name)))
                    .map(|(t, p)| (t.clone(), p.clone(), None))
                    .collect();
                if e.covers_name(Some(SYSTEM_MASTERS)) {
                    targets.push((
                        SubjectRef::group(SYSTEM_MASTERS),
                        superuser_perms(),
                        Some(SUPERUSER_NOTE),
                    ));
                }
                for (target, perms, note) in targets {
                    let mut hop =
                        first_hop(self, format!("impersonate {target}"), Some(&target), e);
                    hop.via.extend(self.materialize(&carrier.grants));
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::Impersonate,
                        hop,
                        &target,
                        &perms,
                        note,
                    );
                }
            }
        }
        for (attacker, scopes) in &sas {
            for (scope, e) in scopes {
                for (target, perms) in ctx.service_accounts_in(scope) {
                    if !e.covers_name(Some(&target.name)) {
                        continue;
                    }
                    let hop = first_hop(self, format!("impersonate {target}"), Some(target), e);
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::Impersonate,
                        hop,
                        target,
                        perms,
                        None,
                    );
                }
            }
        }
    }

    fn token_paths(&self, ctx: &Ctx<'_>, set: &mut AnswerSet) {
        let request = self.perm_map(&[("create", "", "serviceaccounts", "token", true)]);
        for (attacker, scopes) in &request {
            for (scope, e) in scopes {
                for (target, perms) in ctx.service_accounts_in(scope) {
                    if e.covers_name(Some(&target.name)) {
                        let hop = first_hop(
                            self,
                            format!("request a token (TokenRequest) for {target}"),
                            Some(target),
                            e,
                        );
                        add_pivot(
                            self,
                            set,
                            attacker,
                            AccessPath::Token,
                            hop,
                            target,
                            perms,
                            None,
                        );
                    }
                }
            }
        }
        let read = self.perm_map(&[
            ("get", "", "secrets", "", true),
            ("list", "", "secrets", "", false),
            ("watch", "", "secrets", "", false),
        ]);
        for (attacker, scopes) in &read {
            for (scope, e) in scopes {
                for secret in &self.inv.token_secrets {
                    let secret_scope = Scope::Namespace(secret.namespace.clone());
                    if !scope.includes(&secret_scope) || !e.covers_name(Some(&secret.name)) {
                        continue;
                    }
                    let target = SubjectRef::service_account(
                        secret.namespace.clone(),
                        secret.service_account.clone(),
                    );
                    let Some(perms) = ctx.service_account(&target) else {
                        continue;
                    };
                    let hop = first_hop(
                        self,
                        format!(
                            "read the legacy token Secret {}/{} of {target}",
                            secret.namespace, secret.name
                        ),
                        Some(&target),
                        e,
                    );
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::Token,
                        hop,
                        &target,
                        perms,
                        None,
                    );
                }
            }
        }
        let mint = self.perm_map(&[("create", "", "secrets", "", false)]);
        for (attacker, scopes) in &mint {
            for (scope, e) in scopes {
                for (target, perms) in ctx.service_accounts_in(scope) {
                    let hop = first_hop(
                        self,
                        format!(
                            "create a kubernetes.io/service-account-token Secret for {target} (the token controller fills in its token)"
                        ),
                        Some(target),
                        e,
                    );
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::Token,
                        hop,
                        target,
                        perms,
                        None,
                    );
                }
            }
        }
    }

    fn pod_paths(&self, ctx: &Ctx<'_>, set: &mut AnswerSet) {
        let mut specs: Vec<Spec<'_>> = vec![
            ("create", "", "pods", "", false),
            ("create", "", "replicationcontrollers", "", false),
            ("update", "", "replicationcontrollers", "", true),
            ("patch", "", "replicationcontrollers", "", true),
        ];
        for r in ["deployments", "replicasets", "statefulsets", "daemonsets"] {
            specs.push(("create", "apps", r, "", false));
            specs.push(("update", "apps", r, "", true));
            specs.push(("patch", "apps", r, "", true));
        }
        let creators = self.perm_map(&specs);
        for (attacker, scopes) in &creators {
            for (scope, e) in scopes {
                for (target, perms) in ctx.service_accounts_in(scope) {
                    let hop = first_hop(
                        self,
                        format!("run a pod as {target} ({})", e.describe()),
                        Some(target),
                        e,
                    );
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::PodWithServiceaccount,
                        hop,
                        target,
                        perms,
                        None,
                    );
                }
            }
        }
    }

    fn exec_paths(&self, ctx: &Ctx<'_>, set: &mut AnswerSet) {
        let execs = self.perm_map(&[
            ("create", "", "pods", "exec", true),
            ("get", "", "pods", "exec", true),
            ("create", "", "pods", "attach", true),
            ("get", "", "pods", "attach", true),
            ("patch", "", "pods", "ephemeralcontainers", true),
            ("update", "", "pods", "ephemeralcontainers", true),
        ]);
        if execs.is_empty() {
            return;
        }
        // Pods (or templates) running as each service account, per the input.
        let mut running: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for w in &self.inv.workloads {
            running
                .entry((w.namespace.clone(), w.service_account.clone()))
                .or_default()
                .push(format!("{} {}/{}", w.kind, w.namespace, w.name));
        }
        for (attacker, scopes) in &execs {
            for (scope, e) in scopes {
                for (target, perms) in ctx.service_accounts_in(scope) {
                    let key = (
                        target.namespace.clone().unwrap_or_default(),
                        target.name.clone(),
                    );
                    let Some(workloads) = running.get(&key) else {
                        continue;
                    };
                    let hop = first_hop(
                        self,
                        format!(
                            "get into a pod running as {target} ({}; e.g. {})",
                            e.describe(),
                            workloads.first().map(String::as_str).unwrap_or("")
                        ),
                        Some(target),
                        e,
                    );
                    add_pivot(
                        self,
                        set,
                        attacker,
                        AccessPath::Exec,
                        hop,
                        target,
                        perms,
                        None,
                    );
                }
            }
        }
    }

    fn escalate_paths(&self, set: &mut AnswerSet) {
        let escalate_roles = self.perm_map(&[("escalate", RBAC, "roles", "", true)]);
        let escalate_cluster = self.perm_map(&[("escalate", RBAC, "clusterroles", "", true)]);
        if escalate_roles.is_empty() && escalate_cluster.is_empty() {
            return;
        }
        // Rewriting names the role; creating (a role a binding points at but the input
        // lacks) does not, so the two are kept apart.
        let write_roles = self.perm_map(&[
            ("update", RBAC, "roles", "", true),
            ("patch", RBAC, "roles", "", true),
        ]);
        let write_cluster = self.perm_map(&[
            ("update", RBAC, "clusterroles", "", true),
            ("patch", RBAC, "clusterroles", "", true),
        ]);
        let create_roles = self.perm_map(&[("create", RBAC, "roles", "", false)]);
        let create_cluster = self.perm_map(&[("create", RBAC, "clusterroles", "", false)]);
        let escalators: BTreeSet<&SubjectRef> = escalate_roles
            .keys()
            .chain(escalate_cluster.keys())
            .collect();
        let mut may_escalate_cache: HashMap<SubjectRef, bool> = HashMap::new();
        let mut may_escalate = |s: &SubjectRef| -> bool {
            if let Some(v) = may_escalate_cache.get(s) {
                return *v;
            }
            let v = identity_keys(s).iter().any(|k| escalators.contains(k));
            may_escalate_cache.insert(s.clone(), v);
            v
        };
        // Per subject: its (and its groups') entries in the six maps, looked up once.
        type Lookup<'m> = [Vec<(&'m Scope, &'m Entry)>; 6];
        let mut cache: HashMap<SubjectRef, Lookup<'_>> = HashMap::new();
        let maps = [
            &escalate_cluster,
            &write_cluster,
            &create_cluster,
            &escalate_roles,
            &write_roles,
            &create_roles,
        ];
        let mut shown_per_answer: HashMap<(SubjectRef, Scope), usize> = HashMap::new();
        for (bi, b) in self.inv.bindings.iter().enumerate() {
            let escalating: Vec<&SubjectRef> = b
                .subjects
                .iter()
                .filter(|s| {
                    !(s.kind == SubjectKind::Group && s.name == SYSTEM_MASTERS) && may_escalate(s)
                })
                .collect();
            if escalating.is_empty() {
                continue;
            }
            // The roles whose rewrite changes what this binding grants.
            let mut targets: Vec<(RoleKind, String, String, bool)> = Vec::new();
            match self.binding_role.get(bi).copied().flatten() {
                Some(r) => {
                    let mut push = |i: usize| {
                        if let Some(role) = self.role(i) {
                            targets.push((
                                role.kind,
                                role.namespace.clone(),
                                role.name.clone(),
                                true,
                            ));
                        }
                    };
                    push(r);
                    for &src in self
                        .aggregation_sources
                        .get(r)
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                    {
                        push(src);
                    }
                }
                None => {
                    targets.push((b.role_kind, b.namespace.clone(), b.role_name.clone(), false))
                }
            }
            let binding_scope = match b.kind {
                BindingKind::ClusterRoleBinding => Scope::All,
                BindingKind::RoleBinding => Scope::Namespace(b.namespace.clone()),
            };
            for subject in escalating {
                let lookup = cache.entry(subject.clone()).or_insert_with(|| {
                    let keys = identity_keys(subject);
                    maps.map(|m| entries(m, &keys))
                });
                for (kind, ns, name, exists) in &targets {
                    let base = match kind {
                        RoleKind::ClusterRole => 0,
                        RoleKind::Role => 3,
                    };
                    let role_scope = match kind {
                        RoleKind::ClusterRole => Scope::All,
                        RoleKind::Role => Scope::Namespace(ns.clone()),
                    };
                    let esc = &lookup[base];
                    let write = &lookup[base + if *exists { 1 } else { 2 }];
                    // A role that exists is rewritten (update/patch name it); a missing one is
                    // created, and create requests carry no name.
                    let name_asked = exists.then_some(name.as_str());
                    let Some(esc_e) = find_entry(esc, &role_scope, name_asked) else {
                        continue;
                    };
                    let Some(write_e) = find_entry(write, &role_scope, name_asked) else {
                        continue;
                    };
                    // A few rewritable roles make the point; the rest are counted.
                    let shown = shown_per_answer
                        .entry((subject.clone(), binding_scope.clone()))
                        .or_insert(0);
                    *shown += 1;
                    if *shown > SHOWN {
                        if *shown == SHOWN + 1 {
                            set.entry(subject.clone(), binding_scope.clone(), AccessPath::Escalate)
                                .notes
                                .insert(format!("more than {SHOWN} bound roles can be rewritten"));
                        }
                        continue;
                    }
                    let role_obj = ObjectRef {
                        kind: kind.as_str().to_string(),
                        name: name.clone(),
                        namespace: (*kind == RoleKind::Role).then(|| ns.clone()),
                    };
                    let what = if *exists {
                        "rewrite"
                    } else {
                        "create the missing"
                    };
                    let mut hop = Hop {
                        action: format!(
                            "{what} {} {} with batch write rules (escalate + {})",
                            kind.as_str(),
                            name,
                            write_e.describe()
                        ),
                        subject: None,
                        object: Some(role_obj),
                        scope: None,
                        via: self.materialize(&esc_e.grants),
                    };
                    hop.via.extend(self.materialize(&write_e.grants));
                    let acc =
                        set.entry(subject.clone(), binding_scope.clone(), AccessPath::Escalate);
                    acc.via.extend(hop.via.iter().cloned());
                    acc.push_hop(hop);
                    acc.push_hop(Hop {
                        action: format!(
                            "the new rules apply through {} {}",
                            b.kind.as_str(),
                            b.name
                        ),
                        subject: None,
                        object: Some(binding_ref(b)),
                        scope: Some(binding_scope.clone()),
                        via: Vec::new(),
                    });
                    add_caps(acc, &all_batch_caps());
                    acc.any_name = true;
                    let own = |m: &PermMap| m.contains_key(subject);
                    if !own(&escalate_roles) && !own(&escalate_cluster) {
                        acc.notes.insert(COMBINED_NOTE.to_string());
                    }
                }
            }
        }
    }

    fn bind_paths(&self, set: &mut AnswerSet) {
        let bind_roles = self.perm_map(&[("bind", RBAC, "roles", "", true)]);
        let bind_cluster = self.perm_map(&[("bind", RBAC, "clusterroles", "", true)]);
        if bind_roles.is_empty() && bind_cluster.is_empty() {
            return;
        }
        let make_rb = self.perm_map(&[
            ("create", RBAC, "rolebindings", "", false),
            ("update", RBAC, "rolebindings", "", true),
            ("patch", RBAC, "rolebindings", "", true),
        ]);
        let make_crb = self.perm_map(&[
            ("create", RBAC, "clusterrolebindings", "", false),
            ("update", RBAC, "clusterrolebindings", "", true),
            ("patch", RBAC, "clusterrolebindings", "", true),
        ]);
        let mut batch_cluster_roles: Vec<&str> = Vec::new();
        let mut batch_roles: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (i, role) in self.inv.roles.iter().enumerate() {
            if self.role_lookup(role.kind, &role.namespace, &role.name) != Some(i)
                || !self.role_writes_batch(i)
            {
                continue;
            }
            match role.kind {
                RoleKind::ClusterRole => batch_cluster_roles.push(&role.name),
                RoleKind::Role => batch_roles
                    .entry(&role.namespace)
                    .or_default()
                    .push(&role.name),
            }
        }
        batch_cluster_roles.sort_unstable();
        if batch_cluster_roles.is_empty() && batch_roles.is_empty() {
            return;
        }
        let maps = [&bind_roles, &bind_cluster, &make_rb, &make_crb];
        let mut candidates: BTreeSet<SubjectRef> = bind_roles
            .keys()
            .chain(bind_cluster.keys())
            .cloned()
            .collect();
        for (ns, name) in self.known_service_accounts() {
            candidates.insert(SubjectRef::service_account(ns, name));
        }
        for m in maps {
            candidates.extend(m.keys().filter(|k| k.kind == SubjectKind::User).cloned());
        }
        let bindable = |keys: &[SubjectRef]| -> Vec<(Scope, ObjectRef, Vec<Grant>)> {
            let br = perms_of(&bind_roles, keys);
            let bc = perms_of(&bind_cluster, keys);
            let rb = perms_of(&make_rb, keys);
            let crb = perms_of(&make_crb, keys);
            let mut out = Vec::new();
            let grants = |a: &Entry, b: &Entry| -> Vec<Grant> {
                self.materialize(a.grants.iter().chain(b.grants.iter()))
            };
            let cluster_role = |name: &str| ObjectRef {
                kind: "ClusterRole".into(),
                name: name.to_string(),
                namespace: None,
            };
            if let (Some(make), Some(bind)) = (crb.get(&Scope::All), bc.get(&Scope::All)) {
                for c in batch_cluster_roles
                    .iter()
                    .filter(|c| bind.covers_name(Some(c)))
                {
                    out.push((Scope::All, cluster_role(c), grants(bind, make)));
                }
            }
            for (sb, bind) in &bc {
                for (sc, make) in &rb {
                    let Some(scope) = sb.intersect(sc) else {
                        continue;
                    };
                    for c in batch_cluster_roles
                        .iter()
                        .filter(|c| bind.covers_name(Some(c)))
                    {
                        out.push((scope.clone(), cluster_role(c), grants(bind, make)));
                    }
                }
            }
            for (sb, bind) in &br {
                for (sc, make) in &rb {
                    let Some(scope) = sb.intersect(sc) else {
                        continue;
                    };
                    for (ns, names) in &batch_roles {
                        let role_scope = Scope::Namespace(ns.to_string());
                        if !scope.includes(&role_scope) {
                            continue;
                        }
                        for r in names.iter().filter(|r| bind.covers_name(Some(r))) {
                            let obj = ObjectRef {
                                kind: "Role".into(),
                                name: r.to_string(),
                                namespace: Some(ns.to_string()),
                            };
                            out.push((role_scope.clone(), obj, grants(bind, make)));
                        }
                    }
                }
            }
            out
        };
        for subject in candidates {
            if subject.kind == SubjectKind::Group && subject.name == SYSTEM_MASTERS {
                continue;
            }
            let own = bindable(std::slice::from_ref(&subject));
            let (found, combined) = if !own.is_empty() {
                (own, false)
            } else if subject.kind == SubjectKind::Group {
                continue;
            } else {
                let keys = identity_keys(&subject);
                // Reported for the group itself when one group alone suffices.
                if keys
                    .iter()
                    .skip(1)
                    .any(|k| !bindable(std::slice::from_ref(k)).is_empty())
                {
                    continue;
                }
                (bindable(&keys), true)
            };
            let mut per_scope: BTreeMap<Scope, usize> = BTreeMap::new();
            for (scope, role, grants) in found {
                let count = per_scope.entry(scope.clone()).or_default();
                *count += 1;
                let acc = set.entry(subject.clone(), scope.clone(), AccessPath::Bind);
                acc.via.extend(grants.iter().cloned());
                add_caps(acc, &all_batch_caps());
                acc.any_name = true;
                if combined {
                    acc.notes.insert(COMBINED_NOTE.to_string());
                }
                if *count > SHOWN {
                    acc.notes.insert(format!(
                        "more than {SHOWN} roles that write batch objects can be bound"
                    ));
                    continue;
                }
                let kind = if scope == Scope::All && role.kind == "ClusterRole" {
                    "ClusterRoleBinding or RoleBinding"
                } else {
                    "RoleBinding"
                };
                acc.push_hop(Hop {
                    action: format!(
                        "bind itself to {} {} with a new {kind} (bind + create/update/patch bindings)",
                        role.kind, role.name
                    ),
                    subject: None,
                    object: Some(role),
                    scope: Some(scope),
                    via: grants,
                });
            }
        }
    }

    fn tamper_paths(&self, set: &mut AnswerSet) {
        let mut specs: Vec<Spec<'_>> = Vec::new();
        for r in [
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicybindings",
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
        ] {
            for v in ["create", "update", "patch", "delete"] {
                specs.push((v, ADMISSION, r, "", v != "create"));
            }
        }
        specs.push(("update", "", "namespaces", "", true));
        specs.push(("patch", "", "namespaces", "", true));
        let tamper = self.perm_map(&specs);
        for (subject, scopes) in &tamper {
            if subject.kind == SubjectKind::Group && subject.name == SYSTEM_MASTERS {
                continue;
            }
            for (scope, e) in scopes {
                let acc = set.entry(subject.clone(), scope.clone(), AccessPath::AdmissionTamper);
                add_entry(self, acc, e);
                let groups: BTreeSet<&str> = e
                    .caps
                    .iter()
                    .map(|c| if c.2.is_empty() { "core" } else { c.2.as_str() })
                    .collect();
                acc.group = Some(
                    groups
                        .into_iter()
                        .map(|g| if g == "core" { "" } else { g })
                        .collect::<Vec<_>>()
                        .join(","),
                );
                acc.notes.insert(TAMPER_NOTE.to_string());
                acc.push_hop(Hop {
                    action: format!("weaken admission control ({})", e.describe()),
                    subject: None,
                    object: None,
                    scope: Some(scope.clone()),
                    via: self.materialize(&e.grants),
                });
            }
        }
    }
}

const COMBINED_NOTE: &str = "combines grants held by the subject and by its implicit groups (system:serviceaccounts, system:serviceaccounts:<ns>, system:authenticated)";
const TAMPER_NOTE: &str = "not a batch write by itself: it removes or weakens the admission controls (webhooks, admission policies, namespace Pod Security labels) that would stop one";

struct Ctx<'a> {
    writers: &'a PermMap,
    sa_writers: &'a BTreeMap<String, Vec<(SubjectRef, Perms)>>,
}

impl<'a> Ctx<'a> {
    /// Batch-writing service accounts inside `scope`.
    fn service_accounts_in(&self, scope: &Scope) -> Vec<(&'a SubjectRef, &'a Perms)> {
        match scope {
            Scope::All => self
                .sa_writers
                .values()
                .flatten()
                .map(|(s, p)| (s, p))
                .collect(),
            Scope::Namespace(ns) => self
                .sa_writers
                .get(ns)
                .map(|v| v.iter().map(|(s, p)| (s, p)).collect())
                .unwrap_or_default(),
        }
    }

    fn service_account(&self, sa: &SubjectRef) -> Option<&'a Perms> {
        let ns = sa.namespace.as_deref()?;
        self.sa_writers
            .get(ns)?
            .iter()
            .find(|(s, _)| s == sa)
            .map(|(_, p)| p)
    }
}

fn first_hop(analysis: &Analysis, action: String, subject: Option<&SubjectRef>, e: &Entry) -> Hop {
    Hop {
        action,
        subject: subject.cloned(),
        object: None,
        scope: None,
        via: analysis.materialize(&e.grants),
    }
}

fn add_caps(acc: &mut crate::access::Acc, caps: &BTreeSet<(String, String, String)>) {
    for (v, r, _) in caps {
        acc.verbs.insert(v.clone());
        acc.resources.insert(r.clone());
    }
}

fn add_entry(analysis: &Analysis, acc: &mut crate::access::Acc, e: &Entry) {
    acc.via.extend(analysis.materialize(&e.grants));
    add_caps(acc, &e.caps);
    if e.any_name {
        acc.any_name = true;
    } else {
        acc.names
            .get_or_insert_with(BTreeSet::new)
            .extend(e.names.iter().cloned());
    }
}

/// Records `attacker` reaching `pivot`'s batch writes, one answer per pivot scope.
#[allow(clippy::too_many_arguments)]
fn add_pivot(
    analysis: &Analysis,
    set: &mut AnswerSet,
    attacker: &SubjectRef,
    path: AccessPath,
    first: Hop,
    pivot: &SubjectRef,
    pivot_perms: &Perms,
    note: Option<&str>,
) {
    if attacker == pivot || (attacker.kind == SubjectKind::Group && attacker.name == SYSTEM_MASTERS)
    {
        return;
    }
    for (scope, e) in pivot_perms {
        let acc = set.entry(attacker.clone(), scope.clone(), path);
        acc.via.extend(first.via.iter().cloned());
        acc.push_hop(first.clone());
        acc.push_hop(Hop {
            action: format!("as {pivot}: {}", e.describe()),
            subject: Some(pivot.clone()),
            object: None,
            scope: Some(scope.clone()),
            via: analysis.materialize(&e.grants),
        });
        add_caps(acc, &e.caps);
        if e.any_name {
            acc.any_name = true;
        } else {
            acc.names
                .get_or_insert_with(BTreeSet::new)
                .extend(e.names.iter().cloned());
        }
        if let Some(n) = note {
            acc.notes.insert(n.to_string());
        }
    }
}
