//! `schedule_code`: each indirect path on a small scenario, with a control that must not match.

use jobwarden_rbac::{AccessAnswer, AccessPath, Analysis, Scope, SourcedObject, SubjectRef};
use serde_json::{Value, json};

fn build(values: Vec<Value>) -> Analysis {
    let objects: Vec<SourcedObject> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| SourcedObject::new(v, "s.yaml", i as u64 + 1))
        .collect();
    let a = Analysis::build(&objects);
    assert!(a.errors().is_empty(), "{:?}", a.errors());
    a
}

fn cluster_role(name: &str, rules: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules})
}

fn ns_role(ns: &str, name: &str, rules: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": rules})
}

fn rb(ns: &str, name: &str, role_kind: &str, role: &str, subjects: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name, "namespace": ns},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}, "subjects": subjects})
}

fn crb(name: &str, role: &str, subjects: Value) -> Value {
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subjects})
}

fn user(name: &str) -> Value {
    json!([{"kind": "User", "name": name}])
}

/// A namespace `ci` whose service account `runner` may create CronJobs there.
fn base() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ci"}}),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner", "namespace": "ci"}}),
        cluster_role(
            "cron-writer",
            json!([{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["create"]}]),
        ),
        rb(
            "ci",
            "runner-writes",
            "ClusterRole",
            "cron-writer",
            json!([{"kind": "ServiceAccount", "name": "runner"}]),
        ),
    ]
}

fn find<'a>(
    answers: &'a [AccessAnswer],
    s: &SubjectRef,
    path: AccessPath,
) -> Option<&'a AccessAnswer> {
    answers.iter().find(|a| &a.subject == s && a.path == path)
}

fn with(extra: Vec<Value>) -> Vec<AccessAnswer> {
    let mut objects = base();
    objects.extend(extra);
    build(objects).schedule_code()
}

#[test]
fn direct_writers_are_listed_with_their_verbs() {
    let answers = with(vec![]);
    let runner = SubjectRef::service_account("ci", "runner");
    let a = find(&answers, &runner, AccessPath::Direct).expect("runner writes");
    assert_eq!(
        (a.verb.as_str(), a.resource.as_str(), a.group.as_str()),
        ("create", "cronjobs", "batch")
    );
    assert_eq!(a.scope, Scope::Namespace("ci".into()));
    assert!(
        find(
            &answers,
            &SubjectRef::group("system:masters"),
            AccessPath::Direct
        )
        .is_some()
    );
}

