//! One test per RBAC rule of the authorizer, on small hand-written inputs.

use jobwarden_rbac::{
    AccessPath, AccessQuery, Analysis, RequestAttributes, ResourceAttributes, Scope, SourcedObject,
    SubjectRef, UserInfo,
};
use serde_json::{Value, json};

fn build(values: Vec<Value>) -> Analysis {
    let objects: Vec<SourcedObject> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| SourcedObject::new(v, "test.yaml", i as u64 * 10 + 1))
        .collect();
    let a = Analysis::build(&objects);
    assert!(a.errors().is_empty(), "{:?}", a.errors());
    a
}

fn role(kind: &str, ns: Option<&str>, name: &str, rules: Value) -> Value {
    let mut meta = json!({"name": name});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta, "rules": rules})
}

fn binding(
    kind: &str,
    ns: Option<&str>,
    name: &str,
    role_kind: &str,
    role: &str,
    subjects: Value,
) -> Value {
    let mut meta = json!({"name": name});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
           "subjects": subjects})
}

fn user(name: &str) -> Value {
    json!([{"kind": "User", "name": name}])
}

fn subjects_of(a: &Analysis, q: &AccessQuery) -> Vec<(String, String)> {
    a.who_can(q)
        .into_iter()
        .filter(|x| x.subject != SubjectRef::group("system:masters"))
        .map(|x| (x.subject.to_string(), x.scope.to_string()))
        .collect()
}

fn q(verb: &str, target: &str) -> AccessQuery {
    AccessQuery::parse(verb, target).expect("query")
}

#[test]
fn rolebinding_to_clusterrole_grants_only_in_its_namespace() {
    let a = build(vec![
        role(
            "ClusterRole",
            None,
            "cron-writer",
            json!([{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["create"]}]),
        ),
        binding(
            "RoleBinding",
            Some("team"),
            "rb",
            "ClusterRole",
            "cron-writer",
            user("alice"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "cron-writer",
            user("bob"),
        ),
    ]);
    let all = subjects_of(&a, &q("create", "cronjobs.batch"));
    assert_eq!(
        all,
        [
            ("User alice".into(), "team".into()),
            ("User bob".into(), "*".into())
        ]
    );
    let other = subjects_of(
        &a,
        &q("create", "cronjobs.batch").in_namespace(Some("other")),
    );
    assert_eq!(other, [("User bob".to_string(), "*".to_string())]);
    let req = |ns: &str| {
        RequestAttributes::Resource(ResourceAttributes {
            verb: "create".into(),
            group: "batch".into(),
            resource: "cronjobs".into(),
            namespace: ns.into(),
            ..ResourceAttributes::default()
        })
    };
    let alice = UserInfo::authenticated("alice", &[]);
    assert!(a.authorize(&alice, &req("team")).allowed);
    assert!(!a.authorize(&alice, &req("other")).allowed);
    assert!(!a.authorize(&alice, &req("")).allowed);
}

#[test]
fn rolebinding_to_role_resolves_only_in_its_own_namespace() {
    let a = build(vec![
        role(
            "Role",
            Some("a"),
            "writer",
            json!([{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]}]),
        ),
        // Same role name, other namespace: the binding in b must not see a's role.
        binding(
            "RoleBinding",
            Some("b"),
            "rb",
            "Role",
            "writer",
            user("mallory"),
        ),
        binding(
            "RoleBinding",
            Some("a"),
            "rb",
            "Role",
            "writer",
            user("alice"),
        ),
    ]);
    assert_eq!(
        subjects_of(&a, &q("create", "jobs")),
        [("User alice".to_string(), "a".to_string())]
    );
    assert_eq!(a.dangling_bindings().len(), 1);
}

