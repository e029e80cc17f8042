//! Scale: 50 000 roles and bindings analysed (build, one who-can, schedule-code), time printed.
//! The target is under 1 s in a release build; debug builds only get a loose bound.

use jobwarden_rbac::{AccessQuery, Analysis, SourcedObject};
use serde_json::json;
use std::time::Instant;

fn objects(namespaces: usize, per_namespace: usize, cluster: usize) -> Vec<SourcedObject> {
    let mut out = Vec::new();
    let mut push = |v: serde_json::Value| {
        let line = out.len() as u64 + 1;
        out.push(SourcedObject::new(v, "scale.yaml", line));
    };
    let verbs = [
        json!(["get", "list"]),
        json!(["create", "patch"]),
        json!(["*"]),
        json!(["escalate", "update"]),
        json!(["bind"]),
    ];
    let resources = [
        json!(["pods"]),
        json!(["cronjobs", "jobs"]),
        json!(["*/scale"]),
        json!(["roles"]),
        json!(["serviceaccounts/token"]),
    ];
    let groups = [
        json!([""]),
        json!(["batch"]),
        json!(["*"]),
        json!(["rbac.authorization.k8s.io"]),
        json!([""]),
    ];
    for c in 0..cluster {
        let k = c % 5;
        let mut role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": format!("cr-{c}"), "labels": {"agg": format!("{}", c % 50)}},
            "rules": [{"apiGroups": groups[k], "resources": resources[k], "verbs": verbs[k]}]});
        if c % 100 == 0 {
            role["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": {"agg": format!("{}", (c / 100) % 50)}}]});
            role["rules"] = json!([]);
        }
        push(role);
        push(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("crb-{c}")},
            "roleRef": {"kind": "ClusterRole", "name": format!("cr-{c}")},
            "subjects": [{"kind": "User", "name": format!("user-{}", c % 997)},
                         {"kind": "ServiceAccount", "name": "sa-0", "namespace": format!("ns-{}", c % namespaces)}]}),
        );
    }
    for n in 0..namespaces {
        push(
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa-0", "namespace": format!("ns-{n}")}}),
        );
        for r in 0..per_namespace {
            let k = (n + r) % 5;
            push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": format!("r-{r}"), "namespace": format!("ns-{n}")},
                "rules": [{"apiGroups": groups[k], "resources": resources[k], "verbs": verbs[k]}]}),
            );
            let role_ref = if r % 3 == 0 {
                json!({"kind": "ClusterRole", "name": format!("cr-{}", (n * per_namespace + r) % cluster)})
            } else {
                json!({"kind": "Role", "name": format!("r-{r}")})
            };
            push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": format!("rb-{r}"), "namespace": format!("ns-{n}")},
                "roleRef": role_ref,
                "subjects": [{"kind": "ServiceAccount", "name": format!("sa-{}", r % 4)},
                             {"kind": "Group", "name": format!("team-{}", n % 31)}]}),
            );
        }
    }
    out
}

#[test]
fn fifty_thousand_roles_and_bindings() {
    // 2 * 2500 cluster + 2 * 500 * 45 namespaced = 50 000 roles and bindings.
    let input = objects(500, 45, 2500);
    let start = Instant::now();
    let analysis = Analysis::build(&input);
    let built = start.elapsed();
    let (roles, bindings) = analysis.counts();
    assert_eq!(roles + bindings, 50_000);
    assert!(
        analysis.errors().is_empty(),
        "{:?}",
        analysis.errors().first()
    );
    let answers = analysis.who_can(&AccessQuery::parse("create", "cronjobs.batch").expect("query"));
    let asked = start.elapsed();
    let schedule = analysis.schedule_code();
    let total = start.elapsed();
    println!(
        "scale: {roles} roles + {bindings} bindings: build {built:?}, who-can {:?} ({} answers), schedule-code {:?} ({} answers), total {total:?}",
        asked - built,
        answers.len(),
        total - asked,
        schedule.len()
    );
    assert!(answers.len() > 100 && schedule.len() > answers.len());
    // Timing is printed, not asserted: shared machines are noisy. The figure for the notes
    // comes from `cargo test --release -p jobwarden-rbac --test integration scale:: -- --nocapture`.
}
