//! End-to-end tests of `jobwarden who-can` and of `scan`'s M1018 findings over the Kubernetes
//! bootstrap RBAC policy.

use jobwarden_testkit::shared;
use serde_json::Value;
use std::process::{Command, Output};

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_jobwarden")
}

fn run(args: &[&str]) -> Output {
    Command::new(exe())
        .args(args)
        .output()
        .expect("run jobwarden")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn subjects(answers: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = answers
        .iter()
        .filter(|a| a["path"] == "direct")
        .map(|a| {
            let sub = &a["subject"];
            match sub["namespace"].as_str() {
                Some(ns) => format!(
                    "{}:{ns}/{}",
                    sub["kind"].as_str().unwrap_or(""),
                    sub["name"].as_str().unwrap_or("")
                ),
                None => format!(
                    "{}:{}",
                    sub["kind"].as_str().unwrap_or(""),
                    sub["name"].as_str().unwrap_or("")
                ),
            }
        })
        .collect();
    s.sort();
    s.dedup();
    s
}

#[test]
fn bootstrap_policy_answers_match_the_authorizer() {
    let Some(shared) = shared() else { return };
    let boot = shared.join("fixtures/rbac/bootstrap");
    let b = boot.to_str().expect("path");
    let ask = |verb: &str, res: &str| {
        let out = run(&["who-can", verb, res, "-f", b, "--format", "jsonl", "-q"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let answers = lines(&out);
        for a in &answers {
            assert_eq!(a["schema"], "jobwarden.access/v1");
            assert!(a["via"].as_array().is_some_and(|v| !v.is_empty()));
        }
        subjects(&answers)
    };
    assert_eq!(
        ask("create", "jobs.batch"),
        vec![
            "Group:system:masters",
            "ServiceAccount:kube-system/cronjob-controller"
        ]
    );
    assert_eq!(
        ask("create", "cronjobs.batch"),
        vec!["Group:system:masters"]
    );
    assert_eq!(
        ask("patch", "cronjobs.batch"),
        vec![
            "Group:system:masters",
            "ServiceAccount:kube-system/generic-garbage-collector"
        ]
    );
    assert_eq!(
        ask("update", "cronjobs.batch"),
        vec![
            "Group:system:masters",
            "ServiceAccount:kube-system/cronjob-controller",
            "ServiceAccount:kube-system/generic-garbage-collector"
        ]
    );
}

#[test]
fn schedule_code_lists_indirect_paths_with_hops_and_draws_a_graph() {
    let Some(shared) = shared() else { return };
    let boot = shared.join("fixtures/rbac/bootstrap");
    let b = boot.to_str().expect("path");
    let out = run(&[
        "who-can",
        "--schedule-code",
        "-f",
        b,
        "--format",
        "jsonl",
        "-q",
    ]);
    let answers = lines(&out);
    assert!(answers.iter().any(|a| a["path"] == "escalate"));
    assert!(
        answers
            .iter()
            .any(|a| a["path"] == "token" && a["hops"].as_array().is_some_and(|h| !h.is_empty()))
    );
    let dot = run(&[
        "who-can",
        "--schedule-code",
        "-f",
        b,
        "--format",
        "dot",
        "-q",
    ]);
    let text = String::from_utf8_lossy(&dot.stdout);
    assert!(text.starts_with("digraph") && text.contains("->"), "{text}");
    let gate = run(&[
        "who-can",
        "create",
        "cronjobs",
        "-f",
        b,
        "--fail-unless",
        "Group:system:masters",
        "-q",
    ]);
    assert_eq!(gate.status.code(), Some(0));
    let gate = run(&[
        "who-can",
        "create",
        "jobs",
        "-f",
        b,
        "--fail-unless",
        "Group:system:masters",
        "-q",
    ]);
    assert_eq!(gate.status.code(), Some(1));
}

#[test]
fn scan_reports_unauthorised_batch_writers() {
    let Some(shared) = shared() else { return };
    let boot = shared.join("fixtures/rbac/bootstrap");
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("c.yaml");
    std::fs::write(
        &cfg,
        "authorised_batch_writers: [\"Group:system:masters\"]\n",
    )
    .expect("write");
    let out = run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "-c",
        cfg.to_str().expect("path"),
        boot.to_str().expect("path"),
    ]);
    let findings = lines(&out);
    let writer = findings
        .iter()
        .find(|f| {
            f["check"] == "rbac.batch-writer.unauthorised"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("cronjob-controller"))
        })
        .expect("cronjob-controller is outside the authorised set");
    assert_eq!(writer["mitigation"], "M1018");
    assert!(writer["location"]["line"].as_u64().is_some_and(|l| l > 1));
    // With the defaults the bootstrap policy is clean.
    let clean = run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        boot.to_str().expect("path"),
    ]);
    assert!(lines(&clean).iter().all(|f| f["category"] != "rbac"));
}