#[test]
fn subresources_and_wildcards() {
    let a = build(vec![
        role(
            "ClusterRole",
            None,
            "scaler",
            json!([{"apiGroups": ["*"], "resources": ["*/scale"], "verbs": ["update"]}]),
        ),
        role(
            "ClusterRole",
            None,
            "status",
            json!([{"apiGroups": ["batch"], "resources": ["jobs/status"], "verbs": ["*"]}]),
        ),
        role(
            "ClusterRole",
            None,
            "everything",
            json!([{"apiGroups": ["batch"], "resources": ["*"], "verbs": ["patch"]}]),
        ),
        role(
            "ClusterRole",
            None,
            "literal",
            json!([{"apiGroups": ["batch"], "resources": ["jobs/*"], "verbs": ["*"]}]),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "1",
            "ClusterRole",
            "scaler",
            user("scaler"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "2",
            "ClusterRole",
            "status",
            user("status"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "3",
            "ClusterRole",
            "everything",
            user("star"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "4",
            "ClusterRole",
            "literal",
            user("literal"),
        ),
    ]);
    let names = |verb: &str, t: &str| -> Vec<String> {
        subjects_of(&a, &q(verb, t))
            .into_iter()
            .map(|(s, _)| s)
            .collect()
    };
    assert_eq!(names("update", "deployments.apps/scale"), ["User scaler"]);
    assert_eq!(names("patch", "jobs/status"), ["User star", "User status"]);
    assert_eq!(names("patch", "jobs"), ["User star"]);
    assert!(names("get", "jobs/status").contains(&"User status".to_string()));
    assert!(!names("get", "jobs/status").contains(&"User literal".to_string()));
}

#[test]
fn resource_names_never_grant_create_but_are_reported_for_named_verbs() {
    let a = build(vec![
        role(
            "Role",
            Some("ns"),
            "named",
            json!([{"apiGroups": ["batch"], "resources": ["cronjobs"], "resourceNames": ["backup"], "verbs": ["create", "patch"]}]),
        ),
        binding(
            "RoleBinding",
            Some("ns"),
            "rb",
            "Role",
            "named",
            user("alice"),
        ),
    ]);
    assert!(subjects_of(&a, &q("create", "cronjobs")).is_empty());
    let patch = a.who_can(&q("patch", "cronjobs"));
    let alice = patch
        .iter()
        .find(|x| x.subject == SubjectRef::user("alice"))
        .expect("alice");
    assert_eq!(alice.names.as_deref(), Some(&["backup".to_string()][..]));
    assert_eq!(
        subjects_of(&a, &q("patch", "cronjobs").named(Some("backup"))).len(),
        1
    );
    assert!(subjects_of(&a, &q("patch", "cronjobs").named(Some("other"))).is_empty());
}

#[test]
fn non_resource_urls_only_through_cluster_role_bindings() {
    let a = build(vec![
        role(
            "ClusterRole",
            None,
            "metrics",
            json!([{"nonResourceURLs": ["/metrics", "/debug/*"], "verbs": ["get"]}]),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "crb",
            "ClusterRole",
            "metrics",
            user("prom"),
        ),
        binding(
            "RoleBinding",
            Some("ns"),
            "rb",
            "ClusterRole",
            "metrics",
            user("ignored"),
        ),
    ]);
    assert_eq!(
        subjects_of(&a, &q("get", "/metrics")),
        [("User prom".to_string(), "*".to_string())]
    );
    assert_eq!(subjects_of(&a, &q("get", "/debug/pprof")).len(), 1);
    assert!(subjects_of(&a, &q("get", "/debugx")).is_empty());
    let answer = &a.who_can(&q("get", "/metrics"))[1];
    assert_eq!(answer.non_resource_url.as_deref(), Some("/metrics"));
}

#[test]
fn cluster_scoped_resources_ignore_rolebindings_except_a_namespace_itself() {
    let a = build(vec![
        role(
            "ClusterRole",
            None,
            "ns-admin",
            json!([
            {"apiGroups": [""], "resources": ["namespaces", "nodes"], "verbs": ["patch", "create"]},
            {"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "verbs": ["delete"]}]),
        ),
        binding(
            "RoleBinding",
            Some("team"),
            "rb",
            "ClusterRole",
            "ns-admin",
            user("alice"),
        ),
    ]);
    // A RoleBinding in `team` lets alice patch the Namespace `team` itself...
    assert_eq!(
        subjects_of(&a, &q("patch", "namespaces")),
        [("User alice".to_string(), "team".to_string())]
    );
    assert!(subjects_of(&a, &q("patch", "namespaces").named(Some("other"))).is_empty());
    // ...but not create namespaces, touch nodes or webhooks.
    assert!(subjects_of(&a, &q("create", "namespaces")).is_empty());
    assert!(subjects_of(&a, &q("patch", "nodes")).is_empty());
    assert!(subjects_of(&a, &q("delete", "validatingwebhookconfigurations")).is_empty());
}

#[test]
fn service_account_subjects_default_namespace_and_implicit_groups() {
    let a = build(vec![
        role(
            "ClusterRole",
            None,
            "jobs",
            json!([{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]}]),
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "sa",
            "ClusterRole",
            "jobs",
            json!([{"kind": "ServiceAccount", "name": "runner"}]),
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "group",
            "ClusterRole",
            "jobs",
            json!([{"kind": "Group", "name": "system:serviceaccounts:build"}]),
        ),
        binding(
            "RoleBinding",
            Some("ci"),
            "username",
            "ClusterRole",
            "jobs",
            user("system:serviceaccount:other:bot"),
        ),
    ]);
    let subjects: Vec<String> = subjects_of(&a, &q("create", "jobs"))
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        subjects,
        [
            "Group system:serviceaccounts:build",
            "ServiceAccount ci/runner",
            "ServiceAccount other/bot"
        ]
    );
    let req = RequestAttributes::Resource(ResourceAttributes {
        verb: "create".into(),
        group: "batch".into(),
        resource: "jobs".into(),
        namespace: "ci".into(),
        ..ResourceAttributes::default()
    });
    assert!(
        a.authorize(&UserInfo::service_account("build", "anything"), &req)
            .allowed
    );
    assert!(
        a.authorize(&UserInfo::service_account("other", "bot"), &req)
            .allowed
    );
    assert!(
        !a.authorize(&UserInfo::service_account("ci", "someone-else"), &req)
            .allowed
    );
    assert!(
        !a.authorize(&UserInfo::authenticated("runner", &[]), &req)
            .allowed
    );
}

#[test]
fn system_masters_is_allowed_everywhere() {
    let a = build(vec![]);
    let answers = a.who_can(&q("create", "cronjobs"));
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].subject, SubjectRef::group("system:masters"));
    assert_eq!(
        (answers[0].scope.clone(), answers[0].path),
        (Scope::All, AccessPath::Direct)
    );
    assert!(
        answers[0]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("bypasses"))
    );
    let req = RequestAttributes::NonResource {
        verb: "get".into(),
        path: "/x".into(),
    };
    assert!(
        a.authorize(&UserInfo::authenticated("root", &["system:masters"]), &req)
            .allowed
    );
}

#[test]
fn aggregation_follows_selectors_transitively_and_replaces_written_rules() {
    let label = |k: &str| json!({k: "true"});
    let mut writer = role(
        "ClusterRole",
        None,
        "batch-writer",
        json!([{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["create"]}]),
    );
    writer["metadata"]["labels"] = json!({"tier": "ops", "aggregate-to-mid": "true"});
    let mut mid = role("ClusterRole", None, "mid", json!(null));
    mid["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchExpressions": [{"key": "tier", "operator": "In", "values": ["ops"]}]}]});
    mid["metadata"]["labels"] = label("aggregate-to-top");
    let mut top = role(
        "ClusterRole",
        None,
        "top",
        json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]),
    );
    top["aggregationRule"] =
        json!({"clusterRoleSelectors": [{"matchLabels": label("aggregate-to-top")}]});
    let mut excluded = role(
        "ClusterRole",
        None,
        "excluded",
        json!([{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]}]),
    );
    excluded["metadata"]["labels"] = json!({"tier": "dev"});
    let objects: Vec<SourcedObject> = vec![
        writer,
        mid,
        top,
        excluded,
        binding(
            "ClusterRoleBinding",
            None,
            "top",
            "ClusterRole",
            "top",
            user("alice"),
        ),
    ]
    .into_iter()
    .map(|v| SourcedObject::new(v, "agg.yaml", 1))
    .collect();
    let a = Analysis::build(&objects);
    // top's written rule is reported as replaced.
    let fields: Vec<(&str, &str)> = a
        .errors()
        .iter()
        .map(|e| (e.object.as_str(), e.field.as_str()))
        .collect();
    assert_eq!(fields, [("ClusterRole top", "rules")]);
    let answers = a.who_can(&q("create", "cronjobs"));
    let alice = answers
        .iter()
        .find(|x| x.subject == SubjectRef::user("alice"))
        .expect("alice");
    assert_eq!(alice.via[0].aggregated_from, ["mid", "batch-writer"]);
    assert_eq!(alice.via[0].role.name, "top");
    // top's written rule is replaced by the controller; `excluded` does not match.
    assert!(subjects_of(&a, &q("get", "secrets")).is_empty());
    assert!(subjects_of(&a, &q("create", "jobs")).is_empty());
}

