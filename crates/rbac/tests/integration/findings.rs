//! M1018 findings over the bootstrap policy and a small custom input.

use crate::common;

use jobwarden_rbac::{Analysis, DEFAULT_AUTHORISED, SourcedObject, SubjectPattern};
use serde_json::json;

fn patterns(list: &[&str]) -> Vec<SubjectPattern> {
    list.iter()
        .map(|p| SubjectPattern::parse(p).expect("pattern"))
        .collect()
}

#[test]
fn bootstrap_is_clean_with_the_default_set_and_not_without_it() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let analysis = Analysis::build(&common::load_dir(&shared.join("fixtures/rbac/bootstrap")));
    assert!(
        analysis
            .rbac_findings(&patterns(DEFAULT_AUTHORISED))
            .is_empty()
    );
    let findings = analysis.rbac_findings(&patterns(&["Group:system:masters"]));
    assert!(
        findings
            .iter()
            .any(|f| f.check == "rbac.batch-writer.wildcard"
                && f.message.contains("generic-garbage-collector"))
    );
    assert!(
        findings
            .iter()
            .any(|f| f.check == "rbac.batch-writer.unauthorised"
                && f.message.contains("cronjob-controller"))
    );
    assert!(
        findings
            .iter()
            .all(|f| !f.message.starts_with("Group system:masters"))
    );
    for f in &findings {
        assert_eq!(f.mitigation.as_deref(), Some("M1018"));
        assert!(f.location.line > 0 && !f.location.file.is_empty(), "{f:?}");
    }
}

#[test]
fn a_team_editor_outside_the_set_is_reported_at_its_binding() {
    let objects = vec![
        SourcedObject::new(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "cron"}, "rules": [{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["patch"]}]}),
            "team.yaml",
            1,
        ),
        SourcedObject::new(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "dev-cron", "namespace": "team"},
            "roleRef": {"kind": "ClusterRole", "name": "cron"},
            "subjects": [{"kind": "User", "name": "dev"}, {"kind": "User", "name": "ops-admin"}]}),
            "team.yaml",
            9,
        ),
    ];
    let analysis = Analysis::build(&objects);
    let findings = analysis.rbac_findings(&patterns(&["User:*-admin"]));
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f.check, "rbac.batch-writer.unauthorised");
    assert_eq!(
        (f.location.file.as_str(), f.location.line),
        ("team.yaml", 9)
    );
    assert_eq!(f.object.name.as_deref(), Some("dev-cron"));
    assert!(
        f.message
            .starts_with("User dev can patch cronjobs in namespace team"),
        "{}",
        f.message
    );
}
