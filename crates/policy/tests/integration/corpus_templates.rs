//! The policy core over every workload object in the real audit corpus (`shared/corpus`):
//! nothing panics, and where a trace's name states what its pod does (Falco's test traces:
//! `..._privileged`, `..._sensitive_mount`, `..._hostnetwork` and their negations), the matching
//! template check fires or stays quiet.

use jobwarden_model::Severity;
use jobwarden_policy::{TemplatePolicy, judge_object, pod_template, summarize_pod_spec};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.join("corpus").is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared data not found at {} (set JOBWARDEN_SHARED)",
            dir.display()
        );
    }
    eprintln!(
        "skipping: shared data not found at {} (set JOBWARDEN_SHARED)",
        dir.display()
    );
    None
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "jsonl")
        {
            out.push(path);
        }
    }
}

/// Every JSON value in a file: one document, or one per line.
fn documents(text: &str) -> Vec<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return vec![v];
    }
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Every object under a `requestObject`/`responseObject`/`request`/`response` key, at any depth.
fn workload_objects<'a>(v: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
    if depth > 16 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if matches!(
                    k.as_str(),
                    "requestObject" | "responseObject" | "request" | "response"
                ) && child.is_object()
                {
                    out.push(child);
                }
                workload_objects(child, out, depth + 1);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| workload_objects(c, out, depth + 1)),
        _ => {}
    }
}

#[test]
fn corpus_workloads_are_judged_as_their_names_say() {
    let Some(shared) = shared_dir() else { return };
    let mut files = Vec::new();
    json_files(&shared.join("corpus"), &mut files);
    files.sort();
    let policy = TemplatePolicy::default();
    let mut judged = 0;
    let mut named_expectations = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let mut checks: Vec<(&'static str, jobwarden_policy::template::TemplateFinding)> =
            Vec::new();
        let mut has_template = false;
        for doc in documents(&text) {
            let mut objects = Vec::new();
            workload_objects(&doc, &mut objects, 0);
            for obj in objects {
                let Ok(template) = pod_template(obj) else {
                    continue;
                };
                has_template = true;
                judged += 1;
                let _ = summarize_pod_spec(template.spec);
                let findings = judge_object(obj, &policy).expect("template found above");
                for f in &findings {
                    assert!(
                        f.path.starts_with(template.spec_path),
                        "{}: {} not under {}",
                        file.display(),
                        f.path,
                        template.spec_path
                    );
                    assert!(
                        jobwarden_policy::check_doc(f.check).is_some(),
                        "{} undocumented",
                        f.check
                    );
                }
                checks.extend(findings.into_iter().map(|f| (f.check, f)));
            }
        }
        if !has_template || !name.contains("_pod_") {
            continue;
        }
        let expect = |word: &str, negated: &str, check: &str| -> Option<bool> {
            if name.contains(negated) {
                Some(false)
            } else if name.contains(word) {
                Some(true)
            } else {
                None
            }
            .inspect(|&want| {
                // A negated name ("unprivileged") means nothing high; a lower-severity finding of
                // the same check is allowed (our sensitive list is finer than Falco's).
                let got = checks
                    .iter()
                    .any(|(c, f)| *c == check && (want || f.severity >= Severity::High));
                assert_eq!(
                    got,
                    want,
                    "{}: {check} expected {want}, got {checks:?}",
                    file.display()
                );
            })
        };
        for (word, negated, check) in [
            ("privileged", "unprivileged", "template.privileged"),
            (
                "sensitive_mount",
                "unsensitive_mount",
                "template.hostPath.sensitive",
            ),
            (
                "hostnetwork",
                "nohostnetwork",
                "template.hostNamespace.network",
            ),
        ] {
            if expect(word, negated, check).is_some() {
                named_expectations += 1;
            }
        }
    }
    eprintln!("judged {judged} workload objects, {named_expectations} name-stated expectations");
    assert!(judged > 0, "the corpus holds pod objects");
    assert!(named_expectations >= 4, "the corpus holds named pod traces");
}
