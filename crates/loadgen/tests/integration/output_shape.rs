//! The generated log must look like what kube-apiserver writes and be reproducible.

use std::collections::HashMap;

use jobwarden_loadgen::{ATTACK_KINDS, Config, generate};
use serde_json::Value;

fn run(seed: u64, size: u64) -> (String, jobwarden_loadgen::Stats) {
    let cfg = Config {
        size,
        seed,
        batch_rate: 0.01,
        attacks: ATTACK_KINDS.len(),
        ..Config::default()
    };
    let mut out = Vec::new();
    let stats = generate(&cfg, &mut out).expect("writing to a Vec cannot fail");
    (String::from_utf8(out).expect("output is UTF-8"), stats)
}

#[test]
fn same_seed_gives_identical_output_and_other_seeds_differ() {
    let (a, _) = run(7, 300_000);
    let (b, _) = run(7, 300_000);
    let (c, _) = run(8, 300_000);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn size_is_respected() {
    for size in [1_000u64, 200_000, 2_000_000] {
        let (text, stats) = run(3, size);
        assert_eq!(text.len() as u64, stats.bytes);
        assert!(stats.bytes >= size, "{} < {size}", stats.bytes);
        // Every attack is written even for tiny sizes; otherwise output stops within a chunk.
        assert!(
            stats.bytes < size + 64 * 1024,
            "{} overshoots {size}",
            stats.bytes
        );
        assert_eq!(stats.attacks.len(), ATTACK_KINDS.len());
    }
}

#[test]
fn events_have_apiserver_shape_and_realistic_mix() {
    let (text, stats) = run(11, 3_000_000);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, stats.events);
    let mut stages: HashMap<String, Vec<String>> = HashMap::new();
    let mut reads = 0usize;
    let mut last_stage_ts = String::new();
    let mut batch_bodies = 0usize;
    for (i, line) in lines.iter().enumerate() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1));
        // Go struct field order of audit.k8s.io/v1 Event.
        let order = [
            "\"kind\":",
            "\"apiVersion\":",
            "\"level\":",
            "\"auditID\":",
            "\"stage\":",
            "\"requestURI\":",
            "\"verb\":",
            "\"user\":",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|k| line.find(k).unwrap_or(usize::MAX))
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "field order on line {}: {line}",
            i + 1
        );
        assert!(line.find("\"requestReceivedTimestamp\"") < line.find("\"stageTimestamp\""));
        assert!(
            !line.contains("\": ") && !line.contains(", \"") && !line.contains("{ "),
            "not compact on line {}",
            i + 1
        );
        assert!(
            !line.contains('&') && !line.contains('<') && !line.contains('>'),
            "Go escapes &<> (line {})",
            i + 1
        );
        assert_eq!(v["kind"], "Event");
        assert_eq!(v["apiVersion"], "audit.k8s.io/v1");
        let id = v["auditID"].as_str().expect("auditID").to_string();
        let stage = v["stage"].as_str().expect("stage").to_string();
        let ts = v["stageTimestamp"]
            .as_str()
            .expect("stageTimestamp")
            .to_string();
        assert_eq!(
            ts.len(),
            "2025-06-12T00:00:00.000000Z".len(),
            "microsecond timestamps"
        );
        assert!(
            ts >= last_stage_ts,
            "stageTimestamp goes back on line {}",
            i + 1
        );
        last_stage_ts = ts;
        stages.entry(id).or_default().push(stage.clone());
        if stage == "ResponseComplete" {
            if matches!(v["verb"].as_str(), Some("get" | "list" | "watch")) {
                reads += 1;
                assert_eq!(v["level"], "Metadata");
            }
            assert!(v["annotations"]["authorization.k8s.io/decision"].is_string());
            assert!(v["responseStatus"]["code"].is_u64());
            let resource = v["objectRef"]["resource"].as_str().unwrap_or("");
            let verb = v["verb"].as_str().unwrap_or("");
            if matches!(resource, "jobs" | "cronjobs")
                && matches!(verb, "create" | "patch")
                && v["objectRef"]["subresource"].is_null()
            {
                assert_eq!(
                    v["level"],
                    "RequestResponse",
                    "batch writes carry bodies (line {})",
                    i + 1
                );
                assert!(v["responseObject"].is_object());
                batch_bodies += 1;
            }
        } else {
            assert!(v.get("responseStatus").is_none() && v.get("annotations").is_none());
        }
    }
    for (id, st) in &stages {
        assert!(
            st == &["ResponseComplete"] || st == &["RequestReceived", "ResponseComplete"],
            "{id}: {st:?}"
        );
    }
    let requests = stages.len();
    let read_share = reads as f64 / requests as f64;
    assert!(
        (0.85..0.95).contains(&read_share),
        "read share {read_share}"
    );
    let avg = stats.bytes as f64 / stats.events as f64;
    assert!((700.0..1400.0).contains(&avg), "average event size {avg}");
    assert!(
        batch_bodies > 20,
        "only {batch_bodies} batch writes with bodies"
    );
    for a in &stats.attacks {
        let line = lines.get(a.line as usize - 1).expect("attack line exists");
        assert!(
            line.contains(&a.audit_id) && line.contains("\"stage\":\"ResponseComplete\""),
            "{a:?}"
        );
    }
}

#[test]
fn injected_attacks_carry_their_payloads() {
    let (text, stats) = run(5, 1_000_000);
    let by_id: HashMap<String, Value> = text
        .lines()
        .filter(|l| l.contains("\"stage\":\"ResponseComplete\""))
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter_map(|v| Some((v["auditID"].as_str()?.to_string(), v)))
        .collect();
    for a in &stats.attacks {
        let v = &by_id[&a.audit_id];
        let body = v.to_string();
        match a.kind {
            "curl-sh-cronjob-stolen-admin" => {
                assert!(body.contains("| sh") && v["objectRef"]["resource"] == "cronjobs")
            }
            "miner-job" => assert!(body.contains("stratum+tcp://")),
            "kube-system-privileged-nsenter-cronjob" => {
                assert!(
                    body.contains("\"privileged\":true")
                        && body.contains("\"hostPID\":true")
                        && v["objectRef"]["namespace"] == "kube-system"
                )
            }
            "cronjob-hijack-patch" => {
                assert!(v["verb"] == "patch" && v["requestObject"]["spec"].is_object())
            }
            "rbac-denied-cronjob-create" => {
                assert_eq!(v["responseStatus"]["code"], 403);
                assert_eq!(v["annotations"]["authorization.k8s.io/decision"], "forbid");
            }
            "anonymous-generate-name-job" => {
                assert_eq!(v["user"]["username"], "system:anonymous");
                assert!(v["objectRef"]["name"].is_null());
                assert!(
                    v["responseObject"]["metadata"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("cleanup-"))
                );
            }
            other => panic!("unexpected attack kind {other}"),
        }
    }
}
