//! Compares `jobwarden_policy::pss` with the Kyverno pod-security policy test expectations in
//! `shared/fixtures/kyverno-policies/` (Pods, Deployments, CronJobs and a Job). Each Kyverno
//! policy is mapped to the upstream PSS check(s) it implements; a resource "fails" for us when
//! one of those checks reports a violation at `latest`. Every disagreement must be listed in
//! `KNOWN_DIFFERENCES` with the reason; any other disagreement fails the test.

use jobwarden_manifest::{Document, Limits, load_paths};
use jobwarden_policy::pss::{Level, Version, judge_object};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.join("fixtures/kyverno-policies").is_dir() {
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

/// The part of a PSS check a Kyverno rule covers: Kyverno splits some checks into two rules.
/// A violation counts for the rule when one of its paths contains this text.
fn path_filter(policy: &str, rule: &str) -> Option<&'static str> {
    match (policy, rule) {
        ("disallow-capabilities-strict", "require-drop-all") => Some(".capabilities.drop"),
        ("disallow-capabilities-strict", "adding-capabilities-strict") => {
            Some(".capabilities.add[")
        }
        ("disallow-selinux", "selinux-type") => Some(".seLinuxOptions.type"),
        ("disallow-selinux", "selinux-user-role") => Some(".seLinuxOptions.[ur]"),
        _ => None,
    }
}

/// Kyverno policy -> (level, PSS checks it implements). `None`: not a PSS check.
fn pss_equivalent(policy: &str) -> Option<(Level, &'static [&'static str])> {
    use Level::{Baseline, Restricted};
    Some(match policy {
        "disallow-capabilities" => (Baseline, &["capabilities_baseline"]),
        "disallow-host-namespaces" => (Baseline, &["hostNamespaces"]),
        "disallow-host-path" => (Baseline, &["hostPathVolumes"]),
        "disallow-host-ports" => (Baseline, &["hostPorts"]),
        "disallow-host-process" => (Baseline, &["windowsHostProcess"]),
        "disallow-privileged-containers" => (Baseline, &["privileged"]),
        "disallow-proc-mount" => (Baseline, &["procMount"]),
        "disallow-selinux" => (Baseline, &["seLinuxOptions"]),
        "restrict-apparmor-profiles" => (Baseline, &["appArmorProfile"]),
        "restrict-seccomp" => (Baseline, &["seccompProfile_baseline"]),
        "restrict-sysctls" => (Baseline, &["sysctls"]),
        "disallow-capabilities-strict" => (Restricted, &["capabilities_restricted"]),
        "disallow-privilege-escalation" => (Restricted, &["allowPrivilegeEscalation"]),
        "require-run-as-non-root-user" => (Restricted, &["runAsUser"]),
        "require-run-as-nonroot" => (Restricted, &["runAsNonRoot"]),
        "restrict-seccomp-strict" => (Restricted, &["seccompProfile_restricted"]),
        "restrict-volume-types" => (Restricted, &["restrictedVolumes"]),
        // Kyverno's `validate.podSecurity` runs the upstream library itself: every check.
        "podsecurity-subrule-baseline" => (Baseline, &[]),
        "podsecurity-subrule-restricted" => (Restricted, &[]),
        _ => return None,
    })
}

/// (policy, kind, resource) -> why Kyverno's expectation differs from the standard.
const KNOWN_DIFFERENCES: &[(&str, &str, &str, &str)] = &[];

/// Policies whose expectations are not comparable, with the reason.
const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "disallow-host-ports-range",
        "not a PSS check: allows host ports in a configured range, the standard forbids all",
    ),
    (
        "podsecurity-subrule-restricted-capabilities",
        "restricted with a per-image exemption of the capabilities checks defined only in the policy, not in the fixtures",
    ),
    (
        "podsecurity-subrule-restricted-seccomp",
        "restricted with a per-image exemption of the seccomp checks defined only in the policy, not in the fixtures",
    ),
    (
        "restrict-jobs",
        "not a PSS policy (forbids Jobs not created by CronJobs)",
    ),
];

