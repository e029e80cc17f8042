//! The Kubernetes bootstrap policy (`shared/fixtures/rbac/bootstrap`): who can write Jobs and
//! CronJobs. Every answer of `who_can` is checked against the per-identity authorizer, and
//! every subject of every binding that the authorizer allows must be in `who_can`.

use crate::common;

use jobwarden_rbac::{
    AccessPath, AccessQuery, Analysis, RequestAttributes, ResourceAttributes, Scope, SourcedObject,
    SubjectKind, SubjectRef, UserInfo,
};
use serde_json::json;
use std::collections::BTreeSet;

fn bootstrap() -> Option<Vec<SourcedObject>> {
    let shared = common::shared_dir()?;
    Some(common::load_dir(&shared.join("fixtures/rbac/bootstrap")))
}

fn identity(s: &SubjectRef) -> UserInfo {
    match s.kind {
        SubjectKind::ServiceAccount => {
            UserInfo::service_account(s.namespace.as_deref().unwrap_or(""), &s.name)
        }
        SubjectKind::User => UserInfo::authenticated(&s.name, &[]),
        SubjectKind::Group => UserInfo::authenticated("jobwarden:probe", &[&s.name]),
    }
}

fn request(verb: &str, resource: &str, namespace: &str) -> RequestAttributes {
    RequestAttributes::Resource(ResourceAttributes {
        verb: verb.into(),
        group: "batch".into(),
        resource: resource.into(),
        namespace: namespace.into(),
        // patch and update always name an object.
        name: if verb == "create" {
            String::new()
        } else {
            "x".into()
        },
        ..ResourceAttributes::default()
    })
}

const QUESTIONS: [(&str, &str); 6] = [
    ("create", "jobs"),
    ("create", "cronjobs"),
    ("patch", "cronjobs"),
    ("update", "cronjobs"),
    ("patch", "jobs"),
    ("update", "jobs"),
];

#[test]
fn who_can_write_batch_objects_agrees_with_the_authorizer() {
    let Some(objects) = bootstrap() else { return };
    let analysis = Analysis::build(&objects);
    assert!(analysis.errors().is_empty(), "{:?}", analysis.errors());
    let (roles, bindings) = analysis.counts();
    assert!(
        roles > 50 && bindings > 40,
        "{roles} roles, {bindings} bindings"
    );
    let all_subjects: BTreeSet<SubjectRef> = analysis_subjects(&objects);
    for (verb, resource) in QUESTIONS {
        let q = AccessQuery::resource(verb, "batch", resource, None);
        let answers = analysis.who_can(&q);
        let cluster_wide: BTreeSet<SubjectRef> = answers
            .iter()
            .filter(|a| a.scope == Scope::All)
            .map(|a| a.subject.clone())
            .collect();
        for a in &answers {
            assert_eq!(a.path, AccessPath::Direct);
            let ns = match &a.scope {
                Scope::All => "some-namespace",
                Scope::Namespace(ns) => ns,
            };
            let d = analysis.authorize(&identity(&a.subject), &request(verb, resource, ns));
            assert!(
                d.allowed,
                "{verb} {resource}: {} listed but not authorised",
                a.subject
            );
        }
        for s in &all_subjects {
            let d = analysis.authorize(&identity(s), &request(verb, resource, "some-namespace"));
            let direct = d.via.iter().any(|g| {
                g.binding.kind == "ClusterRoleBinding" && {
                    let named: bool = analysis
                        .rules_of_subject(s)
                        .iter()
                        .any(|(_, own)| own.binding == g.binding);
                    named
                }
            });
            if direct {
                assert!(
                    cluster_wide.contains(s),
                    "{verb} {resource}: {s} authorised but missing"
                );
            }
        }
        let names: Vec<String> = cluster_wide.iter().map(ToString::to_string).collect();
        println!("{verb} {resource}: {}", names.join(", "));
        // system:masters, through cluster-admin and the superuser bypass.
        let masters = answers
            .iter()
            .find(|a| a.subject == SubjectRef::group("system:masters"))
            .expect("system:masters answers");
        assert!(masters.note.is_some());
        assert!(masters.via.iter().any(|g| g.role.name == "cluster-admin"));
        // admin / edit aggregate batch writes, but bootstrap binds nobody to them.
        assert!(answers.iter().all(|a| {
            a.via
                .iter()
                .all(|g| g.role.name != "admin" && g.role.name != "edit")
        }));
    }
    let create_jobs = analysis.who_can(&AccessQuery::resource("create", "batch", "jobs", None));
    let cronjob_controller = SubjectRef::service_account("kube-system", "cronjob-controller");
    assert!(
        create_jobs
            .iter()
            .any(|a| a.subject == cronjob_controller && a.scope == Scope::All)
    );
    let create_cronjobs =
        analysis.who_can(&AccessQuery::resource("create", "batch", "cronjobs", None));
    assert!(
        create_cronjobs
            .iter()
            .all(|a| a.subject != cronjob_controller)
    );
}