#[test]
fn impersonating_a_writer_or_system_masters() {
    let answers = with(vec![
        cluster_role(
            "imp-sa",
            json!([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"], "resourceNames": ["runner"]}]),
        ),
        rb("ci", "imp", "ClusterRole", "imp-sa", user("eve")),
        cluster_role(
            "imp-other",
            json!([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"], "resourceNames": ["nobody"]}]),
        ),
        rb("ci", "imp-other", "ClusterRole", "imp-other", user("bob")),
        cluster_role(
            "imp-masters",
            json!([{"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}]),
        ),
        crb("imp-masters", "imp-masters", user("mallory")),
    ]);
    let eve = find(&answers, &SubjectRef::user("eve"), AccessPath::Impersonate).expect("eve");
    assert_eq!(eve.scope, Scope::Namespace("ci".into()));
    assert_eq!(eve.hops.len(), 2);
    assert_eq!(
        eve.hops[1].subject,
        Some(SubjectRef::service_account("ci", "runner"))
    );
    assert!(find(&answers, &SubjectRef::user("bob"), AccessPath::Impersonate).is_none());
    let mallory = find(
        &answers,
        &SubjectRef::user("mallory"),
        AccessPath::Impersonate,
    )
    .expect("mallory");
    assert_eq!(mallory.scope, Scope::All);
    assert!(
        mallory
            .hops
            .iter()
            .any(|h| h.subject == Some(SubjectRef::group("system:masters")))
    );
}

#[test]
fn minting_or_reading_tokens_of_a_writer() {
    let answers = with(vec![
        ns_role(
            "ci",
            "minter",
            json!([{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]),
        ),
        rb("ci", "minter", "Role", "minter", user("tok")),
        ns_role(
            "ci",
            "reader",
            json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["runner-token"]}]),
        ),
        rb("ci", "reader", "Role", "reader", user("reader")),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
               "metadata": {"name": "runner-token", "namespace": "ci", "annotations": {"kubernetes.io/service-account.name": "runner"}}}),
        ns_role(
            "other",
            "minter",
            json!([{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]),
        ),
        rb("other", "minter", "Role", "minter", user("elsewhere")),
    ]);
    assert!(find(&answers, &SubjectRef::user("tok"), AccessPath::Token).is_some());
    let reader = find(&answers, &SubjectRef::user("reader"), AccessPath::Token).expect("reader");
    assert!(reader.hops[0].action.contains("runner-token"));
    assert!(find(&answers, &SubjectRef::user("elsewhere"), AccessPath::Token).is_none());
}

#[test]
fn creating_pods_and_exec_into_pods_of_a_writer() {
    let pods = cluster_role(
        "pods",
        json!([
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
    );
    let binding = rb("ci", "pods", "ClusterRole", "pods", user("dev"));
    let without_pod = with(vec![pods.clone(), binding.clone()]);
    let dev = SubjectRef::user("dev");
    assert!(find(&without_pod, &dev, AccessPath::PodWithServiceaccount).is_some());
    assert!(
        find(&without_pod, &dev, AccessPath::Exec).is_none(),
        "no pod runs as runner"
    );
    let with_pod = with(vec![
        pods,
        binding,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "agent", "namespace": "ci"},
        "spec": {"template": {"spec": {"serviceAccountName": "runner"}}}}),
    ]);
    let exec = find(&with_pod, &dev, AccessPath::Exec).expect("exec");
    assert!(exec.hops[0].action.contains("Deployment ci/agent"));
}

#[test]
fn escalate_on_a_bound_role() {
    let answers = with(vec![
        ns_role(
            "ci",
            "self",
            json!([
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate", "patch"], "resourceNames": ["self"]}]),
        ),
        rb("ci", "self", "Role", "self", user("climber")),
        ns_role(
            "ci",
            "no-escalate",
            json!([
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["update"]}]),
        ),
        // Create on any role does not make an update limited to another name cover this one.
        ns_role(
            "ci",
            "mine",
            json!([
                {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate", "create"]},
                {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["update"], "resourceNames": ["other"]}
            ]),
        ),
        rb("ci", "mine", "Role", "mine", user("creator")),
        rb("ci", "no-escalate", "Role", "no-escalate", user("updater")),
    ]);
    let climber =
        find(&answers, &SubjectRef::user("climber"), AccessPath::Escalate).expect("climber");
    assert_eq!(climber.scope, Scope::Namespace("ci".into()));
    assert!(climber.hops[0].action.contains("rewrite Role self"));
    assert!(find(&answers, &SubjectRef::user("updater"), AccessPath::Escalate).is_none());
    assert!(find(&answers, &SubjectRef::user("creator"), AccessPath::Escalate).is_none());
}

#[test]
fn bind_a_batch_role_in_the_right_namespace() {
    let answers = with(vec![
        cluster_role(
            "binder",
            json!([
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["cron-writer"]},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}]),
        ),
        rb("ci", "binder", "ClusterRole", "binder", user("binder")),
        cluster_role(
            "binder-wrong",
            json!([
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": ["view"]},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["create"]}]),
        ),
        rb(
            "ci",
            "binder-wrong",
            "ClusterRole",
            "binder-wrong",
            user("viewer"),
        ),
    ]);
    let binder = find(&answers, &SubjectRef::user("binder"), AccessPath::Bind).expect("binder");
    assert_eq!(binder.scope, Scope::Namespace("ci".into()));
    assert!(
        binder.hops[0]
            .object
            .as_ref()
            .is_some_and(|o| o.name == "cron-writer")
    );
    assert!(find(&answers, &SubjectRef::user("viewer"), AccessPath::Bind).is_none());
}

#[test]
fn tampering_with_admission() {
    let answers = with(vec![
        cluster_role(
            "labels",
            json!([{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]}]),
        ),
        rb("ci", "labels", "ClusterRole", "labels", user("ns-owner")),
        cluster_role(
            "hooks",
            json!([{"apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"], "verbs": ["delete"]}]),
        ),
        crb("hooks", "hooks", user("hooker")),
    ]);
    let owner = find(
        &answers,
        &SubjectRef::user("ns-owner"),
        AccessPath::AdmissionTamper,
    )
    .expect("owner");
    assert_eq!(
        (owner.scope.clone(), owner.group.as_str()),
        (Scope::Namespace("ci".into()), "")
    );
    let hooker = find(
        &answers,
        &SubjectRef::user("hooker"),
        AccessPath::AdmissionTamper,
    )
    .expect("hooker");
    assert_eq!(
        (hooker.scope.clone(), hooker.group.as_str()),
        (Scope::All, "admissionregistration.k8s.io")
    );
    let v = serde_json::to_value(hooker).expect("serialises");
    assert_eq!(v["path"], "admission-tamper");
}

#[test]
fn indirect_answers_serialise_with_hops() {
    let answers = with(vec![
        cluster_role(
            "imp-sa",
            json!([{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}]),
        ),
        rb("ci", "imp", "ClusterRole", "imp-sa", user("eve")),
    ]);
    let eve = find(&answers, &SubjectRef::user("eve"), AccessPath::Impersonate).expect("eve");
    let v = serde_json::to_value(eve).expect("serialises");
    if std::env::var_os("JOBWARDEN_SHOW").is_some() {
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    }
    assert_eq!(v["path"], "impersonate");
    assert_eq!(v["scope"], "ci");
    assert_eq!(
        (
            v["verb"].as_str(),
            v["resource"].as_str(),
            v["group"].as_str()
        ),
        (Some("create"), Some("cronjobs"), Some("batch"))
    );
    assert_eq!(v["via"][0]["role"]["name"], "imp-sa");
    assert_eq!(
        v["hops"][0]["action"],
        "impersonate ServiceAccount ci/runner"
    );
    assert_eq!(v["hops"][1]["via"][0]["binding"]["name"], "runner-writes");
}