struct Expectation {
    policy: String,
    rule: String,
    kind: String,
    resource: String,
    result: String,
    dir: PathBuf,
}

fn expectations(root: &PathBuf) -> Vec<Expectation> {
    let mut out = Vec::new();
    let report = load_paths(std::slice::from_ref(root), &Limits::default());
    for doc in report
        .documents
        .iter()
        .filter(|d| d.file.ends_with("kyverno-test.yaml"))
    {
        let dir = PathBuf::from(&doc.file)
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        for result in doc
            .value
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = |k: &str| {
                result
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            for resource in result
                .get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(Expectation {
                    policy: text("policy"),
                    rule: text("rule"),
                    kind: text("kind"),
                    resource: resource.as_str().unwrap_or("").to_string(),
                    result: text("result"),
                    dir: dir.clone(),
                });
            }
        }
    }
    out
}

/// `part` with `[ur]` matching `user` or `role`.
fn matches_part(path: &str, part: &str) -> bool {
    match part.strip_suffix("[ur]") {
        Some(prefix) => {
            path.contains(&format!("{prefix}user")) || path.contains(&format!("{prefix}role"))
        }
        None => path.contains(part),
    }
}

#[test]
fn kyverno_pod_security_expectations_match_the_standard() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("fixtures/kyverno-policies");
    let expected = expectations(&root);
    assert!(
        expected.len() >= 900,
        "only {} expectations read",
        expected.len()
    );

    let mut resources: BTreeMap<PathBuf, Vec<Document>> = BTreeMap::new();
    let mut compared = 0usize;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut differences = BTreeSet::new();
    for e in &expected {
        let Some((level, checks)) = pss_equivalent(&e.policy) else {
            assert!(
                NOT_COMPARED.iter().any(|(p, _)| *p == e.policy),
                "policy {} is neither mapped nor explained",
                e.policy
            );
            *skipped.entry(e.policy.clone()).or_default() += 1;
            continue;
        };
        if e.result == "skip" {
            *skipped.entry(format!("{} (skip)", e.policy)).or_default() += 1;
            continue;
        }
        let docs = resources.entry(e.dir.clone()).or_insert_with(|| {
            load_paths(&[e.dir.join("resource.yaml")], &Limits::default()).documents
        });
        let name = e.resource.rsplit('/').next().unwrap_or("");
        let doc = docs
            .iter()
            .find(|d| d.kind() == e.kind && d.name() == Some(name))
            .unwrap_or_else(|| panic!("{}: no {} {name}", e.dir.display(), e.kind));
        let found = judge_object(&doc.value, level, Version::Latest);
        let filter = path_filter(&e.policy, &e.rule);
        let fails = found.iter().any(|f| {
            (checks.is_empty() || checks.contains(&f.check_id))
                && filter.is_none_or(|part| f.paths.iter().any(|p| matches_part(p, part)))
        });
        let ours = if fails { "fail" } else { "pass" };
        compared += 1;
        if ours != e.result {
            let known = KNOWN_DIFFERENCES
                .iter()
                .any(|(p, k, r, _)| *p == e.policy && *k == e.kind && *r == name);
            if !known {
                differences.insert(format!(
                    "{} {} {name}: kyverno {} / pss {ours} {:?}",
                    e.policy,
                    e.kind,
                    e.result,
                    found.iter().map(|f| f.message.as_str()).collect::<Vec<_>>()
                ));
            }
        }
    }
    println!("kyverno comparison: {compared} expectations compared, not compared: {skipped:?}");
    assert!(
        differences.is_empty(),
        "{} unexplained differences:\n{}",
        differences.len(),
        differences.into_iter().collect::<Vec<_>>().join("\n")
    );
}