/// Every subject named by a binding in the input.
fn analysis_subjects(objects: &[SourcedObject]) -> BTreeSet<SubjectRef> {
    let mut out = BTreeSet::new();
    let mut visit = |v: &serde_json::Value| {
        let ns = v
            .pointer("/metadata/namespace")
            .and_then(|n| n.as_str())
            .unwrap_or("");
        for s in v
            .get("subjects")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            let name = s.get("name").and_then(|n| n.as_str()).unwrap_or("");
            match s.get("kind").and_then(|k| k.as_str()) {
                Some("User") => out.insert(SubjectRef::from_user_name(name)),
                Some("Group") => out.insert(SubjectRef::group(name)),
                Some("ServiceAccount") => out.insert(SubjectRef::service_account(
                    s.get("namespace").and_then(|n| n.as_str()).unwrap_or(ns),
                    name,
                )),
                _ => false,
            };
        }
    };
    for o in objects {
        match o.value.get("items").and_then(|i| i.as_array()) {
            Some(items) => items.iter().for_each(&mut visit),
            None => visit(&o.value),
        }
    }
    out
}

#[test]
fn aggregated_admin_and_edit_grant_batch_writes_with_their_source_roles() {
    let Some(mut objects) = bootstrap() else {
        return;
    };
    for (name, role) in [("dev", "edit"), ("lead", "admin")] {
        objects.push(SourcedObject::new(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": format!("{name}-{role}"), "namespace": "team"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                   "subjects": [{"kind": "User", "name": name}]}),
            "extra.yaml",
            1,
        ));
    }
    let analysis = Analysis::build(&objects);
    let answers = analysis.who_can(&AccessQuery::resource("create", "batch", "cronjobs", None));
    let find = |user: &str| {
        answers
            .iter()
            .find(|a| a.subject == SubjectRef::user(user))
            .unwrap_or_else(|| panic!("{user} missing"))
    };
    let dev = find("dev");
    assert_eq!(dev.scope, Scope::Namespace("team".into()));
    assert_eq!(dev.via[0].aggregated_from, ["system:aggregate-to-edit"]);
    let lead = find("lead");
    assert_eq!(
        lead.via[0].aggregated_from,
        ["edit", "system:aggregate-to-edit"]
    );
    // view aggregates only read access.
    let view = analysis
        .role_rules(jobwarden_rbac::RoleKind::ClusterRole, "", "view")
        .expect("view");
    assert!(!view.is_empty());
    assert!(view.iter().all(|r| !r.verb_matches("create")));
}

#[test]
fn schedule_code_finds_the_bootstrap_pivots() {
    let Some(objects) = bootstrap() else { return };
    let analysis = Analysis::build(&objects);
    let answers = analysis.schedule_code();
    let has = |s: &SubjectRef, path: AccessPath| {
        answers.iter().any(|a| &a.subject == s && a.path == path)
    };
    let aggregation =
        SubjectRef::service_account("kube-system", "clusterrole-aggregation-controller");
    assert!(
        has(&aggregation, AccessPath::Escalate),
        "escalate via its own ClusterRole"
    );
    let kcm = SubjectRef::user("system:kube-controller-manager");
    assert!(
        has(&kcm, AccessPath::Token),
        "TokenRequest for controller service accounts"
    );
    let gc = SubjectRef::service_account("kube-system", "generic-garbage-collector");
    assert!(has(&gc, AccessPath::Direct));
    assert!(has(&gc, AccessPath::AdmissionTamper));
    assert!(has(
        &SubjectRef::group("system:masters"),
        AccessPath::Direct
    ));
    for a in answers.iter().filter(|a| a.path != AccessPath::Direct) {
        assert!(!a.hops.is_empty(), "{} {:?} has no hops", a.subject, a.path);
    }
    let mut summary: Vec<String> = answers
        .iter()
        .map(|a| format!("{} {} {}", a.subject, a.scope, a.path.as_str()))
        .collect();
    summary.dedup();
    println!("{}", summary.join("\n"));
}
