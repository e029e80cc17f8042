//! Integrity of the acceptance scenario corpus in tests/data/scenarios (shared by the workspace):
//! every line is an audit event, stage pairs share one auditID and nothing else does, lines are in
//! stageTimestamp order, and every auditID named in expected.json exists in its file.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn jsonl_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in ["attack", "benign", "needs-config"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "jsonl") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn check_log(path: &Path) -> HashSet<String> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut stages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut last = String::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), i + 1);
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(v["kind"], "Event", "{at}");
        assert_eq!(v["apiVersion"], "audit.k8s.io/v1", "{at}");
        let id = v["auditID"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: auditID"));
        let stage = v["stage"].as_str().unwrap_or_else(|| panic!("{at}: stage"));
        let ts = v["stageTimestamp"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: stageTimestamp"));
        assert!(
            ts.len() == 27 && ts.ends_with('Z'),
            "{at}: microsecond RFC 3339 expected, got {ts}"
        );
        assert!(ts >= last.as_str(), "{at}: stageTimestamp goes back");
        last = ts.to_string();
        assert!(
            !line.contains('&') && !line.contains('<') && !line.contains('>'),
            "{at}: Go escapes & < >"
        );
        if stage == "ResponseComplete" {
            assert!(
                v["responseStatus"]["code"].is_u64(),
                "{at}: responseStatus.code"
            );
            assert!(
                v["annotations"]["authorization.k8s.io/decision"].is_string(),
                "{at}: decision"
            );
            let resource = v["objectRef"]["resource"].as_str().unwrap_or("");
            let verb = v["verb"].as_str().unwrap_or("");
            let level = v["level"].as_str().unwrap_or("");
            let write = matches!(verb, "create" | "update" | "patch");
            if matches!(resource, "jobs" | "cronjobs")
                && write
                && v["objectRef"]["subresource"].is_null()
                && level == "RequestResponse"
            {
                assert!(
                    v["responseObject"].is_object(),
                    "{at}: batch write without responseObject"
                );
            }
        } else {
            assert_eq!(stage, "RequestReceived", "{at}");
            assert!(
                v.get("responseObject").is_none() && v.get("annotations").is_none(),
                "{at}"
            );
        }
        stages
            .entry(id.to_string())
            .or_default()
            .push(stage.to_string());
    }
    for (id, st) in &stages {
        assert!(
            st == &["ResponseComplete"] || st == &["RequestReceived", "ResponseComplete"],
            "{}: auditID {id} used for {st:?}",
            path.display()
        );
    }
    stages.into_keys().collect()
}

#[test]
fn scenario_corpus_is_well_formed_and_matches_expected_json() {
    let dir = workspace_root().join("tests/data/scenarios");
    let expected_text =
        fs::read_to_string(dir.join("expected.json")).expect("tests/data/scenarios/expected.json");
    let expected: Value = serde_json::from_str(&expected_text).expect("expected.json is JSON");
    let scenarios = expected["scenarios"].as_object().expect("scenarios object");
    let files = jsonl_files(&dir);
    assert!(
        files.len() >= 30,
        "scenario corpus too small: {}",
        files.len()
    );
    let mut attacks = 0;
    let mut benign = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&dir)
            .expect("under dir")
            .to_string_lossy()
            .replace('\\', "/");
        let entry = scenarios
            .get(&rel)
            .unwrap_or_else(|| panic!("{rel} missing from expected.json"));
        let ids = check_log(path);
        match entry["kind"].as_str() {
            Some("attack") => {
                attacks += 1;
                let cite = entry["must_cite"].as_array().expect("must_cite");
                assert!(!cite.is_empty(), "{rel}: attack with nothing to cite");
                for id in cite
                    .iter()
                    .chain(entry["may_cite"].as_array().into_iter().flatten())
                {
                    let id = id.as_str().expect("auditID string");
                    assert!(
                        ids.contains(id),
                        "{rel}: cited auditID {id} not in the file"
                    );
                }
            }
            Some("benign") => benign += 1,
            Some("needs-config") => {
                for id in entry["audit_ids"].as_array().into_iter().flatten() {
                    assert!(
                        ids.contains(id.as_str().unwrap_or("")),
                        "{rel}: {id} not in the file"
                    );
                }
            }
            other => panic!("{rel}: unknown kind {other:?}"),
        }
    }
    assert!(
        attacks >= 14 && benign >= 12,
        "{attacks} attacks, {benign} benign"
    );
    assert_eq!(
        scenarios.len(),
        files.len(),
        "expected.json lists files that do not exist"
    );
}

#[test]
fn bundled_demo_log_is_well_formed_and_its_ids_exist() {
    let root = workspace_root();
    let ids = check_log(&root.join("examples/audit-demo.jsonl"));
    assert!(ids.len() > 100, "demo log too small");
    let expected_text =
        fs::read_to_string(root.join("tests/data/scenarios/expected.json")).expect("expected.json");
    let expected: Value = serde_json::from_str(&expected_text).expect("expected.json is JSON");
    let demo = &expected["demo"];
    assert_eq!(demo["file"], "examples/audit-demo.jsonl");
    let attacks = demo["attacks"].as_array().expect("demo attacks");
    assert!(attacks.len() >= 3, "the demo must show several attacks");
    let cited = attacks
        .iter()
        .flat_map(|a| a["must_cite"].as_array().into_iter().flatten());
    let routine = demo["routine_below_medium"]
        .as_array()
        .into_iter()
        .flatten();
    for id in cited.chain(routine) {
        let id = id.as_str().expect("auditID string");
        assert!(
            ids.contains(id),
            "demo auditID {id} not in examples/audit-demo.jsonl"
        );
    }
}
