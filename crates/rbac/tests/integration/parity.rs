//! kubescape's RBAC-graph parity fixtures: every question's answer was recorded against a real
//! kube-apiserver. Each is asked through the crate's authorizer and escalation checks.

use crate::common;

use jobwarden_rbac::{
    Analysis, PolicyRule, RequestAttributes, ResourceAttributes, RoleKind, SourcedObject, UserInfo,
};
use serde_json::Value;

/// The rule the reference run writes into the Role (kubescape's `fixture.go`: a dry-run
/// update or patch "with a rule granting everything").
fn everything() -> Vec<PolicyRule> {
    vec![PolicyRule {
        verbs: vec!["*".into()],
        api_groups: vec!["*".into()],
        resources: vec!["*".into()],
        ..PolicyRule::default()
    }]
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn identity(q: &Value) -> UserInfo {
    if let Some(sa) = q.get("serviceAccount") {
        let ns = str_field(sa, "namespace").expect("serviceAccount.namespace");
        let name = str_field(sa, "name").expect("serviceAccount.name");
        return UserInfo::service_account(ns, name);
    }
    if let Some(user) = q.get("user") {
        let name = user
            .as_str()
            .or_else(|| str_field(user, "name"))
            .expect("user name");
        let groups: Vec<&str> = user
            .get("groups")
            .and_then(Value::as_array)
            .map(|g| g.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        return UserInfo::authenticated(name, &groups);
    }
    panic!("question {q} names no identity (serviceAccount or user)");
}

/// The answer to one question, or a panic for a question kind this test does not know.
fn ask(analysis: &Analysis, q: &Value) -> bool {
    let user = identity(q);
    if let Some(t) = q.get("mintToken") {
        let request = RequestAttributes::Resource(ResourceAttributes {
            verb: "create".into(),
            group: String::new(),
            resource: "serviceaccounts".into(),
            subresource: "token".into(),
            name: str_field(t, "name").expect("mintToken.name").into(),
            namespace: str_field(t, "namespace")
                .expect("mintToken.namespace")
                .into(),
        });
        return analysis.authorize(&user, &request).allowed;
    }
    if let Some(r) = q.get("rewriteRole") {
        let name = str_field(r, "name").expect("rewriteRole.name");
        let verb = str_field(r, "verb").unwrap_or("update");
        let (kind, ns) = match str_field(r, "namespace") {
            Some(ns) => (RoleKind::Role, ns),
            None => (RoleKind::ClusterRole, ""),
        };
        return analysis.can_write_role(&user, kind, ns, name, verb, &everything());
    }
    for (key, kind) in [
        ("bindClusterRole", RoleKind::ClusterRole),
        ("bindRole", RoleKind::Role),
    ] {
        if let Some(b) = q.get(key) {
            let name = str_field(b, "name").expect("bind name");
            return analysis.can_bind_role(&user, str_field(b, "namespace"), kind, name);
        }
    }
    panic!("unknown question kind in {q}");
}

#[test]
fn kubescape_parity_fixtures_match_the_apiserver() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("fixtures/kubescape-rbacgraph-parity/core/pkg/rbacgraph/parity/testdata");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("parity dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no parity fixtures in {}", dir.display());
    let mut asked = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let doc: Value = serde_saphyr::from_str(&text).expect("parity yaml");
        let objects: Vec<SourcedObject> = doc
            .get("objects")
            .and_then(Value::as_array)
            .expect("objects")
            .iter()
            .enumerate()
            .map(|(i, v)| SourcedObject::new(v.clone(), file.display().to_string(), i as u64 + 1))
            .collect();
        let analysis = Analysis::build(&objects);
        assert!(analysis.errors().is_empty(), "{:?}", analysis.errors());
        for q in doc
            .get("questions")
            .and_then(Value::as_array)
            .expect("questions")
        {
            let expected = match str_field(q, "kubernetes") {
                Some("allowed") => true,
                Some("denied") => false,
                other => panic!("unexpected answer {other:?} in {q}"),
            };
            asked += 1;
            if ask(&analysis, q) != expected {
                wrong.push(format!(
                    "{}: {} expected {}",
                    file.display(),
                    str_field(q, "id").unwrap_or("?"),
                    if expected { "allowed" } else { "denied" }
                ));
            }
        }
    }
    println!("parity: {asked} questions over {} files", files.len());
    assert!(
        asked >= 20,
        "expected the 20 recorded questions, asked {asked}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
