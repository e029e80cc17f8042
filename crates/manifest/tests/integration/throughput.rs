//! Throughput of loading and PSS-judging a large generated manifest stream. Ignored by default
//! (it is a measurement, not a check); run it with
//! `cargo test --release -p jobwarden-manifest --test integration throughput:: -- --ignored --nocapture`
//! and `JOBWARDEN_BENCH_OBJECTS=N` to change the size (default 100,000 objects).

use jobwarden_manifest::{Limits, load_str};
use jobwarden_policy::pss::{Level, Version, judge_object};
use std::fmt::Write as _;
use std::time::Instant;

/// A Helm-like stream cycling through CronJobs, Deployments and Pods, half of them hardened.
fn generate(count: usize) -> String {
    let mut out = String::with_capacity(count * 700);
    for i in 0..count {
        let hardened = i % 2 == 0;
        let security = if hardened {
            "  securityContext:\n    allowPrivilegeEscalation: false\n    runAsNonRoot: true\n    capabilities: {drop: [ALL]}\n    seccompProfile: {type: RuntimeDefault}\n"
        } else {
            "  securityContext:\n    privileged: true\n    runAsUser: 0\n"
        };
        let container = format!(
            "- name: app{i}\n  image: registry.example/app:{i}\n  command: [\"/bin/sh\", \"-c\", \"backup --target s3://bucket/{i}\"]\n  ports:\n  - containerPort: 8080\n{security}"
        );
        let indent = |n: usize| {
            container
                .lines()
                .map(|l| format!("{}{l}\n", " ".repeat(n)))
                .collect::<String>()
        };
        let _ = match i % 3 {
            0 => write!(
                out,
                "---\n# Source: chart/templates/cronjob-{i}.yaml\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job-{i}\n  namespace: ns{}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n{}",
                i % 50,
                indent(10)
            ),
            1 => write!(
                out,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels: {{app: web-{i}}}\n    spec:\n      containers:\n{}",
                indent(8)
            ),
            _ => write!(
                out,
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\nspec:\n  hostNetwork: {}\n  containers:\n{}",
                !hardened,
                indent(4)
            ),
        };
    }
    out
}

#[test]
#[ignore = "measurement; run with --ignored --nocapture"]
fn load_and_judge_throughput() {
    let count: usize = std::env::var("JOBWARDEN_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let text = generate(count);
    let limits = Limits {
        max_file_bytes: u64::MAX,
        ..Limits::default()
    };

    let start = Instant::now();
    let report = load_str("bench.yaml", &text, &limits);
    let load = start.elapsed();
    assert!(report.errors.is_empty(), "{:?}", report.errors.first());
    assert_eq!(report.documents.len(), count);

    let start = Instant::now();
    let mut findings = 0usize;
    let mut line_sum = 0u64;
    for doc in &report.documents {
        for finding in judge_object(&doc.value, Level::Restricted, Version::Latest) {
            line_sum += doc.line_of(&finding.path);
            findings += 1;
        }
    }
    let judge = start.elapsed();
    assert!(findings >= count / 2 && line_sum > 0);

    let per_sec = |d: std::time::Duration| count as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "{count} objects, {:.1} MiB: load {load:.2?} ({:.0} objects/s), judge restricted {judge:.2?} ({:.0} objects/s), {findings} findings",
        text.len() as f64 / (1024.0 * 1024.0),
        per_sec(load),
        per_sec(judge)
    );
}
