//! Conformance of `jobwarden_policy::pss` with upstream pod-security-admission over its own
//! fixtures (`shared/fixtures/pod-security/<level>/<version>/<pass|fail>/*.yaml`), read with
//! this crate's loader: every `pass` Pod gives no violation, every `fail` Pod gives one of the
//! check its file name names (or of the restricted check that overrides it at that version).
//! Each Pod is also judged wrapped in a CronJob and a Deployment (PSA extracts their templates)
//! and must get the same checks, and every reported field that exists must sit on a line that
//! names it.

use jobwarden_manifest::{Limits, load_paths};
use jobwarden_policy::pss::{Level, Version, evaluate_pod, judge_object};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.join("fixtures/pod-security").is_dir() {
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

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read fixture dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    out.sort();
    out
}

/// The check a fixture exercises, from its file name (`capabilities_baseline3.yaml`).
fn named_check(file: &Path) -> String {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem.trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

/// The checks that may report a fixture named for `check` at this level and version: the
/// check itself, or the restricted check that replaces it.
fn accepted(check: &str, level: Level, minor: u32) -> Vec<String> {
    let mut out = vec![check.to_string()];
    if level == Level::Restricted {
        let replacement = match check {
            "hostpathvolumes" => Some("restrictedvolumes"),
            "seccompprofile_baseline" if minor >= 19 => Some("seccompprofile_restricted"),
            "capabilities_baseline" if minor >= 22 => Some("capabilities_restricted"),
            "procmount" if minor >= 35 => Some("procmount_restricted"),
            _ => None,
        };
        out.extend(replacement.map(str::to_string));
    }
    out
}

fn last_key(path: &str) -> Option<String> {
    if path.ends_with(']') && !path.ends_with("\"]") {
        return None;
    }
    if let Some(start) = path.rfind("[\"") {
        return serde_json::from_str::<String>(&path[start + 1..path.len() - 1]).ok();
    }
    path.rsplit('.').next().map(str::to_string)
}

fn field_exists(value: &Value, path: &str) -> bool {
    let mut current = value;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some(next) = current.get(key) else {
            return false;
        };
        current = match index {
            Some(i) => match next.get(i) {
                Some(v) => v,
                None => return false,
            },
            None => next,
        };
    }
    true
}

#[test]
fn upstream_fixtures_conform() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("fixtures/pod-security");
    let (mut passed, mut total, mut lines_checked) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for level_dir in sorted_entries(&root) {
        let level: Level = level_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .parse()
            .expect("level dir");
        for version_dir in sorted_entries(&level_dir) {
            let version_name = version_dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let version: Version = version_name.parse().expect("version dir");
            let minor = version.effective_minor();
            for verdict in ["pass", "fail"] {
                let dir = version_dir.join(verdict);
                if !dir.is_dir() {
                    continue;
                }
                for file in sorted_entries(&dir) {
                    total += 1;
                    let report = load_paths(std::slice::from_ref(&file), &Limits::default());
                    assert!(
                        report.errors.is_empty(),
                        "{}: {:?}",
                        file.display(),
                        report.errors
                    );
                    assert_eq!(report.documents.len(), 1, "{}", file.display());
                    let doc = &report.documents[0];
                    let pod = &doc.value;
                    let meta = pod.get("metadata").cloned().unwrap_or(Value::Null);
                    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
                    let violations = evaluate_pod(&meta, &spec, level, version);
                    let ids: Vec<String> = violations
                        .iter()
                        .map(|v| v.check.to_ascii_lowercase())
                        .collect();

                    let ok = if verdict == "pass" {
                        ids.is_empty()
                    } else {
                        let want = accepted(&named_check(&file), level, minor);
                        ids.iter().any(|id| want.contains(id))
                    };
                    if ok {
                        passed += 1;
                    } else {
                        failures.push(format!(
                            "{level} {version_name} {verdict} {}: {ids:?}",
                            file.display()
                        ));
                    }

                    // The same verdict through the workload kinds PSA extracts templates from.
                    let template = json!({"metadata": meta, "spec": spec});
                    let wrapped = [
                        json!({"apiVersion": "batch/v1", "kind": "CronJob",
                               "spec": {"jobTemplate": {"spec": {"template": template.clone()}}}}),
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": template}}),
                    ];
                    for object in wrapped {
                        let got: Vec<&str> = judge_object(&object, level, version)
                            .iter()
                            .map(|f| f.check_id)
                            .collect();
                        let want: Vec<&str> = violations.iter().map(|v| v.check).collect();
                        assert_eq!(
                            got,
                            want,
                            "{} wrapped as {}",
                            file.display(),
                            object["kind"]
                        );
                    }

                    // Reported fields that exist must be found on a line that names them.
                    let text = std::fs::read_to_string(&file).expect("read fixture");
                    let file_lines: Vec<&str> = text.lines().collect();
                    for finding in judge_object(pod, level, version) {
                        for path in &finding.paths {
                            let line = doc.line_of(path);
                            assert!(
                                line >= 1 && line as usize <= file_lines.len(),
                                "{}: {path}",
                                file.display()
                            );
                            if let Some(key) = last_key(path)
                                && !path.contains("[\"")
                                && field_exists(pod, path)
                            {
                                let at = file_lines[line as usize - 1];
                                assert!(
                                    at.contains(&key),
                                    "{}: {path} -> line {line} {at:?}",
                                    file.display()
                                );
                                lines_checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    println!(
        "pod-security conformance: {passed}/{total} fixtures agree with upstream ({lines_checked} field lines checked)"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(total, 4537, "fixture count changed");
}
