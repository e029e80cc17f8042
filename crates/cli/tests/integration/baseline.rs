//! End-to-end tests of the baseline: learn from benign history, then first-seen creators alert
//! in `hunt --baseline` while repeated normal activity does not; show, export, forget; a
//! damaged state file is a clear error.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_jobwarden")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(exe())
        .args(args)
        .output()
        .expect("run jobwarden")
}

fn base_alerts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|a| {
            a["rule"]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("JW-BASE"))
        })
        .collect()
}

#[test]
fn learn_then_hunt_flags_what_is_new_and_not_what_is_normal() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let state = tmp.path().join("b.redb");
    let s = state.to_str().expect("path");
    let benign = repo().join("tests/data/scenarios/benign");
    let out = run(&[
        "baseline",
        "learn",
        "--state",
        s,
        benign.to_str().expect("path"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Normal activity again (frozen, so nothing is learned from it): no baseline alert.
    let again = repo()
        .join("tests/data/scenarios/benign/cronjob-controller-ticks-and-job-controller-pods.jsonl");
    let out = run(&[
        "hunt",
        "--format",
        "jsonl",
        "-q",
        "--min-severity",
        "info",
        "--baseline",
        s,
        "--baseline-frozen",
        again.to_str().expect("path"),
    ]);
    assert!(
        base_alerts(&out).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A new creator from a pod token: flagged, with the evidence of what was normal.
    let attack = repo().join("tests/data/scenarios/attack/pod-sa-token-python-requests-job.jsonl");
    let out = run(&[
        "hunt",
        "--format",
        "jsonl",
        "-q",
        "--baseline",
        s,
        attack.to_str().expect("path"),
    ]);
    let found = base_alerts(&out);
    let creator = found
        .iter()
        .find(|a| a["rule"]["id"] == "JW-BASE-0001")
        .unwrap_or_else(|| panic!("first-seen creator: {found:?}"));
    assert!(matches!(
        creator["severity"].as_str(),
        Some("medium" | "high")
    ));
    // Learned now (not frozen): the same activity is normal the second time.
    let out = run(&[
        "hunt",
        "--format",
        "jsonl",
        "-q",
        "--baseline",
        s,
        attack.to_str().expect("path"),
    ]);
    assert!(
        base_alerts(&out)
            .iter()
            .all(|a| a["rule"]["id"] != "JW-BASE-0001")
    );

    let show = run(&["baseline", "show", "--state", s, "--json"]);
    let summary: Value = serde_json::from_slice(&show.stdout).expect("JSON summary");
    assert_eq!(summary["schema"], "jobwarden.baseline/v1");
    let export = run(&["baseline", "export", "--state", s]);
    assert!(export.status.success());
    let forget = run(&["baseline", "forget", "--state", s, "--all"]);
    assert!(
        forget.status.success(),
        "{}",
        String::from_utf8_lossy(&forget.stderr)
    );
}

#[test]
fn a_damaged_state_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let state = tmp.path().join("junk.redb");
    std::fs::write(&state, b"this is not a baseline database, just text").expect("write");
    let out = run(&["baseline", "show", "--state", state.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("junk.redb"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