#[test]
fn every_answer_serialises_to_the_access_contract() {
    let a = build(vec![
        role(
            "ClusterRole",
            None,
            "w",
            json!([{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["create"]}]),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b",
            "ClusterRole",
            "w",
            json!([{"kind": "ServiceAccount", "name": "s", "namespace": "n"}]),
        ),
    ]);
    let answers = a.who_can(&q("create", "cronjobs.batch"));
    let v = serde_json::to_value(&answers[1]).expect("serialises");
    assert_eq!(v["schema"], "jobwarden.access/v1");
    assert_eq!(
        v["subject"],
        json!({"kind": "ServiceAccount", "name": "s", "namespace": "n"})
    );
    assert_eq!(
        (
            v["verb"].as_str(),
            v["resource"].as_str(),
            v["group"].as_str()
        ),
        (Some("create"), Some("cronjobs"), Some("batch"))
    );
    assert_eq!(v["scope"], "*");
    assert_eq!(v["path"], "direct");
    assert_eq!(
        v["via"][0]["binding"],
        json!({"kind": "ClusterRoleBinding", "name": "b"})
    );
    assert_eq!(
        v["via"][0]["role"],
        json!({"kind": "ClusterRole", "name": "w"})
    );
    assert_eq!(
        v["via"][0]["rule"],
        json!({"verbs": ["create"], "apiGroups": ["batch"], "resources": ["cronjobs"]})
    );
}

#[test]
fn redefinitions_and_ignored_aggregated_rules_are_reported() {
    let mut agg = role(
        "ClusterRole",
        None,
        "agg",
        json!([{"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create"]}]),
    );
    agg["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": {"none": "true"}}]});
    let objects: Vec<SourcedObject> = vec![
        agg,
        binding(
            "ClusterRoleBinding",
            None,
            "b",
            "ClusterRole",
            "agg",
            user("first"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b",
            "ClusterRole",
            "agg",
            user("second"),
        ),
        binding(
            "ClusterRoleBinding",
            None,
            "b",
            "ClusterRole",
            "agg",
            user("second"),
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, v)| SourcedObject::new(v, "dup.yaml", i as u64 + 1))
    .collect();
    let a = Analysis::build(&objects);
    let fields: Vec<(u64, &str)> = a
        .errors()
        .iter()
        .map(|e| (e.location.line, e.field.as_str()))
        .collect();
    // Line 2 is changed by the later definition; the identical repeat on line 3 is quiet.
    assert_eq!(fields, [(2, "."), (1, "rules")]);
    assert_eq!(a.counts(), (1, 1));
    assert!(subjects_of(&a, &q("create", "jobs")).is_empty());
}
