//! Unit tests of the PSS evaluator; the conformance run over upstream's 4,537 fixtures lives in
//! the manifest crate (`crates/manifest/tests/integration/pss_conformance.rs`), which can read YAML.

use super::*;
use serde_json::{Value, json};

fn restricted_pod() -> Value {
    json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "app",
            "image": "registry.k8s.io/pause",
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}
        }]
    })
}

fn ids(spec: &Value, level: Level, version: &str) -> Vec<&'static str> {
    let version: Version = version.parse().expect("version");
    evaluate_pod(&Value::Null, spec, level, version)
        .into_iter()
        .map(|v| v.check)
        .collect()
}

#[test]
fn hardened_pod_passes_everywhere() {
    let spec = restricted_pod();
    for minor in 0..=MAX_MINOR + 2 {
        let v = format!("v1.{minor}");
        assert!(ids(&spec, Level::Restricted, &v).is_empty(), "{v}");
        assert!(ids(&spec, Level::Baseline, &v).is_empty(), "{v}");
    }
}

#[test]
fn empty_pod_fails_restricted_with_upstream_messages() {
    let spec = json!({"containers": [{"name": "a"}], "initContainers": [{"name": "i"}]});
    assert!(ids(&spec, Level::Baseline, "latest").is_empty());
    let found = evaluate_pod(&Value::Null, &spec, Level::Restricted, Version::Latest);
    let by_id = |id: &str| found.iter().find(|v| v.check == id).expect(id);
    assert_eq!(
        by_id("runAsNonRoot").message(),
        "runAsNonRoot != true (pod or containers \"i\", \"a\" must set securityContext.runAsNonRoot=true)"
    );
    assert_eq!(
        by_id("allowPrivilegeEscalation").paths,
        vec![
            "spec.initContainers[0].securityContext.allowPrivilegeEscalation",
            "spec.containers[0].securityContext.allowPrivilegeEscalation"
        ]
    );
    assert_eq!(
        by_id("capabilities_restricted").detail,
        "containers \"i\", \"a\" must set securityContext.capabilities.drop=[\"ALL\"]"
    );
    // Before 1.8 only runAsNonRoot (and no seccomp field check) exists at restricted.
    assert_eq!(ids(&spec, Level::Restricted, "v1.7"), vec!["runAsNonRoot"]);
}

#[test]
fn overrides_switch_at_their_versions() {
    let mut spec = restricted_pod();
    spec["containers"][0]["securityContext"]["capabilities"] =
        json!({"drop": ["ALL"], "add": ["SYS_ADMIN"]});
    assert_eq!(
        ids(&spec, Level::Restricted, "v1.21"),
        vec!["capabilities_baseline"]
    );
    assert_eq!(
        ids(&spec, Level::Restricted, "v1.22"),
        vec!["capabilities_restricted"]
    );
    assert_eq!(
        ids(&spec, Level::Baseline, "v1.22"),
        vec!["capabilities_baseline"]
    );

    let mut spec = restricted_pod();
    spec["volumes"] = json!([{"name": "h", "hostPath": {"path": "/"}}, {"name": "d"}]);
    assert_eq!(
        ids(&spec, Level::Restricted, "v1.0"),
        vec!["restrictedVolumes"]
    );
    assert_eq!(ids(&spec, Level::Baseline, "v1.0"), vec!["hostPathVolumes"]);
}

#[test]
fn user_namespace_relaxations_start_at_1_35() {
    let spec = json!({
        "hostUsers": false,
        "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "a", "securityContext": {
            "procMount": "Unmasked", "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
    });
    assert_eq!(ids(&spec, Level::Baseline, "v1.34"), vec!["procMount"]);
    assert!(ids(&spec, Level::Baseline, "v1.35").is_empty());
    assert_eq!(
        ids(&spec, Level::Restricted, "v1.34"),
        vec!["procMount", "runAsNonRoot", "runAsUser"]
    );
    assert_eq!(
        ids(&spec, Level::Restricted, "v1.35"),
        vec!["procMount_restricted"]
    );
}

#[test]
fn sysctl_allow_list_grows_by_version() {
    let spec = json!({"containers": [{"name": "a"}],
        "securityContext": {"sysctls": [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}});
    assert_eq!(ids(&spec, Level::Baseline, "v1.36"), vec!["sysctls"]);
    assert!(ids(&spec, Level::Baseline, "v1.37").is_empty());
    assert!(ids(&spec, Level::Baseline, "latest").is_empty());
}

#[test]
fn windows_pods_are_exempt_from_linux_only_checks_from_1_25() {
    let spec = json!({"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": true},
        "containers": [{"name": "a"}]});
    assert!(ids(&spec, Level::Restricted, "v1.25").is_empty());
    assert_eq!(
        ids(&spec, Level::Restricted, "v1.24"),
        vec![
            "allowPrivilegeEscalation",
            "seccompProfile_restricted",
            "capabilities_restricted"
        ]
    );
}

#[test]
fn annotations_are_checked_with_paths() {
    let meta = json!({"annotations": {
        "container.apparmor.security.beta.kubernetes.io/a": "unconfined",
        "seccomp.security.alpha.kubernetes.io/pod": "unconfined"}});
    let spec = json!({"containers": [{"name": "a"}]});
    let found = evaluate_pod(&meta, &spec, Level::Baseline, Version::Minor(18));
    let checks: Vec<_> = found.iter().map(|v| v.check).collect();
    assert_eq!(checks, vec!["appArmorProfile", "seccompProfile_baseline"]);
    assert_eq!(
        found[0].paths,
        vec!["metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/a\"]"]
    );
    // From 1.19 the seccomp annotations are no longer read.
    let found = evaluate_pod(&meta, &spec, Level::Baseline, Version::Minor(19));
    assert_eq!(found.len(), 1);
}

#[test]
fn judge_object_prefixes_template_paths_for_every_kind() {
    let template = json!({"metadata": {}, "spec": {"containers": [{"name": "a",
        "securityContext": {"privileged": true}}]}});
    let cases = [
        (
            json!({"kind": "Pod", "spec": template["spec"].clone()}),
            "spec.containers[0]",
        ),
        (
            json!({"kind": "PodTemplate", "template": template.clone()}),
            "template.spec.containers[0]",
        ),
        (
            json!({"kind": "Deployment", "spec": {"template": template.clone()}}),
            "spec.template.spec.containers[0]",
        ),
        (
            json!({"kind": "Job", "spec": {"template": template.clone()}}),
            "spec.template.spec.containers[0]",
        ),
        (
            json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template.clone()}}}}),
            "spec.jobTemplate.spec.template.spec.containers[0]",
        ),
    ];
    for (object, prefix) in cases {
        let found = judge_object(&object, Level::Baseline, Version::Latest);
        assert_eq!(found.len(), 1, "{object}");
        assert_eq!(found[0].check, "pss.baseline.privileged");
        assert_eq!(
            found[0].path,
            format!("{prefix}.securityContext.privileged")
        );
        let finding = found[0].to_finding(Default::default(), Default::default());
        assert_eq!(
            finding.pss.as_ref().map(|p| p.version.as_str()),
            Some("latest")
        );
    }
    assert!(
        judge_object(
            &json!({"kind": "ConfigMap"}),
            Level::Restricted,
            Version::Latest
        )
        .is_empty()
    );
    assert!(
        judge_object(
            &json!({"kind": "CronJob", "spec": {}}),
            Level::Restricted,
            Version::Latest
        )
        .is_empty()
    );
}

#[test]
fn every_check_is_documented() {
    let spec = json!({"hostNetwork": true, "containers": [{"name": "a"}]});
    for v in evaluate_pod(&Value::Null, &spec, Level::Restricted, Version::Latest) {
        assert!(check_doc(v.check).is_some(), "{}", v.check);
    }
    assert_eq!(CHECKS.len(), 19);
}

#[test]
fn wrong_types_anywhere_never_panic() {
    let odd = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!("x"),
        json!([]),
        json!({}),
        json!([1, "a", null]),
        json!({"a": 1}),
    ];
    let fields = [
        "hostNetwork",
        "securityContext",
        "containers",
        "initContainers",
        "ephemeralContainers",
        "volumes",
        "os",
        "hostUsers",
    ];
    let container_fields = [
        "name",
        "securityContext",
        "ports",
        "livenessProbe",
        "lifecycle",
    ];
    let sc_fields = [
        "privileged",
        "capabilities",
        "seLinuxOptions",
        "procMount",
        "seccompProfile",
        "appArmorProfile",
        "windowsOptions",
        "runAsUser",
        "runAsNonRoot",
        "allowPrivilegeEscalation",
        "sysctls",
    ];
    for value in &odd {
        for field in fields {
            let spec = json!({ field: value.clone() });
            for level in [Level::Baseline, Level::Restricted] {
                let _ = evaluate_pod(value, &spec, level, Version::Latest);
                let _ = evaluate_pod(&Value::Null, value, level, Version::Minor(0));
            }
        }
        for field in container_fields {
            let spec = json!({"containers": [{ field: value.clone() }], "volumes": [{"name": value.clone(), "hostPath": value.clone()}]});
            let _ = evaluate_pod(
                &json!({"annotations": {"seccomp.security.alpha.kubernetes.io/pod": value.clone()}}),
                &spec,
                Level::Restricted,
                Version::Minor(18),
            );
        }
        for field in sc_fields {
            let sc = json!({ field: value.clone(), "capabilities": {"add": value.clone(), "drop": value.clone()} });
            let spec = json!({"securityContext": sc.clone(), "containers": [{"name": "a", "securityContext": sc}]});
            for minor in [0, 19, 25, 35] {
                let _ = evaluate_pod(
                    &Value::Null,
                    &spec,
                    Level::Restricted,
                    Version::Minor(minor),
                );
            }
        }
    }
}
